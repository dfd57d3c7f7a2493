/**
 * The chaos run's processes and the handles the fault timeline pulls: influxd (behind the
 * counting write proxy), mosquitto with persistence, `lianwang sim`, one `lianwang gateway` per
 * enterprise (each with its read log), the tracker and two shared-subscription workers, and the
 * clock-skewed edge node. Every process is a real child started as an operator would; `close()`
 * ends them all, newest first.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/ports.ts';
import { type ManagedProcess, startProcess, untilReady } from '../helpers/process.ts';
import { type RestartableInfluxd, startRestartableInfluxd } from './influxd.ts';
import { SKEW_ENTERPRISE } from './plant.ts';
import { type SkewDevice, SkewEdge } from './skew-edge.ts';
import { WriteProxy } from './write-proxy.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'bin/lianwang.js');
export const DATABASE = 'chaos';
export const SHARE_GROUP = 'chaos';

export interface ClusterOptions {
  dir: string;
  plantFile: string;
  enterprises: readonly string[];
  pollMs: number;
  widthMs: number;
  skewDevices: SkewDevice[];
  log: (line: string) => void;
}

export interface GatewayHandle {
  enterprise: string;
  file: string;
  health: string;
  proc: ManagedProcess | undefined;
  /** Read logs, one per process started (`reads-<enterprise>-<n>.jsonl`). */
  logs: string[];
}

export interface HealthSnapshot {
  connected: boolean;
  entries: number;
  appended: number;
}

const MOSQUITTO_EXTRA = () => 'max_inflight_messages 0\n';

export class Cluster {
  readonly o: ClusterOptions;
  influx!: RestartableInfluxd;
  proxy!: WriteProxy;
  broker: Mosquitto | undefined;
  brokerPort = 0;
  controlUrl = '';
  trackerUrl = '';
  skew!: SkewEdge;
  readonly gateways = new Map<string, GatewayHandle>();
  readonly workers = new Map<string, ManagedProcess>();
  readonly #procs: ManagedProcess[] = [];
  readonly #cleanup: (() => Promise<unknown>)[] = [];

  constructor(o: ClusterOptions) {
    this.o = o;
  }

  get brokerUrl(): string {
    return `mqtt://[::1]:${this.brokerPort}`;
  }

  get #persistence(): string {
    return path.join(this.o.dir, 'mosquitto');
  }

  async start(): Promise<void> {
    const { dir, log } = this.o;
    await mkdir(this.#persistence, { recursive: true });
    await mkdir(path.join(dir, 'influxd'), { recursive: true });
    const [influx, broker] = await Promise.all([
      startRestartableInfluxd(path.join(dir, 'influxd')),
      startMosquitto({ persistenceDir: this.#persistence, extra: MOSQUITTO_EXTRA, timeoutMs: 20_000 }),
    ]);
    this.influx = influx;
    this.#cleanup.push(() => influx.stop());
    this.broker = broker;
    this.brokerPort = broker.port;
    this.#cleanup.push(() => this.broker?.stop() ?? Promise.resolve());
    this.proxy = new WriteProxy(influx.port);
    await this.proxy.start();
    this.#cleanup.push(() => this.proxy.close());
    log(`influxd ${influx.url} (writes through ${this.proxy.url}), mosquitto ${broker.url}`);

    await this.#startSim();
    // The cloud first: workers must see the gateways' births (docs/scaling.md).
    await Promise.all([this.#startTracker(), this.startWorker('w1'), this.startWorker('w2')]);
    log(`tracker ${this.trackerUrl}, workers w1 w2 (share group ${SHARE_GROUP})`);
    this.skew = new SkewEdge({
      url: this.brokerUrl,
      group: SKEW_ENTERPRISE,
      node: 'skew-edge',
      devices: this.o.skewDevices,
      periodMs: 1000,
    });
    this.skew.start();
    this.#cleanup.push(() => this.skew.stop());
    await Promise.all(this.o.enterprises.map((e) => this.startGateway(e)));
    log(`gateways ${this.o.enterprises.join(' ')} polling every ${this.o.pollMs} ms`);
  }

  async close(): Promise<void> {
    for (const p of [...this.#procs].reverse()) await p.stop().catch(() => undefined);
    for (const c of this.#cleanup.splice(0).reverse()) await c().catch(() => undefined);
  }

  // ── the fault timeline's handles ──────────────────────────────────────────────────────────

  /** SIGTERM: mosquitto saves its persistence (sessions, queued messages) and exits. */
  async stopBroker(): Promise<void> {
    const b = this.broker;
    this.broker = undefined;
    await b?.stop();
  }

  /** The same port and persistence directory. */
  async startBroker(): Promise<void> {
    this.broker = await startMosquitto({
      port: this.brokerPort,
      persistenceDir: this.#persistence,
      extra: MOSQUITTO_EXTRA,
      timeoutMs: 20_000,
    });
  }

  async killGateway(enterprise: string): Promise<void> {
    const g = this.#gateway(enterprise);
    g.proc?.child.kill('SIGKILL');
    await g.proc?.exited;
    g.proc = undefined;
  }

  async stopGateway(enterprise: string): Promise<void> {
    const g = this.#gateway(enterprise);
    await g.proc?.stop(15_000);
    g.proc = undefined;
  }

  async startGateway(enterprise: string): Promise<void> {
    const g = this.#gateway(enterprise);
    const readLog = path.join(this.o.dir, `reads-${enterprise}-${g.logs.length + 1}.jsonl`);
    g.logs.push(readLog);
    const p = this.#spawn(`gateway ${enterprise}`, ['gateway', g.file], {
      LOG_LEVEL: 'warn',
      LIANWANG_READ_LOG: readLog,
    });
    g.proc = p;
    await untilReady(p, async () => (await fetch(`${g.health}/health`)).status > 0, {
      what: `gateway ${enterprise} /health`,
      timeoutMs: 60_000,
    });
  }

  async killWorker(id: string): Promise<void> {
    const w = this.workers.get(id);
    w?.child.kill('SIGKILL');
    await w?.exited;
    this.workers.delete(id);
  }

  async startWorker(id: string): Promise<void> {
    const p = this.#cloud(id, [
      'cloud',
      '--role',
      'worker',
      '--protocol',
      '5',
      '--share-group',
      SHARE_GROUP,
      '--client-id',
      id,
      '--broker',
      this.brokerUrl,
      '--influx',
      `${this.proxy.url}/${DATABASE}`,
      '--data',
      path.join(this.o.dir, id),
    ]);
    this.workers.set(id, p);
    await untilReady(p, () => p.tail().includes('"msg":"cloud ready"'), {
      what: `${id} ready`,
      timeoutMs: 60_000,
    });
  }

  /** A simulator fault through the control API (`lianwang sim fault` does the same). */
  async fault(device: string, fault: string, forMs: number): Promise<void> {
    const res = await fetch(`${this.controlUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device, fault, for: `${forMs}ms` }),
    });
    if (!res.ok) throw new Error(`sim fault ${device} ${fault}: ${res.status} ${await res.text()}`);
  }

  async clearFaults(devices: readonly string[]): Promise<void> {
    for (const device of devices)
      await fetch(`${this.controlUrl}/faults?${new URLSearchParams({ device }).toString()}`, {
        method: 'DELETE',
      });
  }

  /** Each running gateway's /health, or undefined while it is down. */
  async health(enterprise: string): Promise<HealthSnapshot | undefined> {
    const g = this.#gateway(enterprise);
    if (!g.proc) return undefined;
    try {
      const body = (await (
        await fetch(`${g.health}/health`, { signal: AbortSignal.timeout(2_000) })
      ).json()) as {
        mqtt: { connected: boolean };
        queue: { entries: number; appended: number };
      };
      return { connected: body.mqtt.connected, entries: body.queue.entries, appended: body.queue.appended };
    } catch {
      return undefined;
    }
  }

  /** Last output of every process, for a failure's message. */
  tails(): string {
    return this.#procs
      .map((p) => `--- ${p.name} ---\n${p.tail().split('\n').slice(-15).join('\n')}`)
      .join('\n');
  }

  // ── start-up ──────────────────────────────────────────────────────────────────────────────

  async #startSim(): Promise<void> {
    const emitDir = path.join(this.o.dir, 'gateways');
    const controlPort = await freePort();
    const sim = this.#spawn('sim', [
      'sim',
      this.o.plantFile,
      '--ephemeral-ports',
      '--emit-gateway-config',
      emitDir,
      '--broker',
      this.brokerUrl,
      '--control-port',
      String(controlPort),
      '--seed',
      '7',
    ]);
    await untilReady(sim, () => sim.tail().includes('control API on'), {
      what: 'the simulators',
      timeoutMs: 60_000,
    });
    this.controlUrl = `http://[::1]:${controlPort}`;
    for (const enterprise of this.o.enterprises) {
      const file = path.join(emitDir, `${enterprise}.yaml`);
      const port = await freePort();
      await this.#tuneGatewayFile(file, enterprise, port);
      this.gateways.set(enterprise, {
        enterprise,
        file,
        health: `http://[::1]:${port}`,
        proc: undefined,
        logs: [],
      });
    }
  }

  /** The emitted gateway file, with the run's polling, MQTT 5, fast reconnects, a buffer dir and /health. */
  async #tuneGatewayFile(file: string, enterprise: string, httpPort: number): Promise<void> {
    const doc = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    doc.mqtt = {
      brokers: [this.brokerUrl],
      protocolVersion: 5,
      keepalive: '5s',
      connectTimeout: '3s',
      reconnectMin: '100ms',
      reconnectMax: '1s',
    };
    doc.polling = {
      interval: `${this.o.pollMs}ms`,
      timeout: `${Math.min(1000, Math.round(this.o.pollMs * 0.8))}ms`,
      backoffMin: '200ms',
      backoffMax: '2s',
    };
    doc.buffer = { dir: path.join(this.o.dir, `buffer-${enterprise}`) };
    doc.http = { host: '::1', port: httpPort };
    await writeFile(file, stringify(doc));
  }

  async #startTracker(): Promise<void> {
    const port = await freePort();
    const staticDir = path.join(this.o.dir, 'static');
    await mkdir(staticDir, { recursive: true });
    const p = this.#cloud('tracker', [
      'cloud',
      '--role',
      'tracker',
      '--protocol',
      '5',
      '--broker',
      this.brokerUrl,
      '--influx',
      `${this.proxy.url}/${DATABASE}`,
      '--plant',
      this.o.plantFile,
      '--data',
      path.join(this.o.dir, 'tracker'),
      '--bind',
      '::1',
      '--port',
      String(port),
      '--width',
      `${this.o.widthMs / 1000}s`,
      // An empty directory: the API without building the dashboard.
      '--static',
      staticDir,
    ]);
    await untilReady(p, () => p.tail().includes('"msg":"cloud ready"'), {
      what: 'tracker ready',
      timeoutMs: 60_000,
    });
    this.trackerUrl = `http://[::1]:${port}`;
  }

  #spawn(name: string, args: string[], env: Record<string, string> = {}): ManagedProcess {
    const p = startProcess(name, process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    });
    this.#procs.push(p);
    return p;
  }

  /** A cloud process: at LOG_LEVEL info, whose "cloud ready" line says it is subscribed. */
  #cloud(name: string, args: string[]): ManagedProcess {
    return this.#spawn(name, args, { LOG_LEVEL: 'info' });
  }

  #gateway(enterprise: string): GatewayHandle {
    const g = this.gateways.get(enterprise);
    if (!g) throw new Error(`no gateway for ${enterprise}`);
    return g;
  }
}
