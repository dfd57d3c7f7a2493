/** DuckDB store rows ↔ contract values: the value columns of a sample, marks and events read back. */
import type { DuckDBAppender, DuckDBValue } from '@duckdb/node-api';
import { compareEvents, isEventType, linkEvent } from './common.ts';
import type { LinkEvent, OnlineMark, SampleValue } from './types.ts';

export function appendValue(a: DuckDBAppender, value: SampleValue): void {
  // Columns value (DOUBLE), value_bool, value_str: at most one is set.
  if (typeof value === 'number') a.appendDouble(value);
  else a.appendNull();
  if (typeof value === 'boolean') a.appendBoolean(value);
  else a.appendNull();
  if (typeof value === 'string') a.appendVarchar(value);
  else a.appendNull();
}

export function marksOf(rows: DuckDBValue[][]): OnlineMark[] {
  return rows.map(([enterprise, device, bucket]) => ({
    enterprise: str(enterprise),
    device: str(device),
    bucket: Number(bucket),
  }));
}

export function eventsOf(rows: DuckDBValue[][]): LinkEvent[] {
  const events: LinkEvent[] = [];
  for (const [time, type, enterprise, node, device] of rows) {
    const t = str(type);
    if (isEventType(t)) events.push(linkEvent(Number(time), t, str(enterprise), str(node), str(device)));
  }
  return events.sort(compareEvents);
}

/** A cell of a result row (undefined only past the row's end). */
type Cell = DuckDBValue | undefined;

export function valueOf(num: Cell, bool: Cell, text: Cell): SampleValue {
  if (typeof num === 'number') return num;
  if (typeof bool === 'boolean') return bool;
  return typeof text === 'string' ? text : null;
}

export function str(v: Cell): string {
  return typeof v === 'string' ? v : String(v);
}
