import { describe, expect, it } from 'vitest';
import { type CollectPoint, KINDS } from '../../../config/index.ts';
import { Point } from '../../../config/model/point.ts';
import { planBlocks, planLoops } from './plan.ts';

const cp = (point: Point): CollectPoint => ({ point, intervalMs: 1000, deadband: 0, scale: 1, offset: 0 });
const reg = (
  name: string,
  address: number,
  type: Point['type'] = 'uint16',
  table: 'input' | 'holding' = 'input',
) => cp(Point.parse({ name, type, modbus: { table, address } }));

describe('block planning', () => {
  it('reads a whole kind map in one request per table', () => {
    const points = (KINDS.get('reheating-furnace')?.points ?? []).map(cp);
    const blocks = planBlocks(points, { maxGap: 16 });
    expect(blocks.map((b) => [b.table, b.address, b.quantity])).toEqual([
      ['discrete', 0, 3],
      ['coil', 0, 2],
      ['input', 0, 22],
      ['holding', 0, 2],
    ]);
    expect(blocks.reduce((n, b) => n + b.points.length, 0)).toBe(points.length);
  });

  it('bridges gaps up to maxGap and splits beyond it', () => {
    const points = [reg('a', 0), reg('b', 10, 'float32'), reg('c', 40)];
    expect(planBlocks(points, { maxGap: 9 }).map((b) => [b.address, b.quantity])).toEqual([
      [0, 12],
      [40, 1],
    ]);
    expect(planBlocks(points, { maxGap: 0 }).map((b) => [b.address, b.quantity])).toEqual([
      [0, 1],
      [10, 2],
      [40, 1],
    ]);
    expect(planBlocks(points, { maxGap: 100 }).map((b) => [b.address, b.quantity])).toEqual([[0, 41]]);
  });

  it('never exceeds 125 registers per request and keeps offsets right', () => {
    const points = Array.from({ length: 200 }, (_, i) => reg(`p${i}`, i * 2, 'float32'));
    const blocks = planBlocks(points, { maxGap: 16 });
    expect(blocks.map((b) => b.quantity)).toEqual([124, 124, 124, 28]);
    for (const b of blocks)
      for (const p of b.points) expect(b.address + p.offset).toBe(p.cp.point.modbus?.address);
  });

  it('shares one codec object between points that decode alike, across plans', () => {
    const one = planBlocks([reg('a', 0, 'float32'), reg('b', 2, 'float32'), reg('c', 4)], { maxGap: 0 });
    const two = planBlocks([reg('x', 8, 'float32')], { maxGap: 0 });
    const [a, b, c] = one[0]?.points ?? [];
    expect(a?.codec).toBe(b?.codec);
    expect(a?.codec).toBe(two[0]?.points[0]?.codec);
    expect(c?.codec).not.toBe(a?.codec);
    expect(c?.codec).toEqual({ type: 'uint16', order: 'ABCD', scale: 1, offset: 0 });
  });

  it('plans one loop per interval, once per point list', () => {
    const points = [reg('a', 0), { ...reg('b', 1), intervalMs: 5000 }, reg('c', 2)];
    const loops = planLoops(points, 16);
    expect(
      loops.map((l) => [l.intervalMs, l.blocks.map((b) => b.points.map((p) => p.cp.point.name))]),
    ).toEqual([
      [1000, [['a', 'c']]],
      [5000, [['b']]],
    ]);
    expect(planLoops(points, 16)).toBe(loops);
    expect(planLoops(points, 0)).not.toBe(loops);
    expect(planLoops([...points], 16)).not.toBe(loops);
  });
});
