/** The chaos run's printed tables: the reconciliation summary and the failure table, as Markdown. */
import type { HealthSnapshot } from './cluster.ts';
import { describeMissing, type ReadSet, type Reconciliation } from './reconcile.ts';
import type { RatesCheck } from './rates-truth.ts';
import type { Fault } from './timeline.ts';
import type { WriteStats } from './write-proxy.ts';

export interface Snapshot {
  t: number;
  gateways: Record<string, HealthSnapshot | undefined>;
  failedWrites: number;
  duplicates: number;
}

export interface SkewResult {
  produced: number;
  expected: number;
  stored: number;
  lost: number;
  refusedFuture: number;
  storedFuture: number;
}

export interface Summary {
  minutes: number;
  gateways: number;
  devices: number;
  pointsPerSecond: number;
  read: ReadSet;
  rec: Reconciliation;
  writes: WriteStats;
  skew: SkewResult;
  rates: RatesCheck;
}

const n = (x: number) => Math.round(x).toLocaleString('en');
const s = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

export function summaryTable(x: Summary): string {
  const { rec, writes, skew, rates } = x;
  const rows: [string, string][] = [
    [
      'load',
      `${x.gateways} gateways, ${x.devices} devices, ${n(x.pointsPerSecond)} points/s read, ${x.minutes.toFixed(1)} min of faults`,
    ],
    [
      'produced (read by the gateways)',
      `${n(rec.produced.good + rec.produced.bad)} (good ${n(rec.produced.good)}, bad ${n(rec.produced.bad)})`,
    ],
    [
      'stored (distinct rows in InfluxDB)',
      `${n(rec.stored.good + rec.stored.bad)} (good ${n(rec.stored.good)}, bad ${n(rec.stored.bad)})`,
    ],
    [
      'duplicates (rows written again: stored more than once)',
      `${n(writes.duplicates)} of ${n(writes.rows)} rows written (${((100 * writes.duplicates) / Math.max(1, writes.rows)).toFixed(2)}%)`,
    ],
    ['in flight at SIGKILL (read < 1 s before kill -9, never durable)', n(rec.inFlight.length)],
    ['**lost** (good, read, not stored, not in flight)', `**${n(rec.lost.length)}**`],
    ['stored good samples no gateway read', n(rec.unexplained.length)],
    [
      'max end-to-end delay (source time → InfluxDB ack)',
      `${s(writes.delay.maxMs)} (p50 ${s(writes.delay.p50Ms)}, p99 ${s(writes.delay.p99Ms)})`,
    ],
    [
      '… live samples only (not replayed from a gateway disk queue)',
      `${s(writes.delayLive.maxMs)} (p50 ${s(writes.delayLive.p50Ms)}, p99 ${s(writes.delayLive.p99Ms)})`,
    ],
    [
      'skewed edge node: produced / stored / lost',
      `${n(skew.produced)} / ${n(skew.stored)} / ${n(skew.lost)}; ${n(skew.refusedFuture)} refused as > 5 min ahead (stored: ${n(skew.storedFuture)})`,
    ],
    ['replayed from gateway disk queues (historical rows stored)', n(writes.historical)],
    [
      'write requests failed (influxd down) / made',
      `${n(writes.failedRequests)} / ${n(writes.writeRequests)}`,
    ],
    [
      'rates: /api/rates + /api/enterprises vs ground truth',
      `${rates.mismatches.length === 0 ? 'equal' : `**${rates.mismatches.length} mismatches**`}: ${rates.devicesCompared} devices' online buckets, ${rates.enterprisesCompared} enterprises' window counts, province; ${rates.window.buckets} buckets of ${(rates.window.to - rates.window.from) / rates.window.buckets / 1000} s, θ ${rates.window.theta}`,
    ],
    ['province (truth = API)', JSON.stringify(rates.province.truth)],
  ];
  const out = ['| | |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)];
  if (rec.lost.length) out.push('', 'lost:', ...describeMissing(rec.lost).map((l) => `  ${l}`));
  if (rec.inFlight.length)
    out.push('', 'in flight at SIGKILL:', ...describeMissing(rec.inFlight).map((l) => `  ${l}`));
  if (rec.unexplained.length)
    out.push('', 'stored, never read:', ...describeMissing(rec.unexplained).map((l) => `  ${l}`));
  if (rates.mismatches.length)
    out.push('', 'rate mismatches:', ...rates.mismatches.slice(0, 10).map((l) => `  ${l}`));
  return out.join('\n');
}

/** One row per fault (flapping folded into one), with what the run observed around it. */
export function failureTable(
  faults: readonly Fault[],
  t0: number,
  snaps: readonly Snapshot[],
  read: ReadSet,
  inFlight: number,
  /** When the last sample with source time in [from, to) was stored. */
  storedBy: (from: number, to: number) => number | undefined,
): string {
  const rows: string[] = [];
  const flaps = faults.filter((f) => f.kind.startsWith('device flapping'));
  const at = (t: number | undefined) => (t === undefined ? '–' : `t+${((t - t0) / 1000).toFixed(0)} s`);
  const samplesOf = (device: string, from: number, to: number) => {
    let good = 0;
    let bad = 0;
    for (const [key, v] of read.series) {
      if (!key.startsWith(`${key.split('/')[0]}/${device}|`)) continue;
      good += v.good.filter((t) => t >= from && t < to).length;
      bad += v.badTimes.filter((t) => t >= from && t < to).length;
    }
    return { good, bad };
  };
  for (const f of faults) {
    if (f.kind.startsWith('device flapping')) continue;
    const start = f.startedAt ?? 0;
    const end = f.endedAt ?? start;
    const simFault = f.kind.startsWith('device');
    const win = snaps.filter((x) => x.t >= start && x.t <= end + 5_000);
    const first = win[0];
    const last = win.at(-1);
    const peak = Math.max(
      0,
      ...win.map((x) => Object.values(x.gateways).reduce((a, g) => a + (g?.entries ?? 0), 0)),
    );
    const effects: string[] = [];
    if (f.kind.startsWith('broker') && peak > 0)
      effects.push(`gateway disk queues peaked at ${n(peak)} records, replayed as historical DDATA`);
    if (f.kind.startsWith('influxd') && first && last)
      effects.push(`${n(last.failedWrites - first.failedWrites)} store writes refused and retried`);
    if (f.kind.startsWith('ingest worker') && first && last)
      effects.push(
        `${n(last.duplicates - first.duplicates)} rows written again (redelivered, already stored)`,
      );
    if (f.kind.startsWith('gateway'))
      effects.push(`${n(inFlight)} samples in flight at the kill; the new process replayed the disk queue`);
    if (simFault) {
      const x = samplesOf(f.target, start, end);
      effects.push(
        f.kind.includes('NaN')
          ? `${n(x.good)} good samples read (NaN: stored good, without a value), ${n(x.bad)} bad`
          : `${n(x.bad)} bad samples read (answers refused), ${n(x.good)} good`,
      );
    }
    const storedAt = storedBy(start, end);
    const back = simFault ? '–' : storedAt === undefined ? 'nothing stored' : s(Math.max(0, storedAt - end));
    rows.push(
      `| ${f.kind} | ${f.target} | ${at(start)} | ${s(end - start)} | ${effects.join('; ')} | ${back} |`,
    );
  }
  if (flaps.length) {
    const targets = [...new Set(flaps.map((f) => f.target))];
    let bad = 0;
    for (const f of flaps) bad += samplesOf(f.target, f.startedAt ?? 0, f.endedAt ?? 0).bad;
    rows.push(
      `| device flapping: offline ${s((flaps[0]?.plannedS ?? 0) * 1000)}, ${flaps.length} times | ${targets.join(', ')} | ${at(flaps[0]?.startedAt)} … ${at(flaps.at(-1)?.startedAt)} | – | ${n(bad)} bad samples read while offline | – |`,
    );
  }
  return [
    '| fault | target | at | lasted | observed | last sample read meanwhile stored, after its end |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
