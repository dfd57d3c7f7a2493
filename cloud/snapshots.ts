/**
 * Restarts at province scale: the rates engine's availability is restored from a compact
 * snapshot plus what was written after it, instead of every online mark of the restore window
 * (100,000 devices × 30 days of 1-minute marks would be billions of rows; their runs are
 * millions, packed ~100,000 rows). docs/rates.md "Restarts".
 *
 * - `Snapshotter` writes the snapshot every `everyMs` and once more on stop. `takenAt` is read
 *   before the state, so everything in the index or the link status at `takenAt` is in the
 *   snapshot, and everything that entered them later was written to the store at or after it.
 * - `restoreAvailability` loads the newest complete snapshot, then the marks and link events
 *   written since `takenAt − marginMs` (the `…Since` loads: late data for old buckets included).
 *   Marks and events are idempotent, so the overlap counts nothing twice. Without a snapshot
 *   (first start, or one that cannot be read) it falls back to every mark and event of the
 *   restore window, as before.
 */
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { RatesService } from './rates/index.ts';
import { decodeRuns, encodeRuns } from './rates/runs-codec.ts';
import { compareEvents, messageOf, type StoreLog } from './store/common.ts';
import type { LinkEvent, RunsRow, RunsSnapshot, Store } from './store/types.ts';

/** Devices encoded between two yields to the event loop while a snapshot is captured. */
const SLICE = 5_000;

export interface RestoreOptions {
  widthMs: number;
  /** Buckets before this (ms) are not restored: the restore window's start. */
  from: number;
  /** Used without a snapshot: marks and events in [from, to). */
  to: number;
  /** How far before the snapshot's time the marks and events written since are loaded (default 2 min). */
  marginMs?: number;
  log: StoreLog;
}

export interface RestoreStats {
  source: 'snapshot' | 'marks';
  /** Why there was no snapshot to start from (source 'marks'). */
  fallback?: string;
  /** The snapshot's time, when one was used. */
  takenAt?: number;
  /** Snapshot rows and links read (0 without a snapshot). */
  snapshotRows: number;
  snapshotLinks: number;
  /** Online marks and link events read after (or, without a snapshot, instead of) it. */
  marks: number;
  events: number;
  /** Every row read from the store. */
  rowsRead: number;
  ms: number;
  /** Where the time went, ms: reading the snapshot, restoring its runs, reading and applying the rest. */
  phases: { readSnapshot: number; runs: number; readSince: number; apply: number };
}

export async function restoreAvailability(
  store: Store,
  rates: RatesService,
  o: RestoreOptions,
): Promise<RestoreStats> {
  const started = performance.now();
  const phases = { readSnapshot: 0, runs: 0, readSince: 0, apply: 0 };
  let t = started;
  const lap = (phase: keyof typeof phases) => {
    const now = performance.now();
    phases[phase] += now - t;
    t = now;
  };
  let fallback = 'no snapshot';
  const snapshot = await store.loadRunsSnapshot(o.widthMs).catch((err: unknown) => {
    fallback = messageOf(err);
    o.log.warn({ err: fallback }, 'availability snapshot unreadable: restoring from every online mark');
    return undefined;
  });
  lap('readSnapshot');
  const loaded = snapshot && loadSnapshotRuns(rates, snapshot, o.log);
  lap('runs');
  if (snapshot && loaded === true) {
    const since = snapshot.takenAt - (o.marginMs ?? 120_000);
    const marks = await store.loadOnlineSince(o.widthMs, since);
    const events = await store.loadEventsSince(since);
    lap('readSince');
    rates.availability.load(marks);
    // One order for both, as if every event had been replayed: ties resolve the same way.
    for (const e of [...snapshot.links, ...events].sort(compareEvents)) rates.event(e);
    rates.availability.prune(o.from);
    lap('apply');
    const rowsRead = snapshot.rows.length + snapshot.links.length + marks.length + events.length;
    return {
      source: 'snapshot',
      takenAt: snapshot.takenAt,
      snapshotRows: snapshot.rows.length,
      snapshotLinks: snapshot.links.length,
      marks: marks.length,
      events: events.length,
      rowsRead,
      ms: performance.now() - started,
      phases,
    };
  }
  if (typeof loaded === 'string') fallback = loaded;
  const marks = await store.loadOnline(o.widthMs, o.from, o.to);
  const events = await store.loadEvents(o.from, o.to);
  lap('readSince');
  rates.availability.load(marks);
  for (const e of events) rates.event(e);
  lap('apply');
  return {
    source: 'marks',
    fallback,
    snapshotRows: 0,
    snapshotLinks: 0,
    marks: marks.length,
    events: events.length,
    rowsRead: marks.length + events.length,
    ms: performance.now() - started,
    phases,
  };
}

/** True, or why not (the index left empty) when a row cannot be decoded. */
function loadSnapshotRuns(rates: RatesService, snapshot: RunsSnapshot, log: StoreLog): true | string {
  try {
    for (const r of snapshot.rows) rates.availability.loadBuckets(r.enterprise, r.device, decodeRuns(r.runs));
    return true;
  } catch (err) {
    rates.availability.clear();
    log.warn(
      { err: messageOf(err), takenAt: snapshot.takenAt },
      'availability snapshot unreadable: restoring from every online mark',
    );
    return messageOf(err);
  }
}

/** The state of the engine as a snapshot; yields to I/O between slices of devices. */
export async function captureSnapshot(rates: RatesService, now = Date.now): Promise<RunsSnapshot> {
  const takenAt = now();
  const links: LinkEvent[] = rates.status.latest();
  const rows: RunsRow[] = [];
  let n = 0;
  for (const [enterprise, device, runs] of rates.availability.devices()) {
    for (const text of encodeRuns(runs)) rows.push({ enterprise, device, runs: text });
    if (++n % SLICE === 0) await yieldToIo();
  }
  return { takenAt, rows, links };
}

export interface SnapshotterOptions {
  store: Store;
  rates: RatesService;
  widthMs: number;
  /** Period, ms; 0 = never (not on stop either). */
  everyMs: number;
  log: StoreLog;
}

export interface SnapshotStats {
  takenAt: number;
  rows: number;
  links: number;
  captureMs: number;
  writeMs: number;
}

/** Writes a snapshot every `everyMs` (one at a time) and a last one on `stop()`. */
export class Snapshotter {
  readonly #o: SnapshotterOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  last: SnapshotStats | undefined;
  failures = 0;

  constructor(o: SnapshotterOptions) {
    this.#o = o;
  }

  start(): void {
    if (this.#o.everyMs > 0 && !this.#stopped) this.#schedule();
  }

  /** Captures and writes one snapshot now (after the one in progress, if any). */
  async write(): Promise<SnapshotStats> {
    const previous = this.#running;
    const run = (async (): Promise<SnapshotStats> => {
      await previous;
      const t0 = performance.now();
      const snapshot = await captureSnapshot(this.#o.rates);
      const t1 = performance.now();
      await this.#o.store.writeRunsSnapshot(this.#o.widthMs, snapshot);
      return {
        takenAt: snapshot.takenAt,
        rows: snapshot.rows.length,
        links: snapshot.links.length,
        captureMs: t1 - t0,
        writeMs: performance.now() - t1,
      };
    })();
    // Set before the first await: a second write() queues behind this one.
    this.#running = run.then(
      () => undefined,
      () => undefined,
    );
    const stats = await run;
    this.last = stats;
    return stats;
  }

  /** Stops the period, waits for a write in progress, then writes the last snapshot (unless disabled or `final: false`). */
  async stop({ final = true } = {}): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    if (final && this.#o.everyMs > 0) await this.#attempt();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#attempt().finally(() => {
        if (!this.#stopped) this.#schedule();
      });
    }, this.#o.everyMs);
    // The period alone never keeps the process alive.
    this.#timer.unref();
  }

  /** One write; a failure is logged (the next period tries again), never thrown. */
  async #attempt(): Promise<void> {
    try {
      const s = await this.write();
      this.#o.log.info(
        { ...s, captureMs: Math.round(s.captureMs), writeMs: Math.round(s.writeMs) },
        'availability snapshot written',
      );
    } catch (err) {
      this.failures++;
      this.#o.log.error({ err: messageOf(err) }, 'availability snapshot not written');
    }
  }
}
