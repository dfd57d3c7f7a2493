/**
 * Rates engine at province scale: a synthetic ledger (100,000 devices over ~430 enterprises,
 * every city and industry), 30 days of realistic availability (most devices online with a
 * few outages, some flapping, some mostly off, some never seen), then the cost of a 30-day
 * report, of an enterprise detail, and of marking samples on the ingest side; then a restart:
 * the state written as an availability snapshot to DuckDB and InfluxDB and restored from it
 * (bench/rates-restart.ts).
 *
 * `npx tsx --expose-gc bench/rates.ts [--short] [--no-restart] [--no-influx]` prints a table
 * (--expose-gc makes the memory figures settle); `ratesBench()` returns the figures.
 */
import { pathToFileURL } from 'node:url';
import type { Plant, ResolvedDevice, ResolvedEnterprise } from '../config/load/resolve.ts';
import { INDUSTRIES } from '../config/model/common.ts';
import type { Connectivity } from '../config/model/connectivity.ts';
import { Rng } from '../config/random.ts';
import { Ledger } from '../cloud/ledger/ledger.ts';
import { AvailabilityIndex } from '../cloud/rates/availability.ts';
import { createRatesEngine } from '../cloud/rates/engine.ts';
import type { OnlineMark } from '../cloud/store/types.ts';
import { restartBench, type RestartBenchRow } from './rates-restart.ts';

export interface RatesBenchOptions {
  devices?: number;
  days?: number;
  /** 10,000 devices × 7 days unless devices/days are given. */
  short?: boolean;
  /** The restart phase (default true); `influx: false` runs it on DuckDB only. */
  restart?: boolean;
  influx?: boolean;
}

export interface RatesBenchResult {
  devices: number;
  enterprises: number;
  days: number;
  widthMs: number;
  /** Online runs held by the index (all devices). */
  runs: number;
  ledgerMs: number;
  /** Restoring 30 days of availability from runs (the compact restart path). */
  loadMs: number;
  /** Restoring from per-bucket OnlineMarks, measured on a slice (1,000 devices × 1 day). */
  loadMarksPerSecond: number;
  /** Online buckets in the index: the marks a restart without a snapshot would read. */
  onlineBuckets: number;
  /** Restart from a snapshot, per store (empty with restart: false). */
  restart: RestartBenchRow[];
  rssMb: number;
  /** RSS growth from restoring the availability (index + per-device objects and maps). */
  indexRssMb: number;
  heapUsedMb: number;
  /** Bytes of the run arrays. */
  indexMb: number;
  /** Median of 5 full reports (province, cities, industries, enterprises, target) over the whole window. */
  reportMs: number;
  reportMaxMs: number;
  enterpriseMs: number;
  enterpriseDevices: number;
  /** trend() over the whole window: daily and hourly steps, one run each. */
  trendDailyMs: number;
  trendHourlyMs: number;
  /** mark(): live samples (in or right after the last run), a different device each call (cache-cold): ns. */
  markLiveNs: number;
  /** mark(): the same device 20 times in a row (the further metrics of one message): ns per call. */
  markHotNs: number;
  /** mark(): late samples at random past times: ns per call. */
  markLateNs: number;
  /** engine.sample(): mark + link status + unregistered check: ns per call. */
  sampleNs: number;
  provinceNetworkedRate: number | null;
}

const W = 60_000;
const DAY_BUCKETS = 1440;

export async function ratesBench(opts: RatesBenchOptions = {}): Promise<RatesBenchResult> {
  const devices = opts.devices ?? (opts.short ? 10_000 : 100_000);
  const days = opts.days ?? (opts.short ? 7 : 30);
  const rng = new Rng(2018);
  const end = Math.floor(Date.UTC(2026, 10, 1) / W) * W;
  const start = end - days * DAY_BUCKETS * W;

  let t = performance.now();
  const plant = syntheticPlant(devices, rng);
  const ledger = await Ledger.fromPlants([plant]);
  const ledgerMs = performance.now() - t;
  const all = ledger.devices();

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  // Availability: each device's runs are generated outside the timing and restored inside it,
  // one device at a time so the generator's garbage does not inflate the memory figures.
  const index = new AvailabilityIndex(W);
  let loadMs = 0;
  for (const d of all) {
    if (d.connectivity === 'none') continue;
    const runs = profileRuns(rng, start / W, end / W);
    t = performance.now();
    index.loadRuns(d.enterprise, d.id, runs);
    loadMs += performance.now() - t;
  }
  gc?.();
  const mem = process.memoryUsage();
  const stats = index.stats();

  const engine = createRatesEngine({ ledger, availability: index, clock: () => end });
  const q = { from: start, to: end };
  const reportTimes: number[] = [];
  let rate: number | null = null;
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    rate = engine.report(q, end + 1).province.window.networkedRate;
    reportTimes.push(performance.now() - t);
  }
  const biggest = [...ledger.enterprises()].sort(
    (a, b) => ledger.devices(b.id).length - ledger.devices(a.id).length,
  )[0];
  const enterpriseTimes: number[] = [];
  for (let i = 0; i < 5 && biggest; i++) {
    t = performance.now();
    engine.enterprise(biggest.id, q, end + 1);
    enterpriseTimes.push(performance.now() - t);
  }

  t = performance.now();
  engine.trend({ ...q, stepMs: DAY_BUCKETS * W }, end + 1);
  const trendDailyMs = performance.now() - t;
  t = performance.now();
  engine.trend({ ...q, stepMs: 60 * W }, end + 1);
  const trendHourlyMs = performance.now() - t;

  const loadMarksPerSecond = marksLoadRate(rng);
  let onlineBuckets = 0;
  for (const [, , runs] of index.devices()) onlineBuckets += runs.count(0, 2 ** 32);

  // Ingest side, live: every device reports once a second for a minute past the loaded window.
  const ents = all.map((d) => d.enterprise);
  const ids = all.map((d) => d.id);
  const seconds = opts.short ? 20 : 60;
  t = performance.now();
  for (let s = 0; s < seconds; s++) {
    const time = end + s * 1000;
    for (let i = 0; i < ids.length; i++) index.mark(ents[i]!, ids[i]!, time + (i & 511));
  }
  const markLiveNs = ((performance.now() - t) * 1e6) / (seconds * ids.length);

  // The same device again at once, as for each further metric of one DDATA message.
  const metrics = 20;
  const hotDevices = Math.min(ids.length, 20_000);
  t = performance.now();
  for (let i = 0; i < hotDevices; i++) {
    for (let m = 0; m < metrics; m++) index.mark(ents[i]!, ids[i]!, end + seconds * 1000 + m);
  }
  const markHotNs = ((performance.now() - t) * 1e6) / (hotDevices * metrics);

  // Late data: random devices, random times within the window (backfill after outages).
  const lateOps = opts.short ? 200_000 : 1_000_000;
  const late = Array.from(
    { length: lateOps },
    () => [rng.int(0, ids.length - 1), rng.between(start, end)] as const,
  );
  t = performance.now();
  for (const [i, time] of late) index.mark(ents[i]!, ids[i]!, time);
  const markLateNs = ((performance.now() - t) * 1e6) / lateOps;

  t = performance.now();
  const sampleSeconds = opts.short ? 5 : 10;
  for (let s = 0; s < sampleSeconds; s++) {
    const time = end + (seconds + s) * 1000;
    for (let i = 0; i < ids.length; i++) engine.sample(ents[i]!, 'gw', ids[i]!, time);
  }
  const sampleNs = ((performance.now() - t) * 1e6) / (sampleSeconds * ids.length);

  // Last, as it adds to the index: a restart from a snapshot of this state.
  // A gateway per enterprise, born with its connected devices: the link status a snapshot keeps.
  for (const e of ledger.enterprises()) {
    engine.event({ time: start, type: 'NBIRTH', enterprise: e.id, node: `gw-${e.id}` });
    for (const d of ledger.devices(e.id))
      if (d.connectivity !== 'none')
        engine.event({ time: start, type: 'DBIRTH', enterprise: e.id, node: `gw-${e.id}`, device: d.id });
  }
  const restart =
    opts.restart === false
      ? []
      : await restartBench({
          ledger,
          engine,
          widthMs: W,
          from: start,
          to: end,
          ...(opts.influx === false ? { duckdbOnly: true } : {}),
        });

  return {
    devices: all.length,
    enterprises: ledger.enterprises().length,
    days,
    widthMs: W,
    runs: stats.runs,
    ledgerMs,
    loadMs,
    loadMarksPerSecond,
    onlineBuckets,
    restart,
    rssMb: mem.rss / 2 ** 20,
    indexRssMb: (mem.rss - before.rss) / 2 ** 20,
    heapUsedMb: mem.heapUsed / 2 ** 20,
    indexMb: stats.bytes / 2 ** 20,
    reportMs: median(reportTimes),
    reportMaxMs: Math.max(...reportTimes),
    enterpriseMs: median(enterpriseTimes),
    enterpriseDevices: biggest ? ledger.devices(biggest.id).length : 0,
    trendDailyMs,
    trendHourlyMs,
    markLiveNs,
    markHotNs,
    markLateNs,
    sampleNs,
    provinceNetworkedRate: rate,
  };
}

/**
 * One device's online runs [start, end) in bucket numbers over [from, to):
 * 80% mostly online with a few outages (minutes to hours), 8% flapping (online 5–60 min,
 * off 1–20 min), 7% day shift only (~10 h a day), 5% connected but never heard.
 */
function profileRuns(rng: Rng, from: number, to: number): [number, number][] {
  const p = rng.next();
  if (p < 0.05) return [];
  const runs: [number, number][] = [];
  const emit = (on: (b: number) => number, off: () => number, first = from) => {
    for (let b = first; b < to;) {
      const e = Math.min(to, b + on(b));
      runs.push([b * W, e * W]);
      b = e + Math.max(1, off());
    }
  };
  if (p < 0.85) {
    const outages = rng.int(0, 6);
    const span = (to - from) / (outages + 1);
    emit(
      () => Math.max(1, Math.round(span * rng.between(0.7, 1))),
      () => Math.round(rng.exponential(120)),
    );
  } else if (p < 0.93) {
    emit(
      () => rng.int(5, 60),
      () => rng.int(1, 20),
    );
  } else {
    const dayStart = from - (from % DAY_BUCKETS) + 7 * 60;
    emit(
      () => rng.int(540, 660),
      () => DAY_BUCKETS - 600,
      dayStart < from ? dayStart + DAY_BUCKETS : dayStart,
    );
  }
  return runs;
}

function syntheticPlant(devices: number, rng: Rng): Plant {
  const cities = Array.from({ length: 14 }, (_, i) => ({ id: `city-${i}`, name: `城市${i}` }));
  const ua: Connectivity = {
    type: 'opcua',
    endpoint: 'opc.tcp://[::1]:4840',
    securityMode: 'None',
    securityPolicy: 'None',
  };
  const enterprises: ResolvedEnterprise[] = [];
  for (let n = 0, k = 0; n < devices; k++) {
    const size = Math.min(devices - n, rng.int(20, 450));
    const id = `ent-${k}`;
    const lines: ResolvedEnterprise['lines'] = [];
    for (let j = 0; j < size; j++) {
      const line = `line-${Math.floor(j / 20)}`;
      if (lines[lines.length - 1]?.id !== line) lines.push({ id: line, devices: [] });
      const digital = rng.chance(0.8);
      const device: ResolvedDevice = {
        id: `dev-${j}`,
        kind: 'cnc-machining-centre',
        digital,
        keyProcess: false,
        connectivity: digital && rng.chance(0.9) ? ua : { type: 'none' },
        points: [],
        enterprise: id,
        line,
      };
      lines[lines.length - 1]?.devices.push(device);
    }
    enterprises.push({
      id,
      name: `企业${k}`,
      city: cities[k % cities.length]!.id,
      industry: INDUSTRIES[k % INDUSTRIES.length]!,
      leading: k % 4 === 0,
      lines,
    });
    n += size;
  }
  return {
    file: 'bench:synthetic',
    region: { id: 'hebei', name: '河北省', cities },
    enterprises,
    faults: [],
  };
}

/** Restart from per-bucket marks, in time order across devices as a store scan returns them. */
function marksLoadRate(rng: Rng): number {
  const marks: OnlineMark[] = [];
  const offline = Array.from({ length: 1000 }, () => rng.int(0, DAY_BUCKETS));
  for (let b = 0; b < DAY_BUCKETS; b++) {
    for (let d = 0; d < 1000; d++) {
      // Each device has one outage of an hour somewhere in the day.
      if (Math.abs(b - offline[d]!) > 30) marks.push({ enterprise: 'e', device: `d${d}`, bucket: b * W });
    }
  }
  const t = performance.now();
  new AvailabilityIndex(W).load(marks);
  return marks.length / ((performance.now() - t) / 1000);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

export function ratesTable(r: RatesBenchResult): [string, string, string][] {
  const n = (x: number, d = 0) =>
    x.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
  return [
    [
      'rates: ledger',
      `${n(r.devices)} devices, ${n(r.enterprises)} enterprises, built in ${n(r.ledgerMs)} ms`,
      '',
    ],
    [
      `rates: restore ${r.days} days of availability`,
      `${n(r.runs)} runs in ${n(r.loadMs)} ms; from marks ${n(r.loadMarksPerSecond / 1e6, 1)}M marks/s`,
      '',
    ],
    [
      'rates: memory',
      `${n(r.rssMb)} MB RSS (+${n(r.indexRssMb)} MB for the index), ${n(r.heapUsedMb)} MB heap, run arrays ${n(r.indexMb, 1)} MB`,
      '',
    ],
    [
      `rates: report(), ${r.days}-day window`,
      `${n(r.reportMs)} ms median (max ${n(r.reportMaxMs)} ms)`,
      'target < 1 s',
    ],
    ['rates: enterprise()', `${n(r.enterpriseMs, 1)} ms for ${n(r.enterpriseDevices)} devices`, ''],
    [
      `rates: trend(), ${r.days}-day window`,
      `${n(r.trendDailyMs)} ms for ${r.days} daily steps, ${n(r.trendHourlyMs)} ms for ${n(r.days * 24)} hourly steps`,
      '',
    ],
    ...r.restart.map((x): [string, string, string] => [
      `restart: restore availability (${x.store})`,
      `${n(x.restoreMs / 1000, 1)} s (read snapshot ${n(x.phases.readSnapshot / 1000, 1)} s, its runs ${n(x.phases.runs / 1000, 1)} s, ` +
        `read later ${n(x.phases.readSince / 1000, 1)} s, apply ${n(x.phases.apply / 1000, 1)} s), ` +
        `${n(x.rowsRead)} rows read (snapshot ${n(x.snapshotRows)} rows + ${n(x.snapshotLinks)} links, ${n(x.marksAfter)} later marks); ` +
        `snapshot capture ${n(x.captureMs / 1000, 1)} s, write ${n(x.writeMs / 1000, 1)} s; ` +
        `${x.identical ? 'report identical' : 'REPORT DIFFERS'}${x.fallback === undefined ? '' : ` (no snapshot: ${x.fallback})`}`,
      `without snapshot: ${n(r.onlineBuckets / 1e6, 1)}M marks`,
    ]),
    [
      'rates: ingest cost',
      `mark() ${n(r.markLiveNs)} ns live (${n(r.markHotNs)} ns same device again), ${n(r.markLateNs)} ns late; sample() ${n(r.sampleNs)} ns`,
      '',
    ],
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const short = process.argv.includes('--short');
  const r = await ratesBench({
    short,
    restart: !process.argv.includes('--no-restart'),
    influx: !process.argv.includes('--no-influx'),
  });
  const rows = ratesTable(r);
  const widths = [0, 1].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(widths[0]!)}  ${b.padEnd(widths[1]!)}  ${c}`);
  console.log(`province networked rate over the window: ${r.provinceNetworkedRate?.toFixed(3) ?? 'n/a'}`);
}
