/**
 * Availability snapshots and the late-write log in the InfluxDB store (docs/storage.md "InfluxDB
 * layout"): points to write, statements to run, answers to rows, through the store's own
 * write/read (SnapshotIo: retries, tracking for close()).
 *
 * - `runs_snapshot`, tags w, kind (runs | links), chunk; time = takenAt; field `rows` = a JSON
 *   array of rows, at most CHUNK_BYTES: [[enterprise, device, runs], …] or
 *   [[time, type, enterprise, node, device], …]. Packed so a province (~100,000 rows) is ~1,000
 *   points on a handful of series instead of 100,000 series.
 * - `runs_snapshot_done`, tag w; time = takenAt; fields rows, links, chunks: written only after
 *   every chunk was acknowledged. A snapshot without it, or whose chunks do not add up to its
 *   counts, is never loaded. Once it is written, every other snapshot of the width is deleted.
 * - `late_writes`, tags kind (online | events), w (online only), chunk; time = when written
 *   (unique per store: one ms per write call); field `rows` JSON as above, marks as
 *   [[enterprise, device, bucket], …]. Marks and events are stored at their own (bucket, event)
 *   time, which cannot say when they arrived; those older than LATE_MARK / LATE_EVENT_MS at
 *   write time are logged here too, so "written since t" = recent by their own time ∪ this log.
 */
import { linkEvent, isEventType } from './common.ts';
import { columnsOf, type LinePoint, type RawSeries } from './influx-layout.ts';
import { pointLine } from './influx-lines.ts';
import { quoteIdent, quoteString, timeMs } from './influxql.ts';
import type { LinkEvent, OnlineMark, RunsRow, RunsSnapshot } from './types.ts';

export const RUNS_SNAPSHOT = 'runs_snapshot';
export const RUNS_SNAPSHOT_DONE = 'runs_snapshot_done';
export const LATE_WRITES = 'late_writes';

/** Bytes of JSON per point: inside InfluxDB's 64 KB limit for a string field. */
export const CHUNK_BYTES = 48_000;
/** Chunks per query when a snapshot is read (≤ 100 × 48 KB). */
const SERIES_PAGE = 100;
/** Bytes per write request of snapshot chunks. */
const BODY_BYTES = 1_000_000;

/** A mark is late (logged) when its bucket starts this long before the write: two buckets and a minute. */
export const lateMarkMs = (widthMs: number): number => 2 * widthMs + 60_000;
/** An event is late when it is this much older than its write. */
export const LATE_EVENT_MS = 60_000;

/** Rows as JSON arrays of at most `maxBytes` each (one row alone may exceed it). */
export function packJson(rows: readonly unknown[][], maxBytes = CHUNK_BYTES): string[] {
  const chunks: string[] = [];
  let parts: string[] = [];
  let bytes = 2;
  for (const row of rows) {
    const json = JSON.stringify(row);
    const size = Buffer.byteLength(json) + 1;
    if (parts.length > 0 && bytes + size > maxBytes) {
      chunks.push(`[${parts.join(',')}]`);
      parts = [];
      bytes = 2;
    }
    parts.push(json);
    bytes += size;
  }
  if (parts.length > 0) chunks.push(`[${parts.join(',')}]`);
  return chunks;
}

/** Lines → request bodies of about BODY_BYTES, with how many lines each holds. */
export function sizedBodies(lines: readonly string[]): { body: string; lines: number }[] {
  const out: { body: string; lines: number }[] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const line of lines) {
    if (batch.length > 0 && bytes + line.length > BODY_BYTES) {
      out.push({ body: batch.join('\n'), lines: batch.length });
      batch = [];
      bytes = 0;
    }
    batch.push(line);
    bytes += line.length + 1;
  }
  if (batch.length > 0) out.push({ body: batch.join('\n'), lines: batch.length });
  return out;
}

const chunkLines = (measurement: string, tags: Record<string, string>, chunks: string[], at: number) =>
  chunks.map((rows, i) =>
    pointLine({ measurement, tags: { ...tags, chunk: String(i) }, fields: { rows }, timestamp: String(at) }),
  );

const eventRow = (e: LinkEvent): unknown[] => [e.time, e.type, e.enterprise, e.node, e.device ?? ''];

/** The chunk lines of a snapshot, and the line of its marker (written after them). */
export function snapshotLines(widthMs: number, s: RunsSnapshot): { chunks: string[]; done: string } {
  const w = String(widthMs);
  const runs = packJson(s.rows.map((r) => [r.enterprise, r.device, r.runs]));
  const links = packJson(s.links.map(eventRow));
  const chunks = [
    ...chunkLines(RUNS_SNAPSHOT, { w, kind: 'runs' }, runs, s.takenAt),
    ...chunkLines(RUNS_SNAPSHOT, { w, kind: 'links' }, links, s.takenAt),
  ];
  const done: LinePoint = {
    measurement: RUNS_SNAPSHOT_DONE,
    tags: { w },
    fields: { rows: s.rows.length, links: s.links.length, chunks: chunks.length },
    timestamp: String(s.takenAt),
  };
  return { chunks, done: pointLine(done) };
}

/** What the snapshot functions need of the store. */
export interface SnapshotIo {
  /** One request body of `lines` points. */
  write(body: string, lines: number, what: string): Promise<void>;
  read(q: string, what: string): Promise<RawSeries[]>;
  /** A measurement with the retention policy: `"lianwang"."m"`. */
  from(measurement: string): string;
  /** `time >= … AND time < …` */
  between(from: number, to: number): string;
  /** A marked snapshot whose chunks do not add up (skipped for an older one). */
  skipped(takenAt: number): void;
}

export async function writeSnapshot(io: SnapshotIo, widthMs: number, s: RunsSnapshot): Promise<void> {
  const { chunks, done } = snapshotLines(widthMs, s);
  const what = `write availability snapshot of ${new Date(s.takenAt).toISOString()}`;
  for (const b of sizedBodies(chunks)) await io.write(b.body, b.lines, what);
  // Only now is it complete; then the older ones (and any left half-written) go.
  await io.write(done, 1, `${what}: marker`);
  for (const q of deleteOtherSnapshots(widthMs, s.takenAt)) await io.read(q, 'delete other snapshots');
}

export async function loadSnapshot(io: SnapshotIo, widthMs: number): Promise<RunsSnapshot | undefined> {
  const w = quoteString(String(widthMs));
  const markers = markersOf(
    await io.read(
      `SELECT "rows", "links" FROM ${io.from(RUNS_SNAPSHOT_DONE)} WHERE "w" = ${w} ORDER BY time DESC LIMIT 3`,
      'load availability snapshot markers',
    ),
  );
  // Normally one; an older one only when the newest lost chunks (retention, a DELETE by hand).
  for (const m of markers) {
    // Paged by series (one per chunk), so no answer is larger than a few MB: a province's
    // snapshot in one answer is ~50 MB of JSON, slow enough on a busy influxd to time out.
    const chunks: RawSeries[] = [];
    for (let offset = 0; ; offset += SERIES_PAGE) {
      const page = await io.read(
        `SELECT "rows" FROM ${io.from(RUNS_SNAPSHOT)} WHERE "w" = ${w} AND ${io.between(m.takenAt, m.takenAt + 1)}` +
          ` GROUP BY "kind", "chunk" SLIMIT ${SERIES_PAGE} SOFFSET ${offset}`,
        'load availability snapshot',
      );
      chunks.push(...page);
      if (page.length < SERIES_PAGE) break;
    }
    const snapshot = snapshotOf(chunks, m);
    if (snapshot) return snapshot;
    io.skipped(m.takenAt);
  }
  return undefined;
}

/** Statements deleting every snapshot of the width but the one at `takenAt` (DELETE takes no OR). */
export function deleteOtherSnapshots(widthMs: number, takenAt: number): string[] {
  const w = `${quoteIdent('w')} = ${quoteString(String(widthMs))}`;
  return [RUNS_SNAPSHOT, RUNS_SNAPSHOT_DONE].flatMap((m) => [
    `DELETE FROM ${quoteIdent(m)} WHERE ${w} AND time < ${timeMs(takenAt)}`,
    `DELETE FROM ${quoteIdent(m)} WHERE ${w} AND time > ${timeMs(takenAt)}`,
  ]);
}

export interface SnapshotMarker {
  takenAt: number;
  rows: number;
  links: number;
}

export function markersOf(series: RawSeries[]): SnapshotMarker[] {
  return series.flatMap((s) => {
    const col = columnsOf(s);
    return s.values.map((row) => ({
      takenAt: Number(col(row, 'time')),
      rows: Number(col(row, 'rows')),
      links: Number(col(row, 'links')),
    }));
  });
}

/** The snapshot the chunks hold, or undefined when they are not all there. */
export function snapshotOf(series: RawSeries[], marker: SnapshotMarker): RunsSnapshot | undefined {
  const rows: RunsRow[] = [];
  const links: LinkEvent[] = [];
  for (const s of series) {
    const kind = s.tags?.kind;
    const col = columnsOf(s);
    for (const row of s.values) {
      for (const r of jsonRows(col(row, 'rows'))) {
        if (kind === 'runs') {
          const [enterprise, device, runs] = r;
          if (typeof enterprise === 'string' && typeof device === 'string' && typeof runs === 'string')
            rows.push({ enterprise, device, runs });
        } else if (kind === 'links') {
          const e = eventOf(r);
          if (e) links.push(e);
        }
      }
    }
  }
  if (rows.length !== marker.rows || links.length !== marker.links) return undefined;
  return { takenAt: marker.takenAt, rows, links };
}

/** The late-log lines of the marks that are late at `now` (none: no line); `at()` stamps them. */
export function lateMarkLines(
  marks: readonly OnlineMark[],
  widthMs: number,
  now: number,
  at: () => number,
): string[] {
  const late = marks.filter((m) => m.bucket < now - lateMarkMs(widthMs));
  if (late.length === 0) return [];
  const chunks = packJson(late.map((m) => [m.enterprise, m.device, m.bucket]));
  return chunkLines(LATE_WRITES, { kind: 'online', w: String(widthMs) }, chunks, at());
}

export function lateEventLines(events: readonly LinkEvent[], now: number, at: () => number): string[] {
  const late = events.filter((e) => e.time < now - LATE_EVENT_MS);
  if (late.length === 0) return [];
  return chunkLines(LATE_WRITES, { kind: 'events' }, packJson(late.map(eventRow)), at());
}

export async function loadLateMarks(io: SnapshotIo, widthMs: number, since: number): Promise<OnlineMark[]> {
  const w = quoteString(String(widthMs));
  return lateMarksOf(
    await io.read(
      `SELECT "rows" FROM ${io.from(LATE_WRITES)} WHERE "kind" = 'online' AND "w" = ${w} AND ${io.between(since, Infinity)}`,
      'load late online marks',
    ),
  );
}

export async function loadLateEvents(io: SnapshotIo, since: number): Promise<LinkEvent[]> {
  return lateEventsOf(
    await io.read(
      `SELECT "rows" FROM ${io.from(LATE_WRITES)} WHERE "kind" = 'events' AND ${io.between(since, Infinity)}`,
      'load late link events',
    ),
  );
}

/** Rows found both by their own time and in the late log, once. */
export function unique<T extends OnlineMark | LinkEvent>(rows: T[]): T[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = JSON.stringify(
      'bucket' in r
        ? [r.enterprise, r.device, r.bucket]
        : [r.time, r.type, r.enterprise, r.node, r.device ?? ''],
    );
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function lateMarksOf(series: RawSeries[]): OnlineMark[] {
  const out: OnlineMark[] = [];
  for (const r of allJsonRows(series)) {
    const [enterprise, device, bucket] = r;
    if (typeof enterprise === 'string' && typeof device === 'string' && typeof bucket === 'number')
      out.push({ enterprise, device, bucket });
  }
  return out;
}

export function lateEventsOf(series: RawSeries[]): LinkEvent[] {
  return allJsonRows(series).flatMap((r) => eventOf(r) ?? []);
}

function eventOf(r: unknown[]): LinkEvent | undefined {
  const [time, type, enterprise, node, device] = r;
  if (typeof time !== 'number' || typeof type !== 'string' || !isEventType(type)) return undefined;
  if (typeof enterprise !== 'string' || typeof node !== 'string' || typeof device !== 'string')
    return undefined;
  return linkEvent(time, type, enterprise, node, device);
}

function allJsonRows(series: RawSeries[]): unknown[][] {
  return series.flatMap((s) => {
    const col = columnsOf(s);
    return s.values.flatMap((row) => jsonRows(col(row, 'rows')));
  });
}

/** A `rows` field back to its rows; anything else (a damaged point) holds none. */
function jsonRows(field: unknown): unknown[][] {
  if (typeof field !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(field);
    return Array.isArray(parsed) ? parsed.filter((r): r is unknown[] => Array.isArray(r)) : [];
  } catch {
    return [];
  }
}
