/**
 * An in-memory Store for unit tests of ingest, rates and the API: the same behaviour as the real
 * stores (it passes the same conformance suite), no files, no server. Not for production: it keeps
 * everything and forgets it with the process.
 */
import {
  bound,
  checkEvents,
  checkMarks,
  checkSamples,
  checkSnapshot,
  checkWidth,
  compareEvents,
  compareStrings,
  linkEvent,
  normaliseValue,
  seriesLimit,
} from './common.ts';
import type {
  CountQuery,
  LinkEvent,
  OnlineMark,
  RunsSnapshot,
  Sample,
  Series,
  SeriesQuery,
  Store,
} from './types.ts';

/** What a memory store holds; pass the same object to a new store to "reopen" it. */
export interface MemoryData {
  samples: Map<string, Sample>;
  /** `at`: when the mark was first written (Date.now()), for loadOnlineSince. */
  online: Map<string, OnlineMark & { width: number; at: number }>;
  events: Map<string, { event: LinkEvent; at: number }>;
  /** width → takenAt → snapshot, written before its commit below. */
  snapshots: Map<number, Map<number, RunsSnapshot>>;
  /** width → takenAt of the snapshots whose write completed. */
  committed: Map<number, Set<number>>;
}

export function memoryData(): MemoryData {
  return {
    samples: new Map(),
    online: new Map(),
    events: new Map(),
    snapshots: new Map(),
    committed: new Map(),
  };
}

const copySnapshot = (s: RunsSnapshot): RunsSnapshot => ({
  takenAt: s.takenAt,
  rows: s.rows.map((r) => ({ ...r })),
  links: s.links.map((e) => linkEvent(e.time, e.type, e.enterprise, e.node, e.device ?? '')),
});

// Same identities as the other stores (the sample key includes the node, as in DuckDB/InfluxDB).
const key = (...parts: (string | number)[]): string => parts.join('\u0000');

export function createMemoryStore(opts: { data?: MemoryData } = {}): Store {
  const data = opts.data ?? memoryData();
  let state: 'new' | 'open' | 'closed' = 'new';
  const checkOpen = (): void => {
    if (state !== 'open') throw new Error(`memory store is ${state === 'new' ? 'not open' : 'closed'}`);
  };
  const inRange = (t: number, from: number, to: number): boolean => t >= bound(from) && t < bound(to);
  /** Runs a method body on an open store; a throw becomes a rejection, as in the real stores. */
  const run = <R>(body: () => R): Promise<R> => {
    try {
      checkOpen();
      return Promise.resolve(body());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };

  return {
    // The contract knows two kinds; this one behaves like DuckDB (first write wins, ids verbatim).
    kind: 'duckdb',
    location: 'memory',
    open() {
      if (state === 'closed') return Promise.reject(new Error('memory store is closed'));
      state = 'open';
      return Promise.resolve();
    },
    writeSamples: (rows: readonly Sample[]) =>
      run(() => {
        checkSamples(rows);
        for (const s of rows) {
          const k = key(s.enterprise, s.device, s.metric, s.time, s.node);
          // First write wins, as with INSERT OR IGNORE; a copy, so the caller may reuse its objects.
          if (!data.samples.has(k)) data.samples.set(k, { ...s, value: normaliseValue(s.value) });
        }
      }),
    writeOnline: (marks: readonly OnlineMark[], widthMs: number) =>
      run(() => {
        checkMarks(marks, widthMs);
        const at = Date.now();
        for (const { enterprise, device, bucket } of marks) {
          const k = key(widthMs, enterprise, device, bucket);
          // First write wins, as INSERT OR IGNORE: a rewrite keeps the mark's first `at`.
          if (!data.online.has(k)) data.online.set(k, { enterprise, device, bucket, width: widthMs, at });
        }
      }),
    loadOnline: (widthMs: number, from: number, to: number) =>
      run(() => {
        checkWidth(widthMs);
        return [...data.online.values()]
          .filter((m) => m.width === widthMs && inRange(m.bucket, from, to))
          .map(({ enterprise, device, bucket }) => ({ enterprise, device, bucket }));
      }),
    loadOnlineSince: (widthMs: number, since: number) =>
      run(() => {
        checkWidth(widthMs);
        return [...data.online.values()]
          .filter((m) => m.width === widthMs && m.at >= since)
          .map(({ enterprise, device, bucket }) => ({ enterprise, device, bucket }));
      }),
    writeEvents: (events: readonly LinkEvent[]) =>
      run(() => {
        checkEvents(events);
        const at = Date.now();
        for (const e of events) {
          const device = e.device ?? '';
          const k = key(e.time, e.type, e.enterprise, e.node, device);
          if (!data.events.has(k))
            data.events.set(k, { event: linkEvent(e.time, e.type, e.enterprise, e.node, device), at });
        }
      }),
    loadEvents: (from: number, to: number) =>
      run(() =>
        [...data.events.values()]
          .filter(({ event }) => inRange(event.time, from, to))
          .map(({ event }) => ({ ...event }))
          .sort(compareEvents),
      ),
    loadEventsSince: (since: number) =>
      run(() =>
        [...data.events.values()]
          .filter(({ at }) => at >= since)
          .map(({ event }) => ({ ...event }))
          .sort(compareEvents),
      ),
    writeRunsSnapshot: (widthMs: number, snapshot: RunsSnapshot) =>
      run(() => {
        checkWidth(widthMs);
        checkSnapshot(snapshot);
        const byTime = data.snapshots.get(widthMs) ?? new Map<number, RunsSnapshot>();
        data.snapshots.set(widthMs, byTime);
        byTime.set(snapshot.takenAt, copySnapshot(snapshot));
        const done = data.committed.get(widthMs) ?? new Set<number>();
        data.committed.set(widthMs, done);
        done.add(snapshot.takenAt);
        // Older snapshots, complete or not, are no longer needed.
        for (const t of byTime.keys()) if (t < snapshot.takenAt) byTime.delete(t);
        for (const t of done) if (t < snapshot.takenAt) done.delete(t);
      }),
    loadRunsSnapshot: (widthMs: number) =>
      run(() => {
        checkWidth(widthMs);
        const done = [...(data.committed.get(widthMs) ?? [])].sort((a, b) => b - a);
        for (const t of done) {
          const s = data.snapshots.get(widthMs)?.get(t);
          if (s) return copySnapshot(s);
        }
        return undefined;
      }),
    series: (q: SeriesQuery) =>
      run(() => {
        const limit = seriesLimit(q.limit);
        const wanted = q.metrics ? new Set(q.metrics) : undefined;
        const byMetric = new Map<string, Sample[]>();
        for (const s of data.samples.values()) {
          if (s.enterprise !== q.enterprise || s.device !== q.device || !inRange(s.time, q.from, q.to))
            continue;
          if (wanted && !wanted.has(s.metric)) continue;
          const list = byMetric.get(s.metric) ?? [];
          list.push(s);
          byMetric.set(s.metric, list);
        }
        const out: Series[] = [];
        if (limit < 1) return out;
        for (const [metric, list] of byMetric) {
          list.sort((a, b) => a.time - b.time || compareStrings(a.node, b.node));
          const points = list.slice(-limit).map((s) => ({ time: s.time, value: s.value, good: s.good }));
          out.push({ metric, points });
        }
        return out.sort((a, b) => compareStrings(a.metric, b.metric));
      }),
    countSamples: (q: CountQuery) =>
      run(() => {
        let n = 0;
        for (const s of data.samples.values())
          if (
            inRange(s.time, q.from, q.to) &&
            (q.enterprise === undefined || s.enterprise === q.enterprise) &&
            (q.device === undefined || s.device === q.device)
          )
            n++;
        return n;
      }),
    close() {
      state = 'closed';
      return Promise.resolve();
    },
  };
}
