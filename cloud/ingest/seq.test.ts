import { describe, expect, it } from 'vitest';
import { SeqTracker } from './seq.ts';

describe('SeqTracker', () => {
  it('accepts consecutive seqs across the 255 → 0 wrap', () => {
    const t = new SeqTracker(1000);
    t.reset(250);
    const verdicts = [251, 252, 253, 254, 255, 0, 1].map((s) => t.see(s, 0));
    expect(verdicts.every((v) => v === 'in_order')).toBe(true);
    expect(t.missing).toBe(0);
  });

  it('tolerates reordering inside the window', () => {
    const t = new SeqTracker(1000);
    t.reset(0);
    expect(t.see(2, 0)).toBe('ahead');
    expect(t.missing).toBe(1);
    expect(t.see(1, 500)).toBe('late');
    expect(t.expire(5000)).toBe(0);
    expect(t.see(3, 600)).toBe('in_order');
  });

  it('reports a gap once the reorder window passes', () => {
    const t = new SeqTracker(1000);
    t.reset(0);
    t.see(1, 0);
    expect(t.see(5, 100)).toBe('ahead');
    expect(t.missing).toBe(3);
    expect(t.nextDeadline).toBe(1100);
    expect(t.expire(1099)).toBe(0);
    expect(t.expire(1100)).toBe(3);
    expect(t.missing).toBe(0);
    // a seq that arrives after its deadline is old news, not a new gap
    expect(t.see(2, 1200)).toBe('duplicate');
  });

  it('treats a redelivered older seq as a duplicate', () => {
    const t = new SeqTracker(1000);
    t.reset(10);
    t.see(11, 0);
    t.see(12, 0);
    expect(t.see(11, 0)).toBe('duplicate');
    expect(t.see(13, 0)).toBe('in_order');
  });

  it('gaps across the wrap are counted exactly', () => {
    const t = new SeqTracker(10);
    t.reset(253);
    expect(t.see(2, 0)).toBe('ahead'); // 254, 255, 0, 1 missing
    expect(t.expire(10)).toBe(4);
  });
});
