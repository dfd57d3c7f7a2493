import { describe, expect, it } from 'vitest';
import { LastSamples, PointIndex } from './points.ts';

const index = new PointIndex([
  { key: 'e/a', points: [{ name: 'x' }, { name: 'y' }] },
  { key: 'e/b', points: [{ name: 'x' }, { name: 'x' }, { name: 'z' }] },
]);

describe('PointIndex', () => {
  it('numbers points densely in device then point order; a repeated name keeps its first number', () => {
    expect(index.size).toBe(4);
    expect([index.of('e/a', 'x'), index.of('e/a', 'y'), index.of('e/b', 'x'), index.of('e/b', 'z')]).toEqual([
      0, 1, 2, 3,
    ]);
    expect(index.of('e/a', 'z')).toBe(-1);
    expect(index.of('e/c', 'x')).toBe(-1);
    expect(index.points('e/c')).toBeUndefined();
  });

  it('resolves a batch of readings to point numbers, reusing the answer while the batch has the same points', () => {
    const r = (point: string) => ({ point, value: 1, good: true, time: 0 });
    const first = index.resolve('e/a', [r('y'), r('x'), r('q')]);
    expect([...(first ?? [])]).toEqual([1, 0, -1]);
    expect(index.resolve('e/a', [r('y'), r('x'), r('q')])).toBe(first); // same names: the same array
    const other = index.resolve('e/a', [r('x')]);
    expect([...(other ?? [])]).toEqual([0]);
    expect([...(first ?? [])]).toEqual([1, 0, -1]); // an earlier answer is never changed
    expect([...(index.resolve('e/a', [r('x'), r('z')]) ?? [])]).toEqual([0, -1]);
    expect([...(index.resolve('e/b', [r('z'), r('x')]) ?? [])]).toEqual([3, 2]);
    expect(index.resolve('e/c', [r('x')])).toBeUndefined();
  });

  it('reports by `<device>|<point>` and carries numbers to a new index by name', () => {
    const counts = Float64Array.from([1, 0, 3, 4]);
    expect(index.toMap(counts, (n) => n > 0)).toEqual(
      new Map([
        ['e/a|x', 1],
        ['e/b|x', 3],
        ['e/b|z', 4],
      ]),
    );
    const next = new PointIndex([
      { key: 'e/b', points: [{ name: 'z' }, { name: 'new' }] },
      { key: 'e/a', points: [{ name: 'x' }] },
    ]);
    expect([...index.carry(next, counts)]).toEqual([4, 0, 1]);
  });
});

describe('LastSamples', () => {
  it('keeps numbers, other values, quality and time per point, and forgets on clear', () => {
    const last = new LastSamples(3);
    expect(last.has(0)).toBe(false);
    last.set(0, { point: 'x', value: 1.5, good: true, time: 10 });
    last.set(1, { point: 'y', value: 12n, good: true, time: 11 });
    last.set(2, { point: 'z', value: null, good: false, time: 12 });
    expect([last.value(0), last.value(1), last.value(2)]).toEqual([1.5, 12n, null]);
    expect([last.good(0), last.good(2), last.time(1)]).toEqual([true, false, 11]);
    expect([last.isNumber(0), last.isNumber(1), last.number(1)]).toEqual([true, false, Number.NaN]);
    last.set(1, { point: 'y', value: 'text', good: true, time: 13 });
    expect(last.value(1)).toBe('text');
    last.set(1, { point: 'y', value: 7, good: true, time: 14 });
    expect(last.value(1)).toBe(7);
    last.clear(0);
    expect(last.has(0)).toBe(false);
  });
});
