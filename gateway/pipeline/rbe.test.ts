import { describe, expect, it } from 'vitest';
import type { Reading } from '../drivers/types.ts';
import { PointIndex } from './points.ts';
import { ReportByException } from './rbe.ts';

const index = new PointIndex([{ key: 'e/a', points: [{ name: 'temp' }, { name: 'count' }, { name: 'on' }] }]);
const r = (point: string, value: Reading['value'], time: number, good = true): Reading => ({
  point,
  value,
  good,
  time,
});

describe('ReportByException', () => {
  it('passes changes beyond the deadband, quality changes and heartbeats; holds back the rest', () => {
    const rbe = new ReportByException(index, Float64Array.from([0.5, 0, 0]), 30_000);
    const first = [r('temp', 20, 0), r('count', 5n, 0), r('on', true, 0)];
    expect(rbe.filter('e/a', first)).toBe(first); // nothing held back: the same array
    expect(rbe.filter('e/a', [r('temp', 20.4, 1), r('count', 5n, 1), r('on', true, 1)])).toEqual([]);
    expect(rbe.suppressed).toBe(3);
    expect(rbe.filter('e/a', [r('temp', 20.6, 2), r('count', 6n, 2), r('on', false, 2)])).toHaveLength(3);
    // Quality change, then bad stays quiet, then back to good.
    expect(rbe.filter('e/a', [r('temp', null, 3, false)])).toHaveLength(1);
    expect(rbe.filter('e/a', [r('temp', null, 4, false)])).toHaveLength(0);
    expect(rbe.filter('e/a', [r('temp', 20.6, 5)])).toHaveLength(1);
    // Heartbeat after maxSilenceMs, measured from the last reading let through.
    expect(rbe.filter('e/a', [r('temp', 20.6, 30_004)])).toHaveLength(0);
    expect(rbe.filter('e/a', [r('temp', 20.6, 30_005)])).toHaveLength(1);
    // NaN is a change; unknown points and devices always pass.
    expect(rbe.filter('e/a', [r('temp', Number.NaN, 30_006)])).toHaveLength(1);
    expect(rbe.filter('e/a', [r('ghost', 1, 0), r('ghost', 1, 1)])).toHaveLength(2);
    expect(rbe.filter('e/zz', [r('temp', 1, 0), r('temp', 1, 1)])).toHaveLength(2);
  });

  it('keeps order when some readings are held back, and reports everything again after reset', () => {
    const rbe = new ReportByException(index, new Float64Array(3), 30_000);
    rbe.filter('e/a', [r('temp', 1, 0), r('count', 1, 0), r('on', true, 0)]);
    const out = rbe.filter('e/a', [r('temp', 1, 1), r('count', 2, 1), r('on', true, 1)]);
    expect(out.map((x) => x.point)).toEqual(['count']);
    rbe.reset('e/a');
    expect(rbe.filter('e/a', [r('temp', 1, 2), r('on', true, 2)])).toHaveLength(2);
  });

  it('with maxSilenceMs 0 lets every reading through', () => {
    const rbe = new ReportByException(index, new Float64Array(3), 0);
    rbe.filter('e/a', [r('temp', 1, 0)]);
    expect(rbe.filter('e/a', [r('temp', 1, 1), r('temp', 1, 2)])).toHaveLength(2);
  });
});
