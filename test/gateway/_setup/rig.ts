/**
 * The rig of the store-and-forward tests (uplink outage, gateway crash, broker restart): the simulated
 * Modbus plant of test/fixtures/plants/sim-modbus.yaml, mosquitto — reached directly or through a
 * proxy the test can cut — a Sparkplug observer connected to the broker itself, and a gateway file
 * for enterprise t1 pointing at the uplink. `close()` undoes everything, newest first.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { formatError, loadGatewayFile, loadPlantFile } from '../../../config/index.ts';
import { buildGateway, type Gateway, type GatewayOptions } from '../../../gateway/app.ts';
import { gatewayConfigs } from '../../../simulators/runtime/emit.ts';
import { type Simulation, startSimulation } from '../../../simulators/runtime/simulation.ts';
import { type Mosquitto, startMosquitto } from '../../helpers/mosquitto.ts';
import { freePort } from '../../helpers/ports.ts';
import { CuttableProxy } from '../../helpers/proxy.ts';
import { SparkplugObserver } from '../../helpers/sparkplug-subscriber.ts';
import { waitFor } from '../../helpers/wait.ts';

export interface RigOptions {
  /** Temp directory prefix, e.g. 'outage'. */
  name: string;
  /** Simulator model tick. */
  tickMs: number;
  /** Gateway poll interval and request timeout, as in the gateway file ('300ms'). */
  interval: string;
  timeout: string;
  /** Gateway MQTT reconnect backoff ceiling ('400ms'); the floor is 100 ms. */
  reconnectMax: string;
  /** Put a cuttable proxy between the gateway and the broker (default true). */
  proxy?: boolean;
  /**
   * Broker with a persistence directory (kept across restartBroker()) and an observer with a persistent
   * session, so what is published while the observer is away waits for it in the broker.
   */
  persistent?: boolean;
  /** Give the gateway its /health and /metrics endpoint on [::1] (default: none). */
  http?: boolean;
}

export interface Rig {
  dir: string;
  /** The broker now running (replaced by restartBroker()). */
  broker: Mosquitto;
  /** The proxy between gateway and broker, when asked for. */
  uplink: CuttableProxy | undefined;
  sim: Simulation;
  observer: SparkplugObserver;
  /** The gateway file (written before startRig returns). */
  file: string;
  /** http://[::1]:port of the gateway's /health and /metrics, when asked for. */
  httpUrl: string | undefined;
  /** Builds and starts an in-process gateway from the file; it is stopped by close(). */
  gateway(opts?: GatewayOptions): Promise<Gateway>;
  /** Stops the broker (SIGTERM: mosquitto saves its persistence) and returns a function that starts it again on the same port. */
  stopBroker(): Promise<() => Promise<void>>;
  /** Registers cleanup work, run by close() before what the rig made itself. */
  defer(fn: () => Promise<unknown>): void;
  close(): Promise<void>;
}

export async function startRig(o: RigOptions): Promise<Rig> {
  const cleanup: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const dir = await mkdtemp(path.join(tmpdir(), `lianwang-${o.name}-`));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const persistenceDir = o.persistent ? path.join(dir, 'mosquitto') : undefined;
    const brokerOptions = persistenceDir === undefined ? {} : { persistenceDir };
    let broker = await startMosquitto(brokerOptions);
    cleanup.push(() => broker.stop());
    const uplink = o.proxy === false ? undefined : new CuttableProxy({ host: '::1', port: broker.port });
    if (uplink) {
      await uplink.restore();
      cleanup.push(() => uplink.cut());
    }
    const url = uplink?.url ?? broker.url;

    const plant = await loadPlantFile('test/fixtures/plants/sim-modbus.yaml');
    if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
    const sim = await startSimulation({ plant: plant.value, ephemeralPorts: true, tickMs: o.tickMs });
    cleanup.push(() => sim.stop());

    const observer = new SparkplugObserver('t1');
    await observer.connect(broker.url, 5, o.persistent ?? false);
    cleanup.push(() => observer.close());

    const input = gatewayConfigs(sim, { brokers: [url] }).get('t1');
    if (!input) throw new Error('no gateway config for t1');
    input.mqtt = { brokers: [url], protocolVersion: 5, reconnectMin: '100ms', reconnectMax: o.reconnectMax };
    input.polling = { interval: o.interval, timeout: o.timeout };
    input.buffer = { dir: path.join(dir, 'gw') };
    const httpPort = o.http ? await freePort() : undefined;
    input.http = httpPort === undefined ? false : { host: '::1', port: httpPort };
    const file = path.join(dir, 'gw.yaml');
    await writeFile(file, stringify(input));

    const rig: Rig = {
      dir,
      broker,
      uplink,
      sim,
      observer,
      file,
      httpUrl: httpPort === undefined ? undefined : `http://[::1]:${httpPort}`,
      async gateway(opts = {}) {
        const loaded = await loadGatewayFile(file);
        if (!loaded.ok) throw new Error(loaded.errors.map(formatError).join('\n'));
        const gw = buildGateway(loaded.value, { log: pino({ level: 'silent' }), ...opts });
        await gw.start();
        cleanup.push(() => gw.stop());
        return gw;
      },
      async stopBroker() {
        const port = broker.port;
        await broker.stop();
        return async () => {
          broker = await startMosquitto({ ...brokerOptions, port });
          rig.broker = broker;
        };
      },
      defer: (fn) => cleanup.push(fn),
      close,
    };
    return rig;
  } catch (err) {
    await close();
    throw err;
  }
}

/** The gateway counts by `<enterprise>/<device>|<point>`; Sparkplug names the device only. */
export function withoutEnterprise(counts: ReadonlyMap<string, number>): Map<string, number> {
  return new Map([...counts].map(([k, n]) => [k.replace(/^t1\//, ''), n]));
}

/** Every `forwarded` sample has arrived at the observer, or a timeout error that says what is missing. */
export async function untilDelivered(
  observer: SparkplugObserver,
  forwarded: ReadonlyMap<string, number>,
  context: () => string,
): Promise<void> {
  const have = (key: string) => observer.samples.get(key)?.size ?? 0;
  await waitFor(() => [...forwarded].every(([key, n]) => have(key) >= n), {
    what: 'every forwarded sample at the observer',
    timeoutMs: 10_000,
  }).catch((err: unknown) => {
    const missing = [...forwarded]
      .filter(([key, n]) => have(key) < n)
      .map(([key, n]) => `${key}: ${have(key)}/${n}`);
    const shape = (device: string) =>
      observer.messages
        .filter((m) => m.device === device)
        .map((m) => m.type + (m.metrics.some((x) => x.isHistorical) ? 'h' : '') + m.metrics.length)
        .join(',');
    throw new Error(
      `${(err as Error).message}; missing: ${missing.slice(0, 3).join(', ')}; ${context()}; ` +
        `observer errors ${observer.errors.slice(0, 3).join(' / ')}; meter msgs ${shape('meter')}; ` +
        `furnace msgs ${shape('furnace')}`,
    );
  });
}

/** Historical DDATA per device whose oldest metric is older than the previous one's: should be none. */
export function historicalOutOfOrder(observer: SparkplugObserver): string[] {
  const lastTime = new Map<string, number>();
  const wrong: string[] = [];
  for (const m of observer.messages) {
    if (m.type !== 'DDATA' || !m.metrics.some((x) => x.isHistorical)) continue;
    const device = m.device ?? '';
    const t = Math.min(...m.metrics.map((x) => x.timestamp ?? 0));
    if (t < (lastTime.get(device) ?? 0)) wrong.push(`${device}: ${t} after ${lastTime.get(device)}`);
    lastTime.set(device, t);
  }
  return wrong;
}
