/**
 * Property tests and fuzzers for the payload codec. Run counts are fixed (RUNS) so the
 * suite stays fast and its coverage is known; raise them locally to fuzz harder.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SparkplugType as T } from './datatypes.ts';
import { SparkplugDecodeError } from './errors.ts';
import { coerceValue, type Metric } from './metric.ts';
import { decodePayload, encodePayload, type Payload } from './payload.ts';

const RUNS = {
  roundTrip: 1000,
  dataRoundTrip: 500,
  bigint: 1000,
  randomBytes: 5000,
  truncated: 1000,
  mutated: 2000,
  limits: 300,
};

const I64: [bigint, bigint] = [-(1n << 63n), (1n << 63n) - 1n];
const U64_MAX = (1n << 64n) - 1n;
const text = fc.string({ unit: 'grapheme', maxLength: 12 });

/** [datatype, arbitrary of its values] for every scalar datatype. */
const VALUES: [number, fc.Arbitrary<Metric['value']>][] = [
  [T.Int8, fc.integer({ min: -128, max: 127 })],
  [T.Int16, fc.integer({ min: -32768, max: 32767 })],
  [T.Int32, fc.integer({ min: -2147483648, max: 2147483647 })],
  [T.Int64, fc.bigInt({ min: I64[0], max: I64[1] })],
  [T.UInt8, fc.integer({ min: 0, max: 255 })],
  [T.UInt16, fc.integer({ min: 0, max: 65535 })],
  [T.UInt32, fc.integer({ min: 0, max: 4294967295 })],
  [T.UInt64, fc.bigInt({ min: 0n, max: U64_MAX })],
  [T.Float, fc.float()], // float32 values, incl. NaN, ±Infinity, −0
  [T.Double, fc.double()],
  [T.Boolean, fc.boolean()],
  [T.String, text],
  [T.DateTime, fc.maxSafeInteger()],
  [T.Text, text],
  [T.UUID, fc.uuid()],
  [T.Bytes, fc.uint8Array({ maxLength: 16 })],
  [T.File, fc.uint8Array({ maxLength: 16 })],
];

const typedValue = fc.oneof(
  ...VALUES.map(([datatype, value]) =>
    fc.record({
      datatype: fc.constant(datatype),
      value: fc.oneof({ weight: 9, arbitrary: value }, fc.constant(null)),
    }),
  ),
);

/** A metric as encodePayload takes it and decodePayload returns it (null ⇔ isNull). */
const metric: fc.Arbitrary<Metric> = fc
  .tuple(
    typedValue,
    fc.record(
      {
        name: text,
        alias: fc.oneof(fc.maxSafeNat(), fc.bigInt({ min: 1n << 53n, max: U64_MAX })),
        timestamp: fc.maxSafeNat(),
        isHistorical: fc.boolean(),
        isTransient: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  )
  .map(([tv, rest]) => ({ ...rest, ...tv, ...(tv.value === null ? { isNull: true } : {}) }));

const payload: fc.Arbitrary<Payload> = fc.record(
  {
    timestamp: fc.maxSafeNat(),
    seq: fc.integer({ min: 0, max: 255 }),
    metrics: fc.array(metric, { maxLength: 8 }),
    uuid: text,
    body: fc.uint8Array({ maxLength: 8 }),
  },
  { requiredKeys: ['metrics'] },
);

/** Any value anywhere that looks like a protobufjs Long. */
function findLong(x: unknown, path = '$'): string | undefined {
  if (typeof x !== 'object' || x === null || x instanceof Uint8Array) return undefined;
  if ('low' in x && 'high' in x) return path;
  for (const [k, v] of Object.entries(x)) {
    const found = findLong(v, `${path}.${k}`);
    if (found) return found;
  }
  return undefined;
}

/** decodePayload either returns a Payload or throws SparkplugDecodeError — nothing else. */
function decodesOrRejects(bytes: Uint8Array, limits?: Parameters<typeof decodePayload>[1]): boolean {
  try {
    const p = decodePayload(bytes, limits);
    expect(Array.isArray(p.metrics)).toBe(true);
    expect(findLong(p)).toBeUndefined();
    return true;
  } catch (e) {
    if (e instanceof SparkplugDecodeError && typeof e.reason === 'string' && e.reason.length > 0)
      return false;
    throw e;
  }
}

describe('sparkplug payload properties', () => {
  it('decode(encode(p)) = p for every datatype, edge values included', () => {
    fc.assert(
      fc.property(payload, (p) => {
        const got = decodePayload(encodePayload(p));
        expect(got).toEqual(p);
        expect(findLong(got)).toBeUndefined();
      }),
      { numRuns: RUNS.roundTrip },
    );
  });

  it('DATA without datatypes: coerceValue(decoded, birth datatype) = the value sent', () => {
    fc.assert(
      fc.property(fc.array(metric, { minLength: 1, maxLength: 8 }), (metrics) => {
        const got = decodePayload(encodePayload({ metrics }, { omitDatatypes: true })).metrics;
        metrics.forEach((m, i) => {
          const d = got[i] as Metric;
          expect(d.datatype).toBeUndefined();
          expect(coerceValue(d, m.datatype as number)).toEqual(m.value);
        });
      }),
      { numRuns: RUNS.dataRoundTrip },
    );
  });

  it('a 64-bit BigInt never becomes 0 and never comes back as a Long', () => {
    const nonZero = (lo: bigint, hi: bigint) => fc.bigInt({ min: lo, max: hi }).filter((v) => v !== 0n);
    fc.assert(
      fc.property(nonZero(...I64), nonZero(1n, U64_MAX), (i64, u64) => {
        const [a, b] = decodePayload(
          encodePayload({
            metrics: [
              { datatype: T.Int64, value: i64 },
              { datatype: T.UInt64, value: u64 },
            ],
          }),
        ).metrics;
        expect(a?.value).toBe(i64);
        expect(b?.value).toBe(u64);
      }),
      { numRuns: RUNS.bigint },
    );
  });
});

describe('sparkplug decode fuzzing: only SparkplugDecodeError, whatever the bytes', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        decodesOrRejects(bytes);
      }),
      { numRuns: RUNS.randomBytes },
    );
  });

  it('valid payloads truncated anywhere', () => {
    fc.assert(
      fc.property(payload, fc.nat(), (p, cut) => {
        const bytes = encodePayload(p);
        decodesOrRejects(bytes.subarray(0, bytes.length === 0 ? 0 : cut % bytes.length));
      }),
      { numRuns: RUNS.truncated },
    );
  });

  it('valid payloads with bytes overwritten', () => {
    fc.assert(
      fc.property(
        payload,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (p, edits) => {
          const bytes = Uint8Array.from(encodePayload(p));
          if (bytes.length === 0) return;
          for (const [at, b] of edits) bytes[at % bytes.length] = b;
          decodesOrRejects(bytes);
        },
      ),
      { numRuns: RUNS.mutated },
    );
  });

  it('limits: oversize and too many metrics are rejected with their reason', () => {
    fc.assert(
      fc.property(fc.array(metric, { minLength: 1, maxLength: 20 }), fc.nat({ max: 19 }), (metrics, max) => {
        const bytes = encodePayload({ metrics });
        if (metrics.length > max) {
          expect(() => decodePayload(bytes, { maxMetrics: max })).toThrow(/too many metrics/);
        } else expect(decodePayload(bytes, { maxMetrics: max }).metrics).toHaveLength(metrics.length);
        expect(() => decodePayload(bytes, { maxBytes: bytes.length - 1 })).toThrow(SparkplugDecodeError);
      }),
      { numRuns: RUNS.limits },
    );
  });
});
