/**
 * Reconciliation: every sample the gateways read (their read logs, LIANWANG_READ_LOG) against
 * what InfluxDB holds, queried directly with InfluxQL — no lianwang code between the two sides.
 *
 * A sample is identified by (enterprise/device, point, source time). Only samples read before the
 * cut count: the cut is taken once every queue has drained, so anything read before it has had
 * its chance to arrive. A good sample read but not stored is
 * - "in flight at SIGKILL" when its line is in the log of a gateway process killed with kill -9
 *   and it was read in the last `inFlightWindowMs` before the kill: the gateway logs a sample
 *   when it reads it, and it becomes durable only once the broker acknowledged its publish or the
 *   disk queue's write(2) returned (gateway/north/sparkplug.ts, gateway/buffer/README.md), a few
 *   milliseconds later; samples in that gap die with the process;
 * - lost, otherwise.
 * Bad-quality samples are counted but not required in the store: a gateway publishes the bad
 * readings of a device it has announced (DBIRTH) and drops those of a device it has declared
 * dead (DDEATH), which carries the information instead.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ReadLogFile {
  enterprise: string;
  file: string;
  /** Wall time of the kill -9 that ended this process, if one did. */
  killedAt?: number;
}

/** Per `enterprise/device|point`: source times of good and bad samples read before the cut. */
export interface ReadSet {
  series: Map<string, { good: number[]; bad: number; badTimes: number[] }>;
  good: number;
  bad: number;
  /** `key@time` of good samples read by a killed process in the window before its kill. */
  atRisk: Set<string>;
  /** Lines a kill -9 left half-written (at most one per killed process). */
  partialLines: number;
  /** Read after the cut: not reconciled. */
  afterCut: number;
  firstTime: number;
  lastTime: number;
}

export async function readLogs(
  files: readonly ReadLogFile[],
  cut: number,
  inFlightWindowMs: number,
): Promise<ReadSet> {
  const set: ReadSet = {
    series: new Map(),
    good: 0,
    bad: 0,
    atRisk: new Set(),
    partialLines: 0,
    afterCut: 0,
    firstTime: Infinity,
    lastTime: 0,
  };
  for (const f of files) {
    const lines = createInterface({ input: createReadStream(f.file), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line) continue;
      let r: { device: string; point: string; time: number; good: boolean };
      try {
        r = JSON.parse(line) as typeof r;
      } catch {
        set.partialLines++;
        continue;
      }
      if (r.time >= cut) {
        set.afterCut++;
        continue;
      }
      const key = `${r.device}|${r.point}`;
      let s = set.series.get(key);
      if (!s) set.series.set(key, (s = { good: [], bad: 0, badTimes: [] }));
      if (r.good) {
        s.good.push(r.time);
        set.good++;
        if (f.killedAt !== undefined && r.time >= f.killedAt - inFlightWindowMs)
          set.atRisk.add(`${key}@${r.time}`);
      } else {
        s.bad++;
        s.badTimes.push(r.time);
        set.bad++;
      }
      if (r.time < set.firstTime) set.firstTime = r.time;
      if (r.time > set.lastTime) set.lastTime = r.time;
    }
  }
  return set;
}

export interface StoredSet {
  /** Per `enterprise/device|point`: good times, and the number of bad rows. */
  series: Map<string, { good: Set<number>; bad: number }>;
  good: number;
  bad: number;
}

interface RawSeries {
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export async function influxQuery(url: string, db: string, q: string): Promise<RawSeries[]> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db, epoch: 'ms', q }).toString()}`, {
    method: 'POST',
    signal: AbortSignal.timeout(120_000),
  });
  const body = (await res.json()) as { results?: { series?: RawSeries[]; error?: string }[]; error?: string };
  const r = body.results?.[0];
  const error = body.error ?? r?.error;
  if (!res.ok || error) throw new Error(`influx query failed (${res.status}): ${error ?? ''}: ${q}`);
  return r?.series ?? [];
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Every telemetry row of the devices with source time in [from, to), one query per device. */
export async function storedSamples(
  url: string,
  db: string,
  devices: readonly { enterprise: string; id: string }[],
  from: number,
  to: number,
): Promise<StoredSet> {
  const set: StoredSet = { series: new Map(), good: 0, bad: 0 };
  for (const d of devices) {
    const q =
      `SELECT "good" FROM "telemetry" WHERE "enterprise" = ${quote(d.enterprise)} AND "device" = ${quote(d.id)}` +
      ` AND time >= ${from}ms AND time < ${to}ms GROUP BY "metric"`;
    for (const s of await influxQuery(url, db, q)) {
      const key = `${d.enterprise}/${d.id}|${s.tags?.metric ?? ''}`;
      const t = s.columns.indexOf('time');
      const g = s.columns.indexOf('good');
      const entry = { good: new Set<number>(), bad: 0 };
      for (const row of s.values) {
        if (row[g] === true) entry.good.add(Number(row[t]));
        else entry.bad++;
      }
      set.series.set(key, entry);
      set.good += entry.good.size;
      set.bad += entry.bad;
    }
  }
  return set;
}

export interface Missing {
  key: string;
  time: number;
}

export interface Reconciliation {
  produced: { good: number; bad: number };
  stored: { good: number; bad: number };
  /** Good samples read and not stored, read in the instant before a kill -9. */
  inFlight: Missing[];
  lost: Missing[];
  /** Good samples stored that no read log holds (should be none). */
  unexplained: Missing[];
}

export function reconcile(read: ReadSet, stored: StoredSet): Reconciliation {
  const out: Reconciliation = {
    produced: { good: read.good, bad: read.bad },
    stored: { good: 0, bad: 0 },
    inFlight: [],
    lost: [],
    unexplained: [],
  };
  for (const [key, r] of read.series) {
    const s = stored.series.get(key);
    for (const time of r.good) {
      if (s?.good.has(time)) continue;
      (read.atRisk.has(`${key}@${time}`) ? out.inFlight : out.lost).push({ key, time });
    }
  }
  for (const [key, s] of stored.series) {
    out.stored.good += s.good.size;
    out.stored.bad += s.bad;
    const r = read.series.get(key);
    const readTimes = new Set(r?.good);
    for (const time of s.good) if (!readTimes.has(time)) out.unexplained.push({ key, time });
  }
  return out;
}

/** Missing samples as short runs per device: "e1/e1-d02 12:00:01.250–12:00:09.750 (1,240 samples)". */
export function describeMissing(missing: readonly Missing[], limit = 6): string[] {
  const byDevice = new Map<string, number[]>();
  for (const m of missing) {
    const device = m.key.split('|')[0] ?? m.key;
    let list = byDevice.get(device);
    if (!list) byDevice.set(device, (list = []));
    list.push(m.time);
  }
  const runs: string[] = [];
  for (const [device, times] of byDevice) {
    times.sort((a, b) => a - b);
    let start = times[0] ?? 0;
    let prev = start;
    let n = 0;
    const flush = () => runs.push(`${device} ${iso(start)}–${iso(prev)} (${n} samples)`);
    for (const t of times) {
      if (t - prev > 5_000) {
        flush();
        start = t;
        n = 0;
      }
      prev = t;
      n++;
    }
    flush();
  }
  return runs.slice(0, limit).concat(runs.length > limit ? [`… ${runs.length - limit} more runs`] : []);
}

const iso = (t: number) => new Date(t).toISOString().slice(11, 23);
