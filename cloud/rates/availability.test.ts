import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AvailabilityIndex, BucketRuns } from './availability.ts';

const W = 60_000;
const T0 = Date.UTC(2026, 10, 2); // a multiple of W: bucket n starts at T0 + n·W
const at = (bucket: number, offsetMs = 0) => T0 + bucket * W + offsetMs;

describe('AvailabilityIndex', () => {
  it('marks a bucket once, by source time; the bucket start is returned when it is new', () => {
    const a = new AvailabilityIndex(W);
    expect(a.mark('e', 'd', at(3, 59_999))).toBe(at(3));
    expect(a.mark('e', 'd', at(3, 0))).toBeUndefined();
    expect(a.mark('e', 'd', at(4, 1))).toBe(at(4));
    expect(a.runs('e', 'd')).toEqual([[at(3), at(5)]]);
    expect(a.lastSeen('e', 'd')).toBe(at(4, 1));
    expect(a.count('e', 'd', at(0), at(10))).toBe(2);
    expect(a.count('e', 'x', at(0), at(10))).toBe(0);
    expect(a.lastSeen('e', 'x')).toBeUndefined();
  });

  it('late data fills a past gap and merges the runs on both sides', () => {
    const a = new AvailabilityIndex(W);
    for (const b of [0, 1, 2, 4, 5]) a.mark('e', 'd', at(b));
    expect(a.runs('e', 'd')).toEqual([
      [at(0), at(3)],
      [at(4), at(6)],
    ]);
    expect(a.mark('e', 'd', at(3, 30_000))).toBe(at(3)); // backfilled from the edge buffer
    expect(a.runs('e', 'd')).toEqual([[at(0), at(6)]]);
    expect(a.lastSeen('e', 'd')).toBe(at(5)); // an older sample does not move lastSeen back
  });

  it('out-of-order marks build the same runs as in-order ones', () => {
    const a = new AvailabilityIndex(W);
    for (const b of [9, 2, 7, 3, 8, 0, 12]) a.mark('e', 'd', at(b));
    expect(a.runs('e', 'd')).toEqual([
      [at(0), at(1)],
      [at(2), at(4)],
      [at(7), at(10)],
      [at(12), at(13)],
    ]);
    expect(a.count('e', 'd', at(3), at(8))).toBe(2); // buckets 3 and 7
  });

  it('counts clip the runs at the window edges; windows round down to buckets', () => {
    const a = new AvailabilityIndex(W);
    a.loadRuns('e', 'd', [
      [at(10), at(20)],
      [at(30), at(40)],
    ]);
    expect(a.count('e', 'd', at(15), at(35))).toBe(5 + 5);
    expect(a.count('e', 'd', at(15, 59_000), at(35, 10))).toBe(10);
    expect(a.count('e', 'd', at(20), at(30))).toBe(0);
    expect(a.count('e', 'd', at(12), at(13))).toBe(1);
    expect(a.count('e', 'd', at(35), at(15))).toBe(0);
    expect(a.online('e', 'd', at(19, 5))).toBe(true);
    expect(a.online('e', 'd', at(20))).toBe(false);
    expect(a.lastSeen('e', 'd')).toBe(at(39));
  });

  it('load() restores persisted marks in any order, with duplicates', () => {
    const a = new AvailabilityIndex(W);
    const marks = [5, 1, 2, 2, 9, 3, 1].map((b) => ({ enterprise: 'e', device: 'd', bucket: at(b) }));
    expect(a.load(marks)).toBe(5);
    expect(a.runs('e', 'd')).toEqual([
      [at(1), at(4)],
      [at(5), at(6)],
      [at(9), at(10)],
    ]);
    expect(a.lastSeen('e', 'd')).toBe(at(9));
    expect(a.mark('e', 'd', at(4))).toBe(at(4));
    expect(a.mark('e', 'd', at(2))).toBeUndefined();
  });

  it('snapshot() and loadRuns() round-trip the index', () => {
    const a = new AvailabilityIndex(W);
    for (const b of [0, 1, 5, 7, 8]) a.mark('e1', 'd', at(b));
    a.mark('e2', 'x', at(3));
    const b = new AvailabilityIndex(W);
    for (const s of a.snapshot()) b.loadRuns(s.enterprise, s.device, s.runs);
    expect([...b.snapshot()]).toEqual([...a.snapshot()]);
    expect(b.count('e1', 'd', at(0), at(10))).toBe(5);
  });

  it('prune() forgets buckets before a time', () => {
    const a = new AvailabilityIndex(W);
    a.loadRuns('e', 'd', [
      [at(0), at(10)],
      [at(20), at(30)],
    ]);
    a.prune(at(5));
    expect(a.runs('e', 'd')).toEqual([
      [at(5), at(10)],
      [at(20), at(30)],
    ]);
    expect(a.count('e', 'd', at(0), at(100))).toBe(15);
  });

  it('ignores non-finite times and rejects a bad width', () => {
    const a = new AvailabilityIndex(W);
    expect(a.mark('e', 'd', Number.NaN)).toBeUndefined();
    expect(a.count('e', 'd', 0, Number.MAX_SAFE_INTEGER)).toBe(0);
    expect(a.mark('e', 'd', -1)).toBeUndefined(); // before 1970: not a bucket we can hold
    expect(a.mark('e', 'd', 2 ** 32 * W)).toBeUndefined(); // past the 32-bit bucket range
    expect(a.stats().devices).toBe(0);
    expect(() => new AvailabilityIndex(0)).toThrow(RangeError);
    expect(() => new AvailabilityIndex(999)).toThrow(RangeError);
    expect(() => new AvailabilityIndex(1500.5)).toThrow(RangeError);
  });

  it('keeps 12 bytes per run', () => {
    const a = new AvailabilityIndex(W);
    const runs = Array.from({ length: 1000 }, (_, i): [number, number] => [at(3 * i), at(3 * i + 2)]);
    a.loadRuns('e', 'd', runs);
    expect(a.stats()).toEqual({ devices: 1, runs: 1000, bytes: 12 * 1000 });
  });
});

/** The oracle: a plain set of online bucket numbers. */
function naiveCount(set: ReadonlySet<number>, from: number, to: number): number {
  let n = 0;
  for (const b of set) if (b >= from && b < to) n++;
  return n;
}

describe('BucketRuns against a Set<bucket> oracle (property)', () => {
  const op = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('add' as const), b: fc.integer({ min: 0, max: 200 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('range' as const),
        b: fc.integer({ min: 0, max: 200 }),
        len: fc.integer({ min: 0, max: 15 }),
      }),
    },
    {
      // Counts between marks: the running totals are recomputed lazily after late marks.
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('count' as const),
        b: fc.integer({ min: -10, max: 210 }),
        len: fc.integer({ min: 0, max: 100 }),
      }),
    },
  );
  const window = fc.tuple(fc.integer({ min: -30, max: 220 }), fc.integer({ min: -30, max: 220 }));

  it('same new-bucket answers, same counts for random windows, runs stay sorted, disjoint, non-adjacent', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 300 }),
        fc.array(window, { minLength: 1, maxLength: 20 }),
        (ops, windows) => {
          const runs = new BucketRuns();
          const oracle = new Set<number>();
          for (const o of ops) {
            if (o.kind === 'add') {
              expect(runs.add(o.b)).toBe(!oracle.has(o.b));
              oracle.add(o.b);
            } else if (o.kind === 'count') {
              expect(runs.count(o.b, o.b + o.len)).toBe(naiveCount(oracle, o.b, o.b + o.len));
            } else {
              let fresh = 0;
              for (let b = o.b; b < o.b + o.len; b++) if (!oracle.has(b) && oracle.add(b)) fresh++;
              expect(runs.addRange(o.b, o.b + o.len)).toBe(fresh);
            }
          }
          const list = runs.runs();
          for (let i = 0; i < list.length; i++) {
            const [s, e] = list[i]!;
            expect(s).toBeLessThan(e);
            if (i > 0) expect(s).toBeGreaterThan(list[i - 1]![1]); // > : not even touching
          }
          expect(runs.count(-1e9, 1e9)).toBe(oracle.size);
          for (const [from, to] of windows) expect(runs.count(from, to)).toBe(naiveCount(oracle, from, to));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the index in ms agrees with the oracle for random sample times and windows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 * W - 1 }), { maxLength: 200 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 100 * W }), fc.integer({ min: 0, max: 100 * W })), {
          minLength: 1,
          maxLength: 10,
        }),
        (times, windows) => {
          const a = new AvailabilityIndex(W);
          const oracle = new Set<number>();
          for (const t of times) {
            const fresh = !oracle.has(Math.floor(t / W));
            oracle.add(Math.floor(t / W));
            expect(a.mark('e', 'd', T0 + t)).toBe(fresh ? T0 + Math.floor(t / W) * W : undefined);
          }
          for (const [from, to] of windows) {
            const expected = naiveCount(oracle, Math.floor(from / W), Math.floor(to / W));
            expect(a.count('e', 'd', T0 + from, T0 + to)).toBe(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
