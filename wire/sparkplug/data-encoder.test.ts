/**
 * The DATA fast path against the general encoder: for random metrics (valid values of every
 * datatype, and values of the wrong type, out of range, NaN, −0, huge aliases, lone surrogates…)
 * DataEncoder must write exactly encodePayload's bytes for every metric it accepts, and refuse
 * only what encodePayload rejects or what it leaves to it (strings with surrogates; datatypes it
 * does not write).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataEncoder } from './data-encoder.ts';
import { SparkplugType as T } from './datatypes.ts';
import type { Metric } from './metric.ts';
import { decodePayload, encodePayload } from './payload.ts';

const RUNS = 2000;
const I64: [bigint, bigint] = [-(1n << 63n), (1n << 63n) - 1n];
const U64_MAX = (1n << 64n) - 1n;
/** Datatypes DataEncoder writes itself. */
const FAST = new Set<number>([
  T.Int8,
  T.Int16,
  T.Int32,
  T.Int64,
  T.UInt8,
  T.UInt16,
  T.UInt32,
  T.UInt64,
  T.Float,
  T.Double,
  T.Boolean,
  T.String,
  T.DateTime,
  T.Text,
  T.UUID,
]);

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -300, max: 300 }),
  fc.integer(),
  fc.double(),
  fc.float(),
  fc.constantFrom(-0, Number.NaN, Infinity, 2 ** 53, 2 ** 32, -(2 ** 31), 4294967295, 4294967296),
  fc.bigInt({ min: I64[0] - 5n, max: U64_MAX + 5n }),
  fc.bigInt({ min: -300n, max: 300n }),
  fc.boolean(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom('\uD800', 'a\uDC00b', `${'x'.repeat(45)}\uD83D`, '\uD83D\uDE00', '中文'), // lone surrogates, pairs
  fc.string({ maxLength: 60 }),
  fc.constant(undefined),
  fc.constant(new Uint8Array([1, 2])),
);
const datatype = fc.oneof(fc.constantFrom(...FAST), fc.integer({ min: 0, max: 34 }));
const u64Number = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.maxSafeInteger(), // negatives too: refused by both
  fc.integer({ min: -5, max: -1 }),
  fc.constantFrom(1.5, 2 ** 53, 1_763_790_000_000),
);
const metric = fc.record({ alias: u64Number, timestamp: u64Number, datatype, value: anyValue });

function generic(m: { alias: number; timestamp: number; datatype: number; value: unknown }): Metric {
  return { alias: m.alias, timestamp: m.timestamp, datatype: m.datatype, value: m.value as Metric['value'] };
}

describe('DataEncoder: byte-identical to encodePayload for DATA metrics', () => {
  it('writes what encodePayload writes for every metric it accepts, refuses only what it must', () => {
    const enc = new DataEncoder();
    fc.assert(
      fc.property(
        fc.array(metric, { maxLength: 40 }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 255 }),
        (metrics, timestamp, seq) => {
          enc.begin();
          const accepted: Metric[] = [];
          for (const m of metrics) {
            if (enc.add(m.alias, m.timestamp, m.datatype, m.value)) {
              accepted.push(generic(m));
              continue;
            }
            // Refused: encodePayload must reject it too, unless it is one DataEncoder leaves to it.
            let ok = true;
            try {
              encodePayload({ metrics: [generic(m)] }, { omitDatatypes: true });
            } catch {
              ok = false;
            }
            if (ok) {
              const leftToGeneric =
                !FAST.has(m.datatype) ||
                m.value === undefined ||
                (typeof m.value === 'string' && /[\uD800-\uDFFF]/.test(m.value));
              expect(leftToGeneric, `refused ${fc.stringify(m)}`).toBe(true);
            }
          }
          const fast = enc.finish(timestamp, seq);
          const want = encodePayload({ timestamp, seq, metrics: accepted }, { omitDatatypes: true });
          expect(Buffer.from(fast).equals(Buffer.from(want))).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a typical gateway DDATA: values, nulls, 64-bit and booleans decode back', () => {
    const enc = new DataEncoder();
    enc.begin();
    expect(enc.add(100, 1_763_790_000_123, T.Float, 21.5)).toBe(true);
    expect(enc.add(101, 1_763_790_000_123, T.Double, null)).toBe(true);
    expect(enc.add(102, 1_763_790_000_124, T.Int64, -2n)).toBe(true);
    expect(enc.add(103, 1_763_790_000_124, T.Boolean, true)).toBe(true);
    expect(enc.add(104, 1_763_790_000_124, T.Int16, 40000)).toBe(false); // out of range: encodePayload's to reject
    const p = decodePayload(enc.finish(1_763_790_000_200, 7));
    expect(p.seq).toBe(7);
    expect(p.timestamp).toBe(1_763_790_000_200);
    expect(p.metrics.map((m) => [m.alias, m.isNull ?? false, m.value])).toEqual([
      [100, false, 21.5],
      [101, true, null],
      [102, false, (1n << 64n) - 2n], // raw long_value: the datatype comes from the birth
      [103, false, true],
    ]);
  });

  it('starts afresh after finish() and after begin(), and grows past its first buffer', () => {
    const enc = new DataEncoder();
    enc.begin();
    enc.add(100, 1, T.Double, 1.5);
    enc.begin();
    for (let i = 0; i < 1000; i++) enc.add(100 + i, 1_763_790_000_000 + i, T.String, 'x'.repeat(20));
    const big = enc.finish(5, 1);
    expect(decodePayload(big).metrics).toHaveLength(1000);
    enc.begin();
    expect(decodePayload(enc.finish(5, 2)).metrics).toHaveLength(0);
  });
});
