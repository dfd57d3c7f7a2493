import { describe, expect, it } from 'vitest';
import type { CollectDevice, CollectPoint } from '../../config/index.ts';
import { DefinitionPool } from './share.ts';

type Point = CollectPoint['point'];
const point = (name: string, address: number): Point =>
  ({ name, type: 'float32', range: [0, 10], modbus: { table: 'input', address } }) as unknown as Point;
const device = (id: string, points: Point[], deadband = 0): CollectDevice =>
  ({
    device: { id, enterprise: 'e', points },
    connectivity: { type: 'none' },
    points: points.map((p) => ({ point: p, intervalMs: 1000, deadband, scale: 1, offset: 0 })),
  }) as unknown as CollectDevice;

describe('DefinitionPool', () => {
  it('makes identical definitions and lists one object, in place, and keeps different ones apart', () => {
    const devices = [
      device('a', [point('x', 0), point('y', 2)]),
      device('b', [point('x', 0), point('y', 2)]),
      device('c', [point('x', 0), point('y', 4)]),
      device('d', [point('x', 0), point('y', 2)], 5),
    ];
    const copy = structuredClone(devices);
    const pool = new DefinitionPool();
    expect(pool.share(devices)).toBe(devices);
    const [a, b, c, d] = devices as [CollectDevice, CollectDevice, CollectDevice, CollectDevice];
    expect(b.points).toBe(a.points);
    expect(b.device.points).toBe(a.device.points);
    expect(c.points).not.toBe(a.points);
    expect(c.points[0]).toBe(a.points[0]); // x is the same everywhere
    expect(d.points[0]?.point).toBe(a.points[0]?.point); // same point, other deadband
    expect(d.points[0]).not.toBe(a.points[0]);
    expect(a.points[0]?.point).toBe(a.device.points[0]);
    // Nothing changed but identity; a later list shares with earlier ones.
    expect(devices).toEqual(copy);
    const later = [device('e', [point('x', 0), point('y', 2)])];
    pool.share(later);
    expect(later[0]?.points).toBe(a.points);
  });

  it('leaves a definition JSON cannot key (a bigint) unshared', () => {
    const odd = { ...point('big', 0), extra: 1n } as unknown as Point;
    const devices = [device('a', [odd]), device('b', [odd])];
    new DefinitionPool().share(devices);
    expect(devices[0]?.points).not.toBe(devices[1]?.points);
    expect(devices[0]?.points[0]?.point).toBe(odd);
  });
});
