/**
 * What every store implementation shares: the input rules (validated once, the same way in every
 * store, so the conformance suite can hold them all to one behaviour), the order of link events,
 * and the small logger shape the stores write to.
 */
import type { LinkEvent, LinkEventType, OnlineMark, RunsSnapshot, Sample, SampleValue } from './types.ts';

/** The subset of pino's Logger the stores use, so tests can pass a plain object. */
export interface StoreLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const noop = (): void => undefined;
export const silentLog: StoreLog = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * A write that can never succeed however often it is retried (the store refused the data itself,
 * not because it is down): the batcher rejects such rows instead of retrying them forever.
 */
export class PermanentStoreError extends Error {
  override readonly name: string = 'PermanentStoreError';
}

/** A row no store can accept (a programming error upstream), refused before anything is written. */
export class InvalidRowError extends PermanentStoreError {
  override readonly name: string = 'InvalidRowError';
}

/**
 * Latest time every store can hold. InfluxDB keeps int64 nanoseconds (until 2262-04-11); the same
 * bound applies to DuckDB so a row one store accepts is never refused by the other.
 */
export const MAX_TIME_MS = 9_223_372_036_853;

export function checkTime(time: number, what: string): void {
  if (!Number.isSafeInteger(time) || time < 0 || time > MAX_TIME_MS)
    throw new InvalidRowError(`${what}: time ${time} is not an integer ms in [0, ${MAX_TIME_MS}]`);
}

/**
 * A query bound as every store applies it: an integer ms clamped to the storable range, so
 * `to: Infinity` or `from: -1` mean "everything" instead of an error from one store only.
 */
export function bound(ms: number): number {
  if (Number.isNaN(ms)) throw new RangeError('time bound is NaN');
  return Math.min(Math.max(Math.ceil(ms), 0), MAX_TIME_MS + 1);
}

/** Points per metric a series query returns: `limit` (default 1,000), whole, at most 10 million. */
export function seriesLimit(limit: number | undefined): number {
  const n = limit ?? 1_000;
  if (Number.isNaN(n)) throw new RangeError('series limit is NaN');
  return Math.max(0, Math.min(Math.floor(n), 10_000_000));
}

/**
 * The value as every store keeps it: NaN and ±Infinity become null (InfluxDB's line protocol cannot
 * carry them) and -0 becomes 0 (InfluxDB writes it as 0), so both stores read back the same value.
 */
export function normaliseValue(value: SampleValue): SampleValue {
  if (typeof value !== 'number') return value;
  if (!Number.isFinite(value)) return null;
  return value === 0 ? 0 : value;
}

/** Throws InvalidRowError for the first row no store could keep; checked before anything is written. */
export function checkSamples(rows: readonly Sample[]): void {
  for (const s of rows) checkTime(s.time, `sample ${s.enterprise}/${s.device}/${s.metric}`);
}

export function checkWidth(widthMs: number): void {
  if (!Number.isSafeInteger(widthMs) || widthMs <= 0)
    throw new InvalidRowError(`online bucket width ${widthMs} is not a positive integer ms`);
}

export function checkMarks(marks: readonly OnlineMark[], widthMs: number): void {
  checkWidth(widthMs);
  for (const m of marks) {
    checkTime(m.bucket, `online mark ${m.enterprise}/${m.device}`);
    if (m.bucket % widthMs !== 0)
      throw new InvalidRowError(
        `online mark ${m.enterprise}/${m.device}: bucket ${m.bucket} is not a multiple of ${widthMs}`,
      );
  }
}

const EVENT_TYPES: readonly LinkEventType[] = ['NBIRTH', 'NDEATH', 'DBIRTH', 'DDEATH'];

export function checkEvents(events: readonly LinkEvent[]): void {
  for (const e of events) {
    checkTime(e.time, `link event ${e.type} ${e.enterprise}/${e.node}`);
    if (!EVENT_TYPES.includes(e.type))
      throw new InvalidRowError(`link event: unknown type ${JSON.stringify(e.type)}`);
  }
}

export function checkSnapshot(s: RunsSnapshot): void {
  checkTime(s.takenAt, 'availability snapshot');
  checkEvents(s.links);
}

/** A LinkEvent as stored: `device: ''` and an absent device are the same event (NBIRTH/NDEATH). */
export function linkEvent(
  time: number,
  type: LinkEventType,
  enterprise: string,
  node: string,
  device: string,
): LinkEvent {
  const e: LinkEvent = { time, type, enterprise, node };
  if (device !== '') e.device = device;
  return e;
}

export function isEventType(s: string): s is LinkEventType {
  return (EVENT_TYPES as readonly string[]).includes(s);
}

/**
 * Events at the same ms in the order they must have happened: a device dies before its node, a
 * node's old session dies before the new one is born, and a node is born before its devices.
 */
const EVENT_RANK: Record<LinkEventType, number> = { DDEATH: 0, NDEATH: 1, NBIRTH: 2, DBIRTH: 3 };

export function compareEvents(a: LinkEvent, b: LinkEvent): number {
  return (
    a.time - b.time ||
    EVENT_RANK[a.type] - EVENT_RANK[b.type] ||
    compareStrings(a.enterprise, b.enterprise) ||
    compareStrings(a.node, b.node) ||
    compareStrings(a.device ?? '', b.device ?? '')
  );
}

/** Code-unit order, the same in every store (SQL collations and InfluxDB's order differ). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The message of anything thrown, for errors that wrap it. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
