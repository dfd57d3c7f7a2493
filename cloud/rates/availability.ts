/**
 * The availability index: for every device, which buckets it was online in (DOMAIN.md §1).
 *
 * A bitset per device for all time does not fit (100,000 devices × 30 days × 60 s buckets
 * = 4.3 billion slots), but online buckets come in long stretches, so each device keeps
 * its online buckets as sorted, disjoint, non-adjacent half-open runs [start, end) of
 * bucket numbers (bucket n = [n·w, (n+1)·w) ms), with the running total of run lengths:
 *
 *   data = [start₀, end₀, cum₀, start₁, end₁, cum₁, …]   cumᵢ = Σ_{k≤i} (end_k − start_k)
 *
 * in one Uint32Array: 12 bytes per run. Bucket numbers fit 32 bits for any time from 1970
 * to 2106 when w ≥ 1 s, which is why the width has that floor (the KPI uses 60 s); marks
 * outside that range are refused, not wrapped.
 * Costs, with r = runs of the device:
 * - mark, bucket in or just after the last run (live data): O(1)
 * - mark, earlier bucket (late or backfilled data, any order): O(log r) to find the run,
 *   plus a memmove of the runs after it when a run is inserted or two merge (O(r) bytes
 *   moved, fast in practice); the running totals from there on are only marked stale
 * - count online buckets in a window: O(log r): two binary searches, a difference of two
 *   running totals and the clipping of the two edge runs; the first count after late
 *   marks first recomputes the stale totals, O(r) once for any number of late marks
 * - memory: O(r) per device, 12 bytes per run (slack trimmed after a bulk load)
 */
import type { OnlineMark } from '../store/types.ts';

const STRIDE = 3;
/** Highest bucket number a run can end at (exclusive end must fit 32 bits). */
export const MAX_BUCKET = 2 ** 32 - 2;

/** One device's online buckets. Bucket numbers, not ms. */
export class BucketRuns {
  data = new Uint32Array(STRIDE * 2);
  n = 0;
  /** Source time (ms) of the latest sample; a loaded mark counts as its bucket start. */
  lastSeen = -Infinity;
  /** Runs from this index on have stale running totals (n or more: none). */
  #stale = Infinity;

  /** Adds bucket b; false when it was already online. */
  add(b: number): boolean {
    if (!(b >= 0 && b <= MAX_BUCKET)) return false;
    const d = this.data;
    const n = this.n;
    if (n > 0) {
      const last = (n - 1) * STRIDE;
      // Fast path: live data lands in or right after the last run.
      if (b >= d[last]!) {
        if (b < d[last + 1]!) return false;
        if (b === d[last + 1]) {
          d[last + 1] = b + 1;
          d[last + 2]! += 1; // exact when clean; recomputed anyway when stale
          return true;
        }
        this.#insert(n, b, b + 1);
        return true;
      }
    }
    return this.addRange(b, b + 1) === 1;
  }

  /** Adds buckets [s, e), merging with the runs it overlaps or touches; returns how many were new. */
  addRange(s: number, e: number): number {
    s = Math.max(0, s);
    e = Math.min(e, MAX_BUCKET + 1);
    if (e <= s) return 0;
    const d = this.data;
    const n = this.n;
    // i = first run whose end ≥ s (runs before it end before s − 1: they neither overlap nor touch).
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (d[mid * STRIDE + 1]! >= s) hi = mid;
      else lo = mid + 1;
    }
    const i = lo;
    // j = last run whose start ≤ e (runs after it start after e + 1).
    hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (d[mid * STRIDE]! <= e) lo = mid + 1;
      else hi = mid;
    }
    const j = lo - 1;
    if (i > j) {
      this.#insert(i, s, e);
      return e - s;
    }
    // Merge runs i..j and [s, e) into run i.
    const at = i * STRIDE;
    let before = 0;
    for (let k = i; k <= j; k++) before += d[k * STRIDE + 1]! - d[k * STRIDE]!;
    const start = Math.min(s, d[at]!);
    const end = Math.max(e, d[j * STRIDE + 1]!);
    d[at] = start;
    d[at + 1] = end;
    if (j > i) {
      d.copyWithin(at + STRIDE, (j + 1) * STRIDE, n * STRIDE);
      this.n -= j - i;
    }
    if (i < this.#stale) this.#stale = i;
    return end - start - before;
  }

  /** Online buckets in [from, to) (bucket numbers). */
  count(from: number, to: number): number {
    const d = this.data;
    const n = this.n;
    if (n === 0 || to <= from) return 0;
    if (this.#stale < n) this.#recount();
    // i = first run ending after `from`.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (d[mid * STRIDE + 1]! > from) hi = mid;
      else lo = mid + 1;
    }
    const i = lo;
    // j = last run starting before `to`.
    lo = i;
    hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (d[mid * STRIDE]! < to) lo = mid + 1;
      else hi = mid;
    }
    const j = lo - 1;
    if (i > j) return 0;
    let total = d[j * STRIDE + 2]! - (i > 0 ? d[(i - 1) * STRIDE + 2]! : 0);
    total -= Math.max(0, from - d[i * STRIDE]!);
    total -= Math.max(0, d[j * STRIDE + 1]! - to);
    return total;
  }

  /** Runs as [start, end) bucket-number pairs, ascending. */
  runs(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.n; i++) out.push([this.data[i * STRIDE]!, this.data[i * STRIDE + 1]!]);
    return out;
  }

  /** Releases growth slack (after a bulk load). */
  trim(): void {
    if (this.data.length > Math.max(STRIDE, this.n * STRIDE)) {
      this.data = this.data.slice(0, Math.max(STRIDE, this.n * STRIDE));
    }
  }

  /** Drops every bucket before b. */
  dropBefore(b: number): void {
    let k = 0;
    while (k < this.n && this.data[k * STRIDE + 1]! <= b) k++;
    if (k > 0) {
      this.data.copyWithin(0, k * STRIDE, this.n * STRIDE);
      this.n -= k;
    }
    if (this.n > 0 && this.data[0]! < b) this.data[0] = b;
    this.#stale = 0;
  }

  #insert(k: number, s: number, e: number): void {
    if ((this.n + 1) * STRIDE > this.data.length) {
      // Grow by half: devices that flap need many runs, most need few.
      const next = new Uint32Array(Math.max(STRIDE * 2, Math.ceil(this.n * 1.5 + 1) * STRIDE));
      next.set(this.data.subarray(0, this.n * STRIDE));
      this.data = next;
    }
    const at = k * STRIDE;
    this.data.copyWithin(at + STRIDE, at, this.n * STRIDE);
    this.data[at] = s;
    this.data[at + 1] = e;
    this.n++;
    if (k < this.#stale) this.#stale = k;
  }

  #recount(): void {
    const d = this.data;
    const from = this.#stale;
    let cum = from > 0 ? d[(from - 1) * STRIDE + 2]! : 0;
    this.#stale = Infinity;
    for (let i = from; i < this.n; i++) {
      const at = i * STRIDE;
      cum += d[at + 1]! - d[at]!;
      d[at + 2] = cum;
    }
  }
}

export interface AvailabilityStats {
  devices: number;
  runs: number;
  /** Bytes held by the run arrays (capacity, not just use). */
  bytes: number;
}

export class AvailabilityIndex {
  readonly widthMs: number;
  /** enterprise → device → runs; two levels so the hot path builds no key string. */
  readonly #devices = new Map<string, Map<string, BucketRuns>>();

  constructor(widthMs = 60_000) {
    if (!Number.isInteger(widthMs) || widthMs < 1000) {
      throw new RangeError(`bucket width must be an integer of at least 1000 ms, got ${widthMs}`);
    }
    this.widthMs = widthMs;
  }

  /** Start (ms) of the bucket holding `time`. */
  bucketOf(time: number): number {
    return Math.floor(time / this.widthMs) * this.widthMs;
  }

  /**
   * A good sample at source time `time`. Returns the bucket start (ms) when the bucket
   * was not yet online (ingest persists it as an OnlineMark), else undefined.
   */
  mark(enterprise: string, device: string, time: number): number | undefined {
    const b = Math.floor(time / this.widthMs);
    // Also refuses NaN/±Infinity: an unusable time proves nothing about any bucket.
    if (!(b >= 0 && b <= MAX_BUCKET)) return undefined;
    const runs = this.#runs(enterprise, device, true);
    if (time > runs.lastSeen) runs.lastSeen = time;
    return runs.add(b) ? b * this.widthMs : undefined;
  }

  /**
   * Restores persisted marks (any order, duplicates fine). Sorting per device first makes
   * every insert take the O(1) append path. Returns how many buckets were new.
   */
  load(marks: Iterable<OnlineMark>): number {
    const byDevice = new Map<BucketRuns, number[]>();
    for (const m of marks) {
      const b = Math.floor(m.bucket / this.widthMs);
      if (!(b >= 0 && b <= MAX_BUCKET)) continue;
      const runs = this.#runs(m.enterprise, m.device, true);
      let list = byDevice.get(runs);
      if (!list) byDevice.set(runs, (list = []));
      list.push(b);
    }
    let added = 0;
    for (const [runs, list] of byDevice) {
      const sorted = Float64Array.from(list).sort();
      for (const b of sorted) if (runs.add(b)) added++;
      const last = sorted[sorted.length - 1];
      if (last !== undefined && last * this.widthMs > runs.lastSeen) runs.lastSeen = last * this.widthMs;
      runs.trim();
    }
    return added;
  }

  /** Restores one device from runs [startMs, endMs) (bucket aligned): the compact restart path. */
  loadRuns(enterprise: string, device: string, runs: Iterable<readonly [number, number]>): void {
    const r = this.#runs(enterprise, device, true);
    const w = this.widthMs;
    for (const [start, end] of runs) {
      const last = Math.min(Math.ceil(end / w), MAX_BUCKET + 1) - 1;
      if (r.addRange(Math.floor(start / w), last + 1) > 0 && last * w > r.lastSeen) r.lastSeen = last * w;
    }
    r.trim();
  }

  /**
   * Restores one device from bucket-number runs [s₀, e₀, s₁, e₁, …] (decodeRuns of runs-codec.ts:
   * the snapshot path, without a pair array per run). Any order; merges with what is there.
   */
  loadBuckets(enterprise: string, device: string, runs: ArrayLike<number>): void {
    const r = this.#runs(enterprise, device, true);
    let last = -1;
    for (let i = 0; i + 1 < runs.length; i += 2) {
      const e = Math.min(runs[i + 1]!, MAX_BUCKET + 1);
      if (r.addRange(runs[i]!, e) > 0 && e - 1 > last) last = e - 1;
    }
    if (last >= 0 && last * this.widthMs > r.lastSeen) r.lastSeen = last * this.widthMs;
    r.trim();
  }

  /** Every device's runs, for the snapshot writer (runs-codec.ts encodes them from the arrays). */
  *devices(): Generator<[enterprise: string, device: string, runs: BucketRuns]> {
    for (const [enterprise, m] of this.#devices) for (const [device, r] of m) yield [enterprise, device, r];
  }

  /** Forgets everything (a restore that failed half-way starts again from scratch). */
  clear(): void {
    this.#devices.clear();
  }

  /** Online runs of a device as [startMs, endMs) pairs, ascending. */
  runs(enterprise: string, device: string): [number, number][] {
    const r = this.#runs(enterprise, device, false);
    return r ? r.runs().map(([s, e]) => [s * this.widthMs, e * this.widthMs]) : [];
  }

  /** Every device's runs in ms, for persisting the index compactly (restored with loadRuns). */
  *snapshot(): Generator<{ enterprise: string; device: string; runs: [number, number][] }> {
    for (const [enterprise, m] of this.#devices) {
      for (const device of m.keys()) yield { enterprise, device, runs: this.runs(enterprise, device) };
    }
  }

  /** Online buckets of a device in [from, to) (ms, each rounded down to a bucket start). */
  count(enterprise: string, device: string, from: number, to: number): number {
    const r = this.#runs(enterprise, device, false);
    return r ? r.count(Math.floor(from / this.widthMs), Math.floor(to / this.widthMs)) : 0;
  }

  /** Whether the device was online in the bucket holding `time`. */
  online(enterprise: string, device: string, time: number): boolean {
    const b = Math.floor(time / this.widthMs);
    return (this.#runs(enterprise, device, false)?.count(b, b + 1) ?? 0) === 1;
  }

  /** Source time of the device's latest sample (a restored mark: its bucket start). */
  lastSeen(enterprise: string, device: string): number | undefined {
    const t = this.#runs(enterprise, device, false)?.lastSeen;
    return t === undefined || t === -Infinity ? undefined : t;
  }

  /** The device's runs, for callers that query it many times (the rates engine). */
  device(enterprise: string, device: string): BucketRuns | undefined {
    return this.#runs(enterprise, device, false);
  }

  /** The devices of one enterprise, for a loop over a ledger enterprise without a lookup per key. */
  enterprise(enterprise: string): ReadonlyMap<string, BucketRuns> | undefined {
    return this.#devices.get(enterprise);
  }

  /** Forgets every bucket before `before` (ms): retention. */
  prune(before: number): void {
    const b = Math.floor(before / this.widthMs);
    for (const m of this.#devices.values()) for (const r of m.values()) r.dropBefore(b);
  }

  stats(): AvailabilityStats {
    let devices = 0;
    let runs = 0;
    let bytes = 0;
    for (const m of this.#devices.values()) {
      for (const r of m.values()) {
        devices++;
        runs += r.n;
        bytes += r.data.byteLength;
      }
    }
    return { devices, runs, bytes };
  }

  #runs(enterprise: string, device: string, create: true): BucketRuns;
  #runs(enterprise: string, device: string, create: false): BucketRuns | undefined;
  #runs(enterprise: string, device: string, create: boolean): BucketRuns | undefined {
    let m = this.#devices.get(enterprise);
    if (!m) {
      if (!create) return undefined;
      this.#devices.set(enterprise, (m = new Map<string, BucketRuns>()));
    }
    let r = m.get(device);
    if (!r && create) m.set(device, (r = new BucketRuns()));
    return r;
  }
}
