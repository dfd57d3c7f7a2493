/**
 * Ingest vs raw InfluxDB, same influxd, same run, same points.
 *
 * - raw ceiling: the points as line protocol, byte for byte what the store writes for them (the
 *   births' null values included, tags in key order, the same retention policy), built before
 *   the clock starts, POSTed to /write in 5,000-line batches, four in flight (as ingest's
 *   batcher). Measured into a fresh database before and after ingest (the first run in a fresh
 *   influxd, and influxd compacting what it wrote, both weigh on one side); the mean is the
 *   ceiling.
 * - lianwang: the same points as Sparkplug DDATA (100 metrics per message, by alias) queued at
 *   mosquitto for ingest's persistent session, then drained by `buildCloud` (the whole host
 *   application: decode, aliases, seq, availability, batcher, store) in a child process of its
 *   own — as `lianwang cloud` runs — until every sample is durable. Its CPU is the child's
 *   (all threads, GC included) over the drain, also given per million points: the figure to
 *   compare between runs on a shared machine.
 *
 * Ratio = ingest / raw points per second. Full: 2,000,000 points; --short: 500,000 (≤ 30 s).
 *
 *   npx tsx bench/ingest.ts [--short] [--points N] [--cpu-prof FILE]
 *
 * --cpu-prof writes a V8 CPU profile of the ingest child over the drain and prints its top frames.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { SparkplugType as T } from '../wire/sparkplug/index.ts';
import { startInfluxd } from '../test/helpers/influxd.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { EdgeScript } from '../test/helpers/sparkplug-frames.ts';
import { type CpuProfile, topFrames } from './cpu-profile.ts';
import { load1 } from './harness.ts';

export interface IngestBenchResult {
  samples: number;
  rawPointsPerSecond: number;
  /** The two raw runs (before and after ingest) whose mean is rawPointsPerSecond. */
  rawRuns: number[];
  ingestPointsPerSecond: number;
  ratio: number;
  /** CPU of the ingest process over the drain, % of one core. */
  ingestCpuPercent: number;
  /** Ingest CPU-seconds per million points stored. */
  ingestCpuSecondsPerMillion: number;
  ingestRssMb: number;
  /** 1-minute load average at the start and at the end. */
  load: [number, number];
}

export interface IngestBenchOptions {
  /** Points per contender (rounded to whole messages). Default 2,000,000, short 500,000. */
  points?: number;
  /** Write a CPU profile of the ingest child's drain here. */
  cpuProfile?: string;
}

const METRICS_PER_MESSAGE = 100;
const DEVICES = 50;
const NODES = 5;
const BATCH = 5_000;
const RP = 'lianwang'; // the store's retention policy (cloud/store/influx.ts), 90 days

/** Message i of the stream: device, node, time and the value of metric m (both contenders). */
const point = (t0: number, i: number) => ({ device: i % DEVICES, time: t0 + i * 10 });
const valueOf = (i: number, m: number): number => i + m / 100;

/** The lines of the DBIRTHs: every metric declared with a null value (stored without a value field). */
function birthLines(t0: number): string {
  const lines: string[] = [];
  for (let device = 0; device < DEVICES; device++)
    for (let m = 0; m < METRICS_PER_MESSAGE; m++)
      lines.push(
        `telemetry,device=dev-${device},enterprise=bench,metric=m${m},node=gw-${device % NODES}` +
          ` good=false,historical=false ${t0}`,
      );
  return lines.join('\n');
}

/** The lines ingest writes for message i, as the store writes them (influx-lines.ts). */
function rawLines(t0: number, i: number): string {
  const { device, time } = point(t0, i);
  let out = '';
  for (let m = 0; m < METRICS_PER_MESSAGE; m++)
    out +=
      `${out ? '\n' : ''}telemetry,device=dev-${device},enterprise=bench,metric=m${m},node=gw-${device % NODES}` +
      ` good=true,historical=false,value=${valueOf(i, m)} ${time}`;
  return out;
}

async function influxQuery(url: string, q: string, db = ''): Promise<unknown[][]> {
  const r = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q, db }) });
  if (r.status !== 200) throw new Error(`${q}: HTTP ${r.status} ${await r.text()}`);
  const body = (await r.json()) as { results?: { series?: { values?: unknown[][] }[] }[] };
  return body.results?.[0]?.series?.[0]?.values ?? [];
}

/** Points, null values and the sum of the values in a database: both contenders must agree. */
async function contents(url: string, db: string): Promise<string> {
  const rows = await influxQuery(
    url,
    `SELECT COUNT("good"), COUNT("value"), SUM("value") FROM "${RP}"."telemetry"`,
    db,
  );
  return JSON.stringify(rows[0]?.slice(1));
}

/** Points per second of raw batched writes of the stream into a fresh database `db`. */
async function rawWrite(url: string, db: string, t0: number, messages: number): Promise<number> {
  await influxQuery(url, `CREATE DATABASE ${db}`);
  await influxQuery(url, `CREATE RETENTION POLICY ${RP} ON ${db} DURATION 90d REPLICATION 1 DEFAULT`);
  const perBatch = BATCH / METRICS_PER_MESSAGE;
  const bodies: Buffer[] = [Buffer.from(birthLines(t0))];
  for (let i = 0; i < messages; i += perBatch) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(messages, i + perBatch); j++) lines.push(rawLines(t0, j));
    bodies.push(Buffer.from(lines.join('\n')));
  }
  const start = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const r = await fetch(`${url}/write?db=${db}&rp=${RP}&precision=ms`, { method: 'POST', body });
      if (r.status !== 204) throw new Error(`raw write: HTTP ${r.status} ${await r.text()}`);
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  return ((DEVICES + messages) * METRICS_PER_MESSAGE) / ((performance.now() - start) / 1000);
}

/** Queues the stream at the broker as Sparkplug (births first), returns the samples the births carry. */
async function publish(broker: string, t0: number, messages: number): Promise<number> {
  const metrics = Object.fromEntries(
    Array.from({ length: METRICS_PER_MESSAGE }, (_, m) => [`m${m}`, T.Double]),
  );
  const nodes = Array.from(
    { length: NODES },
    (_, n) =>
      new EdgeScript(
        'bench',
        `gw-${n}`,
        Array.from({ length: DEVICES / NODES }, (_, d) => ({ id: `dev-${d * NODES + n}`, metrics })),
      ),
  );
  const pub = await mqtt.connectAsync(broker, { protocolVersion: 5, clientId: 'bench-pub' });
  let births = 0;
  for (const gw of nodes) {
    const nbirth = gw.nbirth(t0);
    await pub.publishAsync(nbirth.topic, nbirth.payload, { qos: 1 });
    for (const d of gw.devices) {
      const f = gw.dbirth(d.id, t0);
      await pub.publishAsync(f.topic, f.payload, { qos: 1 });
      births += METRICS_PER_MESSAGE;
    }
  }
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < messages; i++) {
    const { device, time } = point(t0, i);
    const gw = nodes[device % NODES] as EdgeScript;
    const values = Array.from({ length: METRICS_PER_MESSAGE }, (_, m) => ({
      metric: `m${m}`,
      time,
      value: valueOf(i, m),
    }));
    const f = gw.ddata(`dev-${device}`, values);
    pending.push(pub.publishAsync(f.topic, f.payload, { qos: 1 }));
    if (pending.length >= 500) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await pub.endAsync();
  return births;
}

// ----------------------------------------------------------------------------- ingest child

interface ChildArgs {
  broker: string;
  influx: string;
  dataDir: string;
  cpuProfile?: string;
}

/** Parent → child, once the stream is queued: the samples stored when it is drained. */
interface Drain {
  cmd: 'drain';
  expected: number;
}

interface Drained {
  cmd: 'drained';
  seconds: number;
  cpuSeconds: number;
  stored: number;
  rssMb: number;
}

/** The ingest process: creates its session ('session'), then on 'drain' drains the queue ('drained'). */
async function child(a: ChildArgs): Promise<void> {
  const [{ buildCloud }, { default: pino }, { waitFor }] = await Promise.all([
    import('../cloud/app.ts'),
    import('pino'),
    import('../test/helpers/wait.ts'),
  ]);
  const open = () =>
    buildCloud({
      mqtt: { broker: a.broker, protocolVersion: 5, clientId: 'bench-ingest' },
      plants: ['config/plants/demo.yaml'],
      dataDir: a.dataDir,
      influx: a.influx,
      log: pino({ level: 'warn' }),
    });
  const send = (m: object) => process.send?.(m);
  let cloud = await open();
  await cloud.ingest.ready();
  await cloud.stop();
  const drain = new Promise<Drain>((resolve) => process.once('message', (m: Drain) => resolve(m)));
  send({ cmd: 'session' });
  const { expected } = await drain;

  const inspector = a.cpuProfile ? await import('node:inspector/promises') : undefined;
  const session = inspector ? new inspector.Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  // Timed from before the cloud is built: its start (store open, ledger, availability restored,
  // API; ~80 ms) is counted against ingest, so no message can be taken in before the clock runs.
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  cloud = await open();
  await waitFor(() => cloud.stats().samplesStored >= expected, {
    what: `${expected} samples through ingest`,
    timeoutMs: 900_000,
    intervalMs: 20,
  });
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (session && a.cpuProfile) {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(a.cpuProfile, JSON.stringify(profile));
    session.disconnect();
  }
  const drained: Drained = {
    cmd: 'drained',
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    stored: cloud.stats().samplesStored,
    rssMb: process.memoryUsage().rss / 2 ** 20,
  };
  send(drained);
  await cloud.stop();
  process.disconnect?.();
}

// ----------------------------------------------------------------------------- parent

export async function ingestBench(short: boolean, opts: IngestBenchOptions = {}): Promise<IngestBenchResult> {
  const messages = Math.max(
    1,
    Math.round((opts.points ?? (short ? 500_000 : 2_000_000)) / METRICS_PER_MESSAGE),
  );
  const samples = messages * METRICS_PER_MESSAGE;
  const loadAtStart = load1();
  const influxd = await startInfluxd();
  const mosquitto = await startMosquitto({ extra: () => 'max_inflight_messages 0\n' });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lianwang-bench-ingest-'));
  const args: ChildArgs = {
    broker: mosquitto.url,
    influx: `${influxd.url}/ingest`,
    dataDir,
    ...(opts.cpuProfile ? { cpuProfile: path.resolve(opts.cpuProfile) } : {}),
  };
  const proc = fork(fileURLToPath(import.meta.url), ['--ingest-child', JSON.stringify(args)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // Messages are kept from the start: the child may report before the parent asks.
  const inbox: { cmd: string }[] = [];
  let wake = (): void => undefined;
  proc.on('message', (m: { cmd: string }) => {
    inbox.push(m);
    wake();
  });
  const exited = new Promise<never>((_, reject) =>
    proc.once('exit', (code) => reject(new Error(`ingest child exited (${code})`))),
  );
  exited.catch(() => undefined);
  const next = async <M extends { cmd: string }>(cmd: M['cmd']): Promise<M> => {
    for (;;) {
      const i = inbox.findIndex((m) => m.cmd === cmd);
      if (i >= 0) return inbox.splice(i, 1)[0] as M;
      await Promise.race([new Promise<void>((resolve) => (wake = resolve)), exited]);
    }
  };
  try {
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    // The child has started, created its persistent session and disconnected (not while raw runs).
    await next('session');
    const rawBefore = await rawWrite(influxd.url, 'raw_before', t0, messages);
    // Queue the stream at the broker for the child's session.
    const births = await publish(mosquitto.url, t0, messages);
    const drain: Drain = { cmd: 'drain', expected: samples + births };
    proc.send(drain);
    const drained = await next<Drained>('drained');
    await exited.catch(() => undefined);

    const rawAfter = await rawWrite(influxd.url, 'raw_after', t0, messages);
    const rawPointsPerSecond = (rawBefore + rawAfter) / 2;
    // The same data reached influxd both ways (and every sample counted is there).
    const [raw, ingested] = [await contents(influxd.url, 'raw_after'), await contents(influxd.url, 'ingest')];
    if (raw !== ingested) throw new Error(`stored points differ: raw ${raw}, ingest ${ingested}`);
    const points = drained.stored;
    const ingestPointsPerSecond = points / drained.seconds;
    if (opts.cpuProfile) {
      const { readFile } = await import('node:fs/promises');
      const profile = JSON.parse(await readFile(opts.cpuProfile, 'utf8')) as CpuProfile;
      console.error(`CPU profile of the ingest drain: ${opts.cpuProfile}; top frames by self time:`);
      for (const f of topFrames(profile, 25))
        console.error(
          `  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(6)} ms  ${f.frame}`,
        );
    }
    return {
      samples,
      rawPointsPerSecond,
      rawRuns: [rawBefore, rawAfter],
      ingestPointsPerSecond,
      ratio: ingestPointsPerSecond / rawPointsPerSecond,
      ingestCpuPercent: (drained.cpuSeconds / drained.seconds) * 100,
      ingestCpuSecondsPerMillion: (drained.cpuSeconds / points) * 1e6,
      ingestRssMb: drained.rssMb,
      load: [loadAtStart, load1()],
    };
  } finally {
    if (proc.exitCode === null) proc.kill();
    await mosquitto.stop();
    await influxd.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function ingestTable(r: IngestBenchResult): [string, string, string][] {
  const f = (n: number) => Math.round(n).toLocaleString('en');
  return [
    [
      `cloud: ingest → InfluxDB vs raw line protocol (${f(r.samples)} points, same influxd)`,
      `${f(r.ingestPointsPerSecond)} vs ${f(r.rawPointsPerSecond)} points/s = ${(r.ratio * 100).toFixed(0)}%` +
        ` (ingest ${r.ingestCpuPercent.toFixed(0)}% CPU, ${r.ingestCpuSecondsPerMillion.toFixed(2)} CPU-s per million points;` +
        ` raw ${r.rawRuns.map(f).join(' before / ')} after; load ${r.load.map((l) => l.toFixed(1)).join(' → ')})`,
      'target ≥ 70%',
    ],
  ];
}

const childAt = process.argv.indexOf('--ingest-child');
if (childAt >= 0) {
  await child(JSON.parse(process.argv[childAt + 1] ?? '{}') as ChildArgs);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const points = arg('points');
  const cpuProfile = arg('cpu-prof');
  const r = await ingestBench(process.argv.includes('--short'), {
    ...(points ? { points: Number(points) } : {}),
    ...(cpuProfile ? { cpuProfile } : {}),
  });
  for (const [a, b, c] of ingestTable(r)) console.log(`${a}\n  ${b}  (${c})`);
}
