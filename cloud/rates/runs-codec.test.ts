import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AvailabilityIndex, BucketRuns } from './availability.ts';
import { decodeRuns, encodeRuns, RunsFormatError } from './runs-codec.ts';

const W = 60_000;

function runsOf(pairs: [number, number][]): BucketRuns {
  const r = new BucketRuns();
  for (const [s, e] of pairs) r.addRange(s, e);
  return r;
}

describe('runs codec', () => {
  it('writes a start, then lengths and gaps in base 36', () => {
    const r = runsOf([
      [29_500_000, 29_500_100],
      [29_500_101, 29_500_102],
      [29_500_200, 29_543_200],
    ]);
    expect(encodeRuns(r)).toEqual(['v1:hkacg,2s,1,1,2q,x6g']);
    expect(decodeRuns('v1:hkacg,2s,1,1,2q,x6g')).toEqual([
      29_500_000, 29_500_100, 29_500_101, 29_500_102, 29_500_200, 29_543_200,
    ]);
    expect(encodeRuns(new BucketRuns())).toEqual([]);
  });

  it('round-trips any runs, split into parts that each restore on their own', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 10 }), fc.integer({ min: 1, max: 5_000 })), {
          maxLength: 300,
        }),
        fc.integer({ min: 20, max: 400 }),
        (ranges, maxChars) => {
          const r = runsOf(ranges.map(([s, n]) => [s, Math.min(s + n, 2 ** 32 - 1)]));
          const parts = encodeRuns(r, maxChars);
          for (const p of parts) expect(p.length).toBeLessThanOrEqual(maxChars);
          const back = new AvailabilityIndex(W);
          for (const p of parts) back.loadBuckets('e', 'd', decodeRuns(p));
          expect(back.device('e', 'd')?.runs() ?? []).toEqual(r.runs());
        },
      ),
    );
  });

  it('refuses what it did not write', () => {
    for (const bad of [
      '',
      '0,1',
      'v2:0,1',
      'v1:',
      'v1:0',
      'v1:0,,1',
      'v1:0,0',
      'v1:0,1,0,1',
      'v1:0,1,A',
      'v1:zzzzzzzz,1',
    ]) {
      expect(() => decodeRuns(bad), JSON.stringify(bad)).toThrow(RunsFormatError);
    }
  });

  it('restores lastSeen as the start of the last bucket, as restoring from marks does', () => {
    const a = new AvailabilityIndex(W);
    a.loadBuckets('e', 'd', [10, 12, 20, 21]);
    expect(a.lastSeen('e', 'd')).toBe(20 * W);
    expect(a.count('e', 'd', 0, 100 * W)).toBe(3);
  });
});
