/**
 * The InfluxDB layout (docs/storage.md "InfluxDB layout"): how rows become points and how query
 * results become rows again. Pure code; the HTTP side is in influx.ts.
 *
 * - `telemetry`, tags enterprise,node,device,metric; fields `value` (float), `value_bool`,
 *   `value_str` (one of the three, or none when the value is null), `good`, `historical`.
 *   Numbers are always written as floats (never `…i`), so a field never changes type and an
 *   integer metric cannot conflict with a float one in the same shard.
 * - `online`, tags w (bucket width ms),enterprise,device; field `v` = true; time = bucket start.
 * - `link_events`, tags type,enterprise,node[,device]; field `n` = 1; time = event time.
 *
 * A point's identity is (measurement, tag set, time), so writing a row again overwrites the same
 * point with the same fields: idempotent, and COUNT stays exact.
 */
import { linkEvent, normaliseValue, isEventType } from './common.ts';
import { decodeTag, encodeTag } from './influxql.ts';
import type { LinkEvent, OnlineMark, Sample, SampleValue, SeriesPoint } from './types.ts';

export const TELEMETRY = 'telemetry';
export const ONLINE = 'online';
export const LINK_EVENTS = 'link_events';

/** One point to write (influx-lines.ts turns it into a line); the shape of node-influx's IPoint. */
export interface LinePoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | boolean | string>;
  /** ms since the epoch, as text. */
  timestamp: string;
}

export function samplePoint(s: Sample): LinePoint {
  const fields: Record<string, number | boolean | string> = { good: s.good, historical: s.historical };
  const value = normaliseValue(s.value);
  if (typeof value === 'number') fields.value = value;
  else if (typeof value === 'boolean') fields.value_bool = value;
  else if (typeof value === 'string') fields.value_str = value;
  return {
    measurement: TELEMETRY,
    tags: {
      enterprise: encodeTag(s.enterprise),
      node: encodeTag(s.node),
      device: encodeTag(s.device),
      metric: encodeTag(s.metric),
    },
    fields,
    // A string: node-influx (bench/store.ts) drops a falsy timestamp (0) and lets the server stamp "now".
    timestamp: String(s.time),
  };
}

export function markPoint(m: OnlineMark, widthMs: number): LinePoint {
  return {
    measurement: ONLINE,
    tags: { w: String(widthMs), enterprise: encodeTag(m.enterprise), device: encodeTag(m.device) },
    fields: { v: true },
    timestamp: String(m.bucket),
  };
}

export function eventPoint(e: LinkEvent): LinePoint {
  const tags: Record<string, string> = {
    type: e.type,
    enterprise: encodeTag(e.enterprise),
    node: encodeTag(e.node),
  };
  // No tag for NBIRTH/NDEATH: an absent device and '' are the same event in every store.
  if (e.device !== undefined && e.device !== '') tags.device = encodeTag(e.device);
  return { measurement: LINK_EVENTS, tags, fields: { n: 1 }, timestamp: String(e.time) };
}

/** One series of a /query answer (epoch=ms). */
export interface RawSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** The columns of a series by name, tolerant of columns InfluxDB leaves out. */
export function columnsOf(series: RawSeries): (row: unknown[], column: string) => unknown {
  const index = new Map(series.columns.map((c, i) => [c, i]));
  return (row, column) => {
    const i = index.get(column);
    return i === undefined ? null : row[i];
  };
}

export function tagOf(series: RawSeries, key: string): string {
  return decodeTag(series.tags?.[key] ?? '');
}

export function seriesPoint(row: unknown[], col: (row: unknown[], c: string) => unknown): SeriesPoint {
  return { time: Number(col(row, 'time')), value: valueOf(row, col), good: col(row, 'good') === true };
}

function valueOf(row: unknown[], col: (row: unknown[], c: string) => unknown): SampleValue {
  const num = col(row, 'value');
  if (typeof num === 'number') return num;
  const bool = col(row, 'value_bool');
  if (typeof bool === 'boolean') return bool;
  const str = col(row, 'value_str');
  return typeof str === 'string' ? str : null;
}

export function eventsOf(series: RawSeries[]): LinkEvent[] {
  const out: LinkEvent[] = [];
  for (const s of series) {
    const type = s.tags?.type ?? '';
    if (!isEventType(type)) continue;
    const enterprise = tagOf(s, 'enterprise');
    const node = tagOf(s, 'node');
    // GROUP BY * reads an absent tag as '': the event of the node itself.
    const device = tagOf(s, 'device');
    const col = columnsOf(s);
    for (const row of s.values) out.push(linkEvent(Number(col(row, 'time')), type, enterprise, node, device));
  }
  return out;
}

/**
 * Marks from `SELECT "v", "enterprise", "device"`: the tags as columns of one series, not a
 * series per device (GROUP BY), which at 100,000 devices made the answer ~1.6× slower to get.
 */
export function marksOf(series: RawSeries[]): OnlineMark[] {
  return series.flatMap((s) => {
    const col = columnsOf(s);
    const text = (row: unknown[], c: string): string => {
      const v = col(row, c);
      return decodeTag(typeof v === 'string' ? v : '');
    };
    return s.values.map((row) => ({
      enterprise: text(row, 'enterprise'),
      device: text(row, 'device'),
      bucket: Number(col(row, 'time')),
    }));
  });
}

/** Checks the shape of a /query answer and returns its first statement's series. */
export function firstResult(raw: unknown): RawSeries[] {
  const results = (raw as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length === 0) throw new Error('InfluxDB answered without results');
  const first = results[0] as { error?: unknown; series?: unknown };
  if (typeof first.error === 'string') throw new Error(`InfluxDB: ${first.error}`);
  if (first.series === undefined) return [];
  if (!Array.isArray(first.series)) throw new Error('InfluxDB answered with a malformed series list');
  return first.series as RawSeries[];
}
