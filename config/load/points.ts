/** Checks a device's point map: Modbus addressing rules and overlapping register ranges. */
import { isBitTable, isWritableTable, registerWidth, type Table } from '../../wire/modbus/datatypes.ts';
import type { Point } from '../model/point.ts';
import type { ConfigIssue, PathSegment } from './errors.ts';

/** A point and where it came from: the device's own list, or its kind's defaults. */
export interface PlacedPoint {
  point: Point;
  path: PathSegment[];
  origin: string;
}

export function checkPoint({ point, path }: PlacedPoint, modbusRequired: boolean): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (field: string, message: string) =>
    issues.push({ path: [...path, ...field.split('.')], message });
  if (point.type === 'string' && point.length === undefined)
    at('length', 'required for type string (size in bytes)');
  const m = point.modbus;
  if (!m) {
    if (modbusRequired) at('modbus', `point "${point.name}" needs a Modbus address on a Modbus device`);
    return issues;
  }
  if (isBitTable(m.table)) {
    if (point.type !== 'bool') at('type', `a ${m.table} holds one bit: type must be bool, got ${point.type}`);
    if (m.bit !== undefined) at('modbus.bit', `bit applies to register tables, not ${m.table}`);
  } else if (m.bit !== undefined && point.type !== 'bool') {
    at('modbus.bit', `bit applies to bool points, not ${point.type}`);
  }
  if (point.access === 'readwrite' && !isWritableTable(m.table)) {
    at('access', `${m.table} is read-only in Modbus; writable points live in coil or holding`);
  }
  const end = m.address + width(point) - 1;
  if (end > 65535) at('modbus.address', `${point.type} at ${m.address} runs past 65535 (ends at ${end})`);
  return issues;
}

const width = (p: Point): number =>
  p.modbus && isBitTable(p.modbus.table) ? 1 : registerWidth(p.type, p.length ?? 0);

/**
 * Two points overlap when they share a bit (bit tables), or a register — unless both are
 * single bits of that register at different bit positions.
 */
export function checkOverlaps(points: readonly PlacedPoint[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const byTable = new Map<Table, PlacedPoint[]>();
  for (const p of points) {
    const m = p.point.modbus;
    if (!m) continue;
    const list = byTable.get(m.table) ?? [];
    list.push(p);
    byTable.set(m.table, list);
  }
  for (const [table, list] of byTable) {
    const spans = list
      .map((p) => ({
        p,
        start: p.point.modbus?.address ?? 0,
        end: (p.point.modbus?.address ?? 0) + width(p.point) - 1,
      }))
      .sort((a, b) => a.start - b.start || a.end - b.end);
    // Sweep: compare each span with every open span that reaches it (open set stays small).
    const open: typeof spans = [];
    for (const s of spans) {
      for (let i = open.length - 1; i >= 0; i--) if ((open[i]?.end ?? -1) < s.start) open.splice(i, 1);
      for (const o of open) {
        const ob = o.p.point.modbus?.bit;
        const sb = s.p.point.modbus?.bit;
        if (ob !== undefined && sb !== undefined && ob !== sb) continue;
        const blamed = s.p.origin === 'device' || o.p.origin !== 'device' ? s : o;
        const other = blamed === s ? o : s;
        issues.push({
          path: [...blamed.p.path, 'modbus', 'address'],
          message:
            `${table} ${range(blamed)} of "${blamed.p.point.name}" overlaps "${other.p.point.name}" ` +
            `(${table} ${range(other)}${other.p.origin === 'device' ? '' : `, from kind ${other.p.origin}`})`,
        });
      }
      open.push(s);
    }
  }
  return issues;
}

const range = (s: { start: number; end: number; p: PlacedPoint }) => {
  const bit = s.p.point.modbus?.bit;
  return s.start === s.end ? `${s.start}${bit === undefined ? '' : `.${bit}`}` : `${s.start}–${s.end}`;
};
