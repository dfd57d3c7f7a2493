/**
 * Starts the whole demo in one process: the simulated plant, an embedded aedes broker, the cloud
 * (ingest, store, rates, HTTP API) and one edge gateway per enterprise, each gateway reaching the
 * broker through its own cuttable uplink proxy. Prints what is starting and what is ready, with
 * timings. Stops in reverse order.
 *
 * In-process rather than child processes: the demo's 20 devices are far below what one event loop
 * handles, node-opcua (~130 MB) is loaded once instead of per process, there is one lifecycle to
 * get right on Ctrl-C, and the live summary reads gateway counters directly. Each part is still
 * the same app factory its own command uses (buildGateway, buildCloud, startSimulation), so
 * nothing here is demo-only code in the modules.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { formatError, loadGatewayFile, type Plant } from '../../config/index.ts';
import { buildCloud, type Cloud } from '../../cloud/app.ts';
import { ensureDashboard } from '../../cloud/dashboard.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../cloud/broker/embedded.ts';
import type { RatesService } from '../../cloud/rates/index.ts';
import { buildGateway, type Gateway } from '../../gateway/app.ts';
import { type ControlServer, startControlServer } from '../../simulators/control/http.ts';
import { gatewayConfigs } from '../../simulators/runtime/emit.ts';
import { type Simulation, startSimulation } from '../../simulators/runtime/simulation.ts';
import { UplinkProxy } from './proxy.ts';
import type { Screen } from './screen.ts';
import type { GatewayView } from './summary.ts';

export interface DemoConfig {
  plantFile: string;
  plant: Plant;
  /** Absolute: the store, ledger edits, gateway buffers and files, PKI, the log. */
  dataDir: string;
  influx?: string;
  /** 0 = ephemeral; a busy port falls back to an ephemeral one (printed). */
  httpPort: number;
  brokerPort: number;
  controlPort: number;
  widthMs: number;
  log: Logger;
  screen: Screen;
}

export interface DemoGateway extends GatewayView {
  gateway: Gateway;
  proxy: UplinkProxy;
  file: string;
}

export interface Demo {
  sim: Simulation;
  control: ControlServer;
  broker: EmbeddedBroker;
  cloud: Cloud & { rates: RatesService };
  gateways: DemoGateway[];
  /** http://[::1]:port/ */
  url: string;
  /** Stops everything in reverse order; returns the failures (empty = clean). */
  stop(): Promise<string[]>;
}

export class DemoError extends Error {}

const STOP_ORDER = ['gateways', 'proxies', 'cloud', 'broker', 'control', 'sim'] as const;
type Part = (typeof STOP_ORDER)[number];

const secs = (fromMs: number) => `${((performance.now() - fromMs) / 1000).toFixed(1)} s`;

export function addressInUse(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause)
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' || e.message.includes('EADDRINUSE')) return true;
  return false;
}

/** Whether `port` can be bound on `host` now (0 always can). */
async function portFree(host: string, port: number): Promise<boolean> {
  if (port === 0) return true;
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function startDemo(c: DemoConfig): Promise<Demo> {
  const { screen, log, plant } = c;
  const stops: Partial<Record<Part, () => Promise<void>>> = {};
  const stop = async (): Promise<string[]> => {
    const failures: string[] = [];
    for (const part of STOP_ORDER) {
      const fn = stops[part];
      delete stops[part];
      if (!fn) continue;
      const t = performance.now();
      try {
        await fn();
        log.info({ part, ms: Math.round(performance.now() - t) }, 'demo part stopped');
      } catch (err) {
        failures.push(`${part}: ${(err as Error).message}`);
      }
    }
    return failures;
  };

  const simulate = async (): Promise<{ sim: Simulation; control: ControlServer }> => {
    const t = performance.now();
    const connected = [...plant.enterprises]
      .flatMap((e) => e.lines.flatMap((l) => l.devices))
      .filter((d) => d.connectivity.type !== 'none').length;
    screen.log(`… simulators: ${connected} connected devices of ${c.plantFile}`);
    const options = { plant, pkiDir: path.join(c.dataDir, 'pki', 'simulator'), bindHost: '::' };
    let sim: Simulation;
    try {
      sim = await startSimulation(options);
    } catch (err) {
      if (!addressInUse(err)) throw err;
      screen.log(`  ! a simulator port is busy (${(err as Error).message}); using ephemeral ports instead`);
      sim = await startSimulation({ ...options, ephemeralPorts: true });
    }
    stops.sim = () => sim.stop();
    const control = await startControlServer(sim, { port: c.controlPort }).catch((err: unknown) => {
      if (!addressInUse(err)) throw err;
      return startControlServer(sim, { port: 0 });
    });
    stops.control = () => control.close();
    const modbus = [...sim.modbusPorts.values()].map((p) => p.port);
    const opcua = [...sim.opcuaServers.values()].map((s) => s.endpointUrl);
    screen.log(
      `✓ simulators ready in ${secs(t)}: ${sim.devices.size} devices — Modbus TCP on [::]:${modbus.join(',')}` +
        `${opcua.length ? `; OPC UA ${opcua.join(', ')}` : ''}; control API ${control.url}`,
    );
    return { sim, control };
  };

  // Built (esbuild, well under a second) only when dashboard/dist is missing or stale; meanwhile
  // the simulators and the broker start. Without it the API still answers: say so and go on.
  const dashboard = (async (): Promise<string | undefined> => {
    const t = performance.now();
    try {
      let built = false;
      const dir = await ensureDashboard({ onBuild: () => (built = true) });
      if (built) screen.log(`✓ dashboard built in ${secs(t)}: ${path.relative(process.cwd(), dir)}`);
      return dir;
    } catch (err) {
      screen.log(`  ! no dashboard (${(err as Error).message}); the HTTP API runs without it`);
      return undefined;
    }
  })();

  const brokerAndCloud = async (): Promise<{
    broker: EmbeddedBroker;
    cloud: Cloud & { rates: RatesService };
  }> => {
    let t = performance.now();
    screen.log(`… broker: embedded aedes (MQTT 3.1.1) on [::1]:${c.brokerPort || 'ephemeral'}`);
    let broker: EmbeddedBroker;
    try {
      broker = await startEmbeddedBroker({ host: '::1', port: c.brokerPort });
    } catch (err) {
      if (!addressInUse(err)) throw err;
      broker = await startEmbeddedBroker({ host: '::1', port: 0 });
      screen.log(`  ! port ${c.brokerPort} is busy (another broker?); using ${broker.port} instead`);
    }
    stops.broker = () => broker.close();
    screen.log(`✓ broker ready in ${secs(t)}: ${broker.url}`);

    t = performance.now();
    const store = c.influx ? `InfluxDB ${c.influx}` : `embedded DuckDB in ${c.dataDir}`;
    screen.log(`… cloud: ingest, ${store}, rates (${c.widthMs / 1000} s buckets), HTTP API`);
    let port = c.httpPort;
    // Probed first: buildCloud opens the store and ingest before it listens, so a late
    // EADDRINUSE would mean tearing all of that down again.
    if (!(await portFree('::', port))) {
      screen.log(`  ! port ${port} is busy; the dashboard gets an ephemeral port instead`);
      port = 0;
    }
    const staticDir = await dashboard;
    const cloud = await buildCloud({
      mqtt: { broker: broker.url, protocolVersion: 4, clientId: 'lianwang-demo-ingest' },
      plants: [c.plantFile],
      dataDir: c.dataDir,
      ...(c.influx ? { influx: c.influx } : {}),
      http: { host: '::', port },
      widthMs: c.widthMs,
      ...(staticDir ? { staticDir } : {}),
      log,
    });
    stops.cloud = () => cloud.stop();
    const { rates } = cloud;
    if (!rates || !cloud.url) throw new DemoError('the cloud started without its rates engine or HTTP API');
    await cloud.ingest.ready();
    const portOf = new URL(cloud.url).port;
    screen.log(
      `✓ cloud ready in ${secs(t)} — dashboard http://[::1]:${portOf}/ and http://localhost:${portOf}/ ` +
        `(process up ${process.uptime().toFixed(1)} s)`,
    );
    return { broker, cloud: Object.assign(cloud, { rates }) };
  };

  try {
    const [a, b] = await Promise.allSettled([simulate(), brokerAndCloud()]);
    if (a.status === 'rejected') throw a.reason;
    if (b.status === 'rejected') throw b.reason;
    const { sim, control } = a.value;
    const { broker, cloud } = b.value;
    const gateways = await startGateways(c, sim, broker, stops);
    return { sim, control, broker, cloud, gateways, url: cloud.url ?? '', stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * One gateway per enterprise, from files written to `<data>/gateways/` (the same files
 * `lianwang sim --emit-gateway-config` writes), each through its own uplink proxy.
 */
async function startGateways(
  c: DemoConfig,
  sim: Simulation,
  broker: EmbeddedBroker,
  stops: Partial<Record<Part, () => Promise<void>>>,
): Promise<DemoGateway[]> {
  const t = performance.now();
  const dir = path.join(c.dataDir, 'gateways');
  await mkdir(dir, { recursive: true });
  const configs = gatewayConfigs(sim, { plantRef: path.relative(dir, path.resolve(c.plantFile)) });
  c.screen.log(`… gateways: ${configs.size} (one per enterprise), each through its own uplink to the broker`);
  const proxies: UplinkProxy[] = [];
  stops.proxies = async () => {
    await Promise.all(proxies.map((p) => p.stop()));
  };
  const built: DemoGateway[] = [];
  for (const [enterprise, config] of configs) {
    const proxy = new UplinkProxy({ host: '::1', port: broker.port });
    await proxy.start();
    proxies.push(proxy);
    const file = path.join(dir, `${enterprise}.yaml`);
    const input = {
      ...config,
      // A quick reconnect so a restored uplink shows within seconds, not after a 30 s backoff.
      mqtt: { brokers: [proxy.url], protocolVersion: 4 as const, reconnectMin: '500ms', reconnectMax: '2s' },
      buffer: { dir: path.join(dir, enterprise) },
      http: false as const,
    };
    await writeFile(
      file,
      `# Written by \`lianwang demo\` for this run: the broker URL is the demo's uplink proxy (${proxy.url}).\n` +
        stringify(input),
    );
    const loaded = await loadGatewayFile(file);
    if (!loaded.ok) throw new DemoError(loaded.errors.map(formatError).join('\n'));
    const gateway = buildGateway(loaded.value, {
      // Three gateways share one log file: each line says which one.
      log: c.log.child({ gateway: loaded.value.config.gateway.node }),
      // Heartbeats well inside a bucket: an unchanged value must still mark its device online.
      maxSilenceMs: c.widthMs / 2,
    });
    built.push({
      enterprise,
      node: loaded.value.config.gateway.node,
      gateway,
      proxy,
      file,
      devices: loaded.value.devices.length,
      uplinkCut: () => proxy.isCut,
    });
  }
  // A gateway whose start() failed half way is stopped too: its link and queue may be open.
  stops.gateways = async () => {
    await Promise.all(built.map((g) => g.gateway.stop()));
  };
  await Promise.all(built.map((g) => g.gateway.start()));
  c.screen.log(
    `✓ gateways started in ${secs(t)}: ${built.map((g) => `${g.node} (${g.devices} devices)`).join(', ')}; files in ${dir}`,
  );
  return built;
}
