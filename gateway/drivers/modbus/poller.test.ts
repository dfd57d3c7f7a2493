import { describe, expect, it } from 'vitest';
import { phaseOf } from './poller.ts';

describe('phaseOf', () => {
  it('is fixed per device, inside the interval (at most 5 s), and spreads devices evenly', () => {
    expect(phaseOf('e/press-1', 1_000)).toBe(phaseOf('e/press-1', 1_000));
    const phases = Array.from({ length: 500 }, (_, i) => phaseOf(`bench/mb-${i}`, 1_000));
    expect(Math.min(...phases)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...phases)).toBeLessThan(1_000);
    const tenths = new Array<number>(10).fill(0);
    for (const p of phases) tenths[Math.floor(p / 100)]! += 1;
    for (const n of tenths) expect(n).toBeGreaterThan(25); // 50 expected per tenth
    expect(phaseOf('e/slow', 3_600_000)).toBeLessThan(5_000);
  });
});
