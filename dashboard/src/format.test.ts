import { describe, expect, it } from 'vitest';
import { bytes, pct, pctValue } from './format.ts';

describe('format', () => {
  it('shows ratios as percentages with one decimal, and null as a dash', () => {
    expect(pct(0.375)).toBe('37.5%');
    expect(pct(1 / 3)).toBe('33.3%');
    expect(pct(1)).toBe('100.0%');
    expect(pct(0)).toBe('0.0%');
    expect(pct(null)).toBe('—');
    expect(pctValue(2 / 3)).toBe(66.7);
    expect(pctValue(null)).toBeNull();
  });

  it('shows sizes in binary units', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1536)).toBe('1.5 KB');
    expect(bytes(5 * 1024 * 1024)).toBe('5.0 MB');
  });
});
