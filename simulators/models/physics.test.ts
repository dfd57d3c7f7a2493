import { describe, expect, it } from 'vitest';
import { Rng } from '../../config/random.ts';
import { clamp, cycle, lag, ramp, wander } from './physics.ts';

describe('physics helpers', () => {
  it('lag is exact in dt: ten 0.1 s steps land where one 1 s step does', () => {
    let fine = 20;
    for (let i = 0; i < 10; i++) fine = lag(fine, 1200, 0.1, 30);
    expect(fine).toBeCloseTo(lag(20, 1200, 1, 30), 9);
    // One time constant covers 63 % of the way; five cover 99.3 %.
    expect(lag(0, 100, 30, 30)).toBeCloseTo(100 * (1 - Math.exp(-1)), 9);
    expect(lag(0, 100, 150, 30)).toBeGreaterThan(99.3);
    expect(lag(5, 100, 1, 0)).toBe(100);
  });

  it('wander keeps its mean and standard deviation whatever dt is', () => {
    for (const dt of [1, 10]) {
      const rng = new Rng(1);
      let x = 50;
      const xs: number[] = [];
      for (let i = 0; i < 40_000; i++) xs.push((x = wander(x, 50, dt, 20, 2, rng)));
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      expect(mean, `dt ${dt}`).toBeCloseTo(50, 0);
      expect(sd, `dt ${dt}`).toBeGreaterThan(1.8);
      expect(sd, `dt ${dt}`).toBeLessThan(2.2);
    }
  });

  it('ramp moves at its rate and never overshoots', () => {
    expect(ramp(0, 10, 2, 1)).toBe(2);
    expect(ramp(9.5, 10, 2, 1)).toBe(10);
    expect(ramp(10, 0, 3, 2)).toBe(4);
    expect(ramp(1, 0, 3, 2)).toBe(0);
  });

  it('cycle advances the phase and counts completed cycles', () => {
    expect(cycle(0.5, 5, 10)).toEqual([0, 1]);
    const [phase, done] = cycle(0.25, 25, 10);
    expect(done).toBe(2);
    expect(phase).toBeCloseTo(0.75, 12);
    expect(cycle(0.3, 5, Infinity)).toEqual([0.3, 0]);
    expect(cycle(0.3, 5, 0)).toEqual([0.3, 0]);
    expect(clamp(5, 0, 3)).toBe(3);
  });
});
