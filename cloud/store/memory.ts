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
  checkWidth,
  compareEvents,
  compareStrings,
  linkEvent,
  normaliseValue,
  seriesLimit,
} from './common.ts';
import type { CountQuery, LinkEvent, OnlineMark, Sample, Series, SeriesQuery, Store } from './types.ts';

/** What a memory store holds; pass the same object to a new store to "reopen" it. */
export interface MemoryData {
  samples: Map<string, Sample>;
  online: Map<string, OnlineMark & { width: number }>;
  events: Map<string, LinkEvent>;
}

export function memoryData(): MemoryData {
  return { samples: new Map(), online: new Map(), events: new Map() };
}

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
        for (const { enterprise, device, bucket } of marks)
          data.online.set(key(widthMs, enterprise, device, bucket), {
            enterprise,
            device,
            bucket,
            width: widthMs,
          });
      }),
    loadOnline: (widthMs: number, from: number, to: number) =>
      run(() => {
        checkWidth(widthMs);
        return [...data.online.values()]
          .filter((m) => m.width === widthMs && inRange(m.bucket, from, to))
          .map(({ enterprise, device, bucket }) => ({ enterprise, device, bucket }));
      }),
    writeEvents: (events: readonly LinkEvent[]) =>
      run(() => {
        checkEvents(events);
        for (const e of events) {
          const device = e.device ?? '';
          data.events.set(
            key(e.time, e.type, e.enterprise, e.node, device),
            linkEvent(e.time, e.type, e.enterprise, e.node, device),
          );
        }
      }),
    loadEvents: (from: number, to: number) =>
      run(() =>
        [...data.events.values()]
          .filter((e) => inRange(e.time, from, to))
          .map((e) => ({ ...e }))
          .sort(compareEvents),
      ),
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
