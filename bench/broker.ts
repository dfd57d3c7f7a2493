/**
 * Broker throughput, for sizing (issue 8: "aedes embedded vs mosquitto"): messages per second
 * delivered end to end through
 * - aedes embedded: `lianwang broker` in a child process (MQTT 3.1.1, state in memory);
 * - mosquitto 2 with the settings docs/scaling.md recommends (tcp_nodelay, no inflight or queue cap);
 * - an aedes cluster: two `lianwang broker --redis` nodes and a redis-server, published on one node
 *   and delivered from the other (every message crosses Redis pub/sub; at QoS 1 it is also queued in
 *   Redis for the subscriber's persistent session, as for an ingest).
 * The payload is a real Sparkplug B DDATA of 15 Double metrics (~310 B) from the shared codec. Four
 * publishers (gateways) and one subscriber (ingest: a persistent session at QoS 1), MQTT 3.1.1 for
 * all, run in a load child process of their own, so each broker's CPU and RSS are measured apart
 * from the clients'. The publishers keep a fixed window of messages published but not yet delivered
 * (closed loop): the broker runs flat out without an unbounded backlog. The machine's load average
 * is recorded with each run: on a shared machine, compare the ratios of one run, not absolute figures.
 *
 *   npx tsx bench/broker.ts [--short]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { SparkplugType as T } from '../wire/sparkplug/index.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { freePort } from '../test/helpers/ports.ts';
import { startRedis } from '../test/helpers/redis.ts';
import { EdgeScript } from '../test/helpers/sparkplug-frames.ts';
import { type Child, startChild } from './child.ts';
import { sampleProc } from './proc.ts';

const METRICS_PER_MESSAGE = 15;
/** Messages published and not yet delivered, at most (all publishers together). */
const WINDOW = 2_000;
/** Publisher connections (gateways), one subscriber (ingest). */
const PUBLISHERS = 4;

export interface BrokerRun {
  broker: 'aedes' | 'mosquitto' | 'aedes-cluster';
  qos: 0 | 1;
  messagesPerSecond: number;
  /**
   * Messages per second of broker CPU (both nodes for the cluster; Redis not included): what one core
   * sustains, the sizing figure that holds on a busy machine where the broker did not get a whole core.
   */
  messagesPerCpuSecond: number;
  /** Of one core; for the cluster both nodes together. */
  brokerCpuPercent: number;
  /** Peak during the measurement; for the cluster both nodes together. */
  brokerRssMb: number;
  /** redis-server, cluster only. */
  redisCpuPercent?: number;
  /** The load process (publisher + subscriber): near 100% means the clients, not the broker, were the limit. */
  loadCpuPercent: number;
  /** Published but never delivered once the publisher stopped (QoS 0 may drop; should be 0). */
  undelivered: number;
  /** 1-minute load average of the machine at the end of the run. */
  machineLoad: number;
}

export interface BrokerBenchResult {
  payloadBytes: number;
  metricsPerMessage: number;
  window: number;
  measureSeconds: number;
  runs: BrokerRun[];
}

interface LoadRequest {
  pubUrl: string;
  subUrl: string;
  qos: 0 | 1;
  warmupMs: number;
  measureMs: number;
}
type LoadMessage =
  | { type: 'measuring' }
  | { type: 'done'; delivered: number; seconds: number; cpuSeconds: number; undelivered: number }
  | { type: 'error'; message: string };

function ddata(): { topic: string; payload: Buffer } {
  const metrics = Object.fromEntries(
    Array.from({ length: METRICS_PER_MESSAGE }, (_, m) => [`m${m}`, T.Double]),
  );
  const edge = new EdgeScript('bench', 'gw-1', [{ id: 'press-1', metrics }]);
  const t = Date.now();
  return edge.ddata(
    'press-1',
    Array.from({ length: METRICS_PER_MESSAGE }, (_, m) => ({
      metric: `m${m}`,
      time: t,
      value: 20 + m * 1.37,
    })),
  );
}

// ---- the load process -------------------------------------------------------------------------

let runCount = 0;
async function load(req: LoadRequest, send: (m: LoadMessage) => void): Promise<void> {
  const frame = ddata();
  const tag = `${process.pid}-${runCount++}`;
  const opts = { protocolVersion: 4 as const, reconnectPeriod: 0, connectTimeout: 10_000 };
  // QoS 1: a persistent session, as ingest has (the cluster then queues each message in Redis).
  const sub = await mqtt.connectAsync(req.subUrl, {
    ...opts,
    clientId: `bench-sub-${tag}`,
    clean: req.qos === 0,
  });
  const pubs = await Promise.all(
    Array.from({ length: PUBLISHERS }, (_, i) =>
      mqtt.connectAsync(req.pubUrl, { ...opts, clientId: `bench-pub-${tag}-${i}` }),
    ),
  );
  // mqtt.js leaves Nagle on: small publishes would then wait for delayed ACKs (~40 ms round trips).
  for (const c of [sub, ...pubs]) (c.stream as Socket).setNoDelay(true);
  await sub.subscribeAsync('spBv1.0/bench/DDATA/#', { qos: req.qos });
  const topics = pubs.map((_, i) => frame.topic.replace('/gw-1/', `/gw-${i + 1}/`));
  let sent = 0;
  let delivered = 0;
  let pumping = true;
  const pump = () => {
    while (pumping && sent - delivered < WINDOW) {
      const i = sent % PUBLISHERS;
      pubs[i]?.publish(topics[i] ?? frame.topic, frame.payload, { qos: req.qos });
      sent++;
    }
  };
  sub.on('message', () => {
    delivered++;
    if (sent - delivered <= WINDOW / 2) pump();
  });
  pump();
  await new Promise((resolve) => setTimeout(resolve, req.warmupMs));
  send({ type: 'measuring' });
  const d0 = delivered;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, req.measureMs));
  const seconds = (performance.now() - t0) / 1000;
  const count = delivered - d0;
  const cpu = process.cpuUsage(cpu0);
  pumping = false;
  // Drain what is still on its way (bounded), then report what never arrived.
  const deadline = Date.now() + 5_000;
  while (delivered < sent && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await Promise.all(pubs.map((p) => p.endAsync()));
  // Ends the persistent session too, so a later run starts clean.
  await sub.endAsync();
  if (req.qos === 1) {
    const c = await mqtt.connectAsync(req.subUrl, { ...opts, clientId: `bench-sub-${tag}`, clean: true });
    await c.endAsync();
  }
  send({
    type: 'done',
    delivered: count,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    undelivered: sent - delivered,
  });
}

if (
  process.argv[1] &&
  import.meta.url === pathToFileURL(process.argv[1]).href &&
  process.argv.includes('--load')
) {
  const send = (m: LoadMessage) => process.send?.(m);
  process.on('message', (req: LoadRequest) => {
    load(req, send).catch((err: unknown) => send({ type: 'error', message: (err as Error).message }));
  });
  process.on('disconnect', () => process.exit(0));
}

// ---- the benchmark ----------------------------------------------------------------------------

class LoadProcess {
  readonly #child: ChildProcess;
  constructor() {
    this.#child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--load'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }
  /** Runs one measurement; `sample` is called as the measurement starts and as it ends. */
  run(req: LoadRequest, onMeasuring: () => void): Promise<Extract<LoadMessage, { type: 'done' }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: LoadMessage) => {
        if (m.type === 'measuring') return onMeasuring();
        this.#child.off('message', onMessage);
        this.#child.off('exit', onExit);
        if (m.type === 'done') resolve(m);
        else reject(new Error(`broker bench load: ${m.message}`));
      };
      const onExit = (code: number | null) => reject(new Error(`broker bench load process exited (${code})`));
      this.#child.on('message', onMessage);
      this.#child.once('exit', onExit);
      this.#child.send(req);
    });
  }
  stop(): void {
    this.#child.disconnect();
  }
}

/** CPU seconds and peak RSS of some processes, sampled every 200 ms between start() and stop(). */
class ProcWatch {
  readonly #pids: number[];
  #cpu0 = 0;
  #t0 = 0;
  #peak = 0;
  #timer: NodeJS.Timeout | undefined;
  constructor(pids: number[]) {
    this.#pids = pids;
  }
  async #sample(): Promise<{ cpu: number; rss: number }> {
    const s = await Promise.all(this.#pids.map((p) => sampleProc(p)));
    const rss = s.reduce((n, x) => n + x.rssMb, 0);
    this.#peak = Math.max(this.#peak, rss);
    return { cpu: s.reduce((n, x) => n + x.cpuSeconds, 0), rss };
  }
  async start(): Promise<void> {
    this.#peak = 0;
    this.#cpu0 = (await this.#sample()).cpu;
    this.#t0 = performance.now();
    this.#timer = setInterval(() => void this.#sample().catch(() => undefined), 200);
  }
  async stop(): Promise<{ cpuPercent: number; peakRssMb: number }> {
    clearInterval(this.#timer);
    const { cpu } = await this.#sample();
    const seconds = (performance.now() - this.#t0) / 1000;
    return { cpuPercent: ((cpu - this.#cpu0) / seconds) * 100, peakRssMb: this.#peak };
  }
}

/** The pid of the process whose command line contains every one of `parts`. */
async function pidOf(...parts: string[]): Promise<number> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (parts.every((p) => cmd.includes(p))) return Number(entry);
  }
  throw new Error(`no process with ${parts.join(' ')}`);
}

export async function brokerBench(short: boolean): Promise<BrokerBenchResult> {
  const warmupMs = short ? 400 : 2_000;
  const measureMs = short ? 1_500 : 10_000;
  const runs: BrokerRun[] = [];
  const loader = new LoadProcess();
  const measure = async (
    broker: BrokerRun['broker'],
    urls: { pub: string; sub: string },
    brokerPids: number[],
    redisPid?: number,
  ) => {
    for (const qos of [0, 1] as const) {
      const brokers = new ProcWatch(brokerPids);
      const redis = redisPid === undefined ? undefined : new ProcWatch([redisPid]);
      let started: Promise<unknown> = Promise.resolve();
      const r = await loader.run({ pubUrl: urls.pub, subUrl: urls.sub, qos, warmupMs, measureMs }, () => {
        started = Promise.all([brokers.start(), redis?.start()]);
      });
      await started;
      const b = await brokers.stop();
      const rd = await redis?.stop();
      runs.push({
        broker,
        qos,
        messagesPerSecond: r.delivered / r.seconds,
        messagesPerCpuSecond: r.delivered / r.seconds / (b.cpuPercent / 100),
        brokerCpuPercent: b.cpuPercent,
        brokerRssMb: b.peakRssMb,
        ...(rd ? { redisCpuPercent: rd.cpuPercent } : {}),
        loadCpuPercent: (r.cpuSeconds / r.seconds) * 100,
        undelivered: r.undelivered,
        machineLoad: loadavg()[0] ?? Number.NaN,
      });
      console.error(
        `broker bench: ${broker} QoS ${qos}: ${Math.round(r.delivered / r.seconds)} msg/s, broker ${b.cpuPercent.toFixed(0)}% CPU`,
      );
    }
  };
  const children: Child[] = [];
  try {
    // aedes embedded, as `lianwang broker` runs it.
    const port = await freePort();
    const aedes = await startChild(['broker', '--port', String(port)], /broker ready/);
    children.push(aedes);
    const url = `mqtt://[::1]:${port}`;
    await measure('aedes', { pub: url, sub: url }, [aedes.pid]);
    await aedes.stop();

    let conf = '';
    const mosquitto = await startMosquitto({
      extra: (dir) => {
        conf = `${dir}/mosquitto.conf`;
        return 'max_inflight_messages 0\n';
      },
    });
    try {
      await measure('mosquitto', { pub: mosquitto.url, sub: mosquitto.url }, [
        await pidOf('mosquitto', conf),
      ]);
    } finally {
      await mosquitto.stop();
    }

    const redis = await startRedis();
    try {
      const nodes: { child: Child; url: string }[] = [];
      for (let i = 0; i < 2; i++) {
        const p = await freePort();
        const child = await startChild(['broker', '--port', String(p), '--redis', redis.url], /broker ready/);
        children.push(child);
        nodes.push({ child, url: `mqtt://[::1]:${p}` });
      }
      const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
      await measure(
        'aedes-cluster',
        { pub: a.url, sub: b.url },
        nodes.map((n) => n.child.pid),
        await pidOf('redis-server', `:${redis.port}`),
      );
    } finally {
      for (const c of children) await c.stop();
      await redis.stop();
    }
  } finally {
    for (const c of children) await c.stop();
    loader.stop();
  }
  return {
    payloadBytes: ddata().payload.length,
    metricsPerMessage: METRICS_PER_MESSAGE,
    window: WINDOW,
    measureSeconds: measureMs / 1000,
    runs,
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');

export function brokerTable(r: BrokerBenchResult): [string, string, string][] {
  const mosquitto = (qos: 0 | 1) => r.runs.find((x) => x.broker === 'mosquitto' && x.qos === qos);
  const names = {
    aedes: 'aedes embedded',
    mosquitto: 'mosquitto 2',
    'aedes-cluster': 'aedes cluster (2 nodes + Redis, across nodes)',
  };
  return r.runs.map((x) => {
    const ref = mosquitto(x.qos);
    return [
      `broker: ${names[x.broker]}, QoS ${x.qos}, Sparkplug DDATA ${r.payloadBytes} B (${r.metricsPerMessage} metrics)`,
      `${fmt(x.messagesPerSecond)} msg/s (${fmt(x.messagesPerSecond * r.metricsPerMessage)} points/s); ` +
        `${fmt(x.messagesPerCpuSecond)} msg per broker CPU-second (${x.brokerCpuPercent.toFixed(0)}% CPU), ` +
        `${x.brokerRssMb.toFixed(0)} MB RSS` +
        `${x.redisCpuPercent === undefined ? '' : `, redis ${x.redisCpuPercent.toFixed(0)}% CPU`}; ` +
        `load client ${x.loadCpuPercent.toFixed(0)}% CPU; machine load ${x.machineLoad.toFixed(1)}`,
      x.broker === 'mosquitto' || !ref
        ? 'reference'
        : `${(x.messagesPerSecond / ref.messagesPerSecond).toFixed(2)} × mosquitto msg/s, ` +
          `${(x.messagesPerCpuSecond / ref.messagesPerCpuSecond).toFixed(2)} × per CPU-second`,
    ];
  });
}

if (
  process.argv[1] &&
  import.meta.url === pathToFileURL(process.argv[1]).href &&
  !process.argv.includes('--load')
) {
  const r = await brokerBench(process.argv.includes('--short'));
  console.log(JSON.stringify(r, null, 2));
  for (const row of brokerTable(r)) console.log(row.join('  |  '));
}
