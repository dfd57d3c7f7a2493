/**
 * Block-read planning: coalesces the points of one device, table and poll interval into as
 * few requests as possible — at most 125 registers / 2000 bits per request, bridging gaps of
 * at most `maxGap` unused registers between points. Pure; tested without sockets.
 */
import type { CollectPoint } from '../../../config/index.ts';
import type { PointCodec } from '../../../wire/modbus/codec.ts';
import {
  isBitTable,
  MAX_READ_BITS,
  MAX_READ_REGISTERS,
  registerWidth,
  type Table,
} from '../../../wire/modbus/datatypes.ts';

export interface PlannedPoint {
  cp: CollectPoint;
  codec: PointCodec;
  /** Offset of the point's first register (or bit) inside the block. */
  offset: number;
  bit: number | undefined;
}

export interface Block {
  table: Table;
  address: number;
  quantity: number;
  points: PlannedPoint[];
}

export interface PlanOptions {
  maxGap: number;
  maxRegisters?: number;
  maxBits?: number;
}

/**
 * Codecs are immutable and few distinct ones exist (type, order, scale, offset): one object each,
 * shared by every point that uses it, instead of one per point (50,000 at the benchmark's scale).
 */
const codecs = new Map<string, PointCodec>();
export function codecOf(cp: CollectPoint): PointCodec {
  const codec: PointCodec = {
    type: cp.point.type,
    order: cp.point.modbus?.order ?? 'ABCD',
    scale: cp.point.modbus?.scale ?? 1,
    offset: cp.point.modbus?.offset ?? 0,
    ...(cp.point.length === undefined ? {} : { length: cp.point.length }),
  };
  const key = `${codec.type} ${codec.order} ${codec.scale} ${codec.offset} ${codec.length ?? ''}`;
  const known = codecs.get(key);
  if (known) return known;
  codecs.set(key, Object.freeze(codec));
  return codec;
}

const widthOf = (cp: CollectPoint): number =>
  cp.point.modbus && isBitTable(cp.point.modbus.table)
    ? 1
    : registerWidth(cp.point.type, cp.point.length ?? 0);

export function planBlocks(points: readonly CollectPoint[], opts: PlanOptions): Block[] {
  const byTable = new Map<Table, CollectPoint[]>();
  for (const cp of points) {
    const m = cp.point.modbus;
    if (!m) continue;
    byTable.set(m.table, [...(byTable.get(m.table) ?? []), cp]);
  }
  const blocks: Block[] = [];
  for (const [table, list] of byTable) {
    const max = isBitTable(table)
      ? (opts.maxBits ?? MAX_READ_BITS)
      : (opts.maxRegisters ?? MAX_READ_REGISTERS);
    const gap = isBitTable(table) ? Math.max(opts.maxGap, 0) * 16 : opts.maxGap;
    list.sort((a, b) => (a.point.modbus?.address ?? 0) - (b.point.modbus?.address ?? 0));
    let current: { start: number; end: number; members: CollectPoint[] } | undefined;
    const flush = () => {
      if (!current) return;
      const start = current.start;
      blocks.push({
        table,
        address: start,
        quantity: current.end - start,
        points: current.members.map((cp) => ({
          cp,
          codec: codecOf(cp),
          offset: (cp.point.modbus?.address ?? 0) - start,
          bit: cp.point.modbus?.bit,
        })),
      });
    };
    for (const cp of list) {
      const start = cp.point.modbus?.address ?? 0;
      const end = start + widthOf(cp);
      if (current && start - current.end <= gap && Math.max(end, current.end) - current.start <= max) {
        current.end = Math.max(current.end, end);
        current.members.push(cp);
      } else {
        flush();
        current = { start, end, members: [cp] };
      }
    }
    flush();
  }
  return blocks;
}

/** The requests of one poll loop: the points of one interval, planned into blocks. */
export interface PlannedLoop {
  intervalMs: number;
  blocks: Block[];
}

/**
 * A device's poll loops: its points grouped by interval, each group planned. Devices with the same
 * (shared) point list get the same plan: blocks are never mutated, so one plan serves them all.
 */
const loopPlans = new WeakMap<readonly CollectPoint[], Map<number, PlannedLoop[]>>();
export function planLoops(points: readonly CollectPoint[], maxGap: number): PlannedLoop[] {
  let byGap = loopPlans.get(points);
  if (!byGap) loopPlans.set(points, (byGap = new Map<number, PlannedLoop[]>()));
  const known = byGap.get(maxGap);
  if (known) return known;
  const byInterval = new Map<number, CollectPoint[]>();
  for (const p of points) {
    const list = byInterval.get(p.intervalMs);
    if (list) list.push(p);
    else byInterval.set(p.intervalMs, [p]);
  }
  const loops = [...byInterval].map(([intervalMs, list]) => ({
    intervalMs,
    blocks: planBlocks(list, { maxGap }),
  }));
  byGap.set(maxGap, loops);
  return loops;
}
