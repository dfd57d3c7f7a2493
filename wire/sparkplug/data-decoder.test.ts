/**
 * The flat-payload reader (data-decoder.ts) against the general decode path: on everything it
 * takes it returns what the general path returns, and decodePayload (which tries it first) gives
 * the same result or the same error as the general path alone, on valid, truncated, overwritten
 * and random bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFlatPayload } from './data-decoder.ts';
import { SparkplugType as T } from './datatypes.ts';
import type { Metric } from './metric.ts';
import { decodePayload, decodePayloadGeneral, encodePayload, type Payload } from './payload.ts';

const U64_MAX = (1n << 64n) - 1n;
const text = fc.string({ unit: 'grapheme', maxLength: 10 });

const VALUES: [number, fc.Arbitrary<Metric['value']>][] = [
  [T.Int8, fc.integer({ min: -128, max: 127 })],
  [T.Int16, fc.integer({ min: -32768, max: 32767 })],
  [T.Int32, fc.integer({ min: -2147483648, max: 2147483647 })],
  [T.Int64, fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })],
  [T.UInt8, fc.integer({ min: 0, max: 255 })],
  [T.UInt16, fc.integer({ min: 0, max: 65535 })],
  [T.UInt32, fc.integer({ min: 0, max: 4294967295 })],
  [T.UInt64, fc.bigInt({ min: 0n, max: U64_MAX })],
  [T.Float, fc.float()],
  [T.Double, fc.double()],
  [T.Boolean, fc.boolean()],
  [T.String, text],
  [T.DateTime, fc.maxSafeInteger()],
  [T.Text, text],
  [T.UUID, fc.uuid()],
  [T.Bytes, fc.uint8Array({ maxLength: 8 })],
];

/** A metric; `flat` leaves out what only the general path reads (properties, bytes). */
const metricOf = (flat: boolean): fc.Arbitrary<Metric> =>
  fc
    .tuple(
      fc.oneof(
        ...VALUES.filter(([datatype]) => !flat || datatype !== T.Bytes).map(([datatype, value]) =>
          fc.record({
            datatype: fc.constant(datatype),
            value: fc.oneof({ weight: 9, arbitrary: value }, fc.constant(null)),
          }),
        ),
      ),
      fc.record(
        {
          name: text,
          alias: fc.oneof(fc.maxSafeNat(), fc.bigInt({ min: 1n << 53n, max: U64_MAX })),
          timestamp: fc.maxSafeNat(),
          isHistorical: fc.boolean(),
          isTransient: fc.boolean(),
          ...(flat ? {} : { properties: fc.constant({ Quality: { type: T.Int32, value: 192 } }) }),
        },
        { requiredKeys: [] },
      ),
    )
    .map(([tv, rest]) => ({ ...rest, ...tv, ...(tv.value === null ? { isNull: true } : {}) }));
const metric = metricOf(false);

const payloadOf = (flat: boolean): fc.Arbitrary<Payload> =>
  fc.record(
    {
      timestamp: fc.maxSafeNat(),
      seq: fc.integer({ min: 0, max: 255 }),
      metrics: fc.array(metricOf(flat), { maxLength: 8 }),
      ...(flat ? {} : { uuid: text }),
    },
    { requiredKeys: ['metrics'] },
  );

/** Encoded payloads, half of them flat (what DATA is), with and without datatypes. */
const encoded = fc
  .tuple(fc.oneof(payloadOf(true), payloadOf(false)), fc.boolean())
  .map(([p, omitDatatypes]) => Uint8Array.from(encodePayload(p, { omitDatatypes })));

type Outcome = { ok: Payload } | { error: string };
function outcome(decode: () => Payload): Outcome {
  try {
    return { ok: decode() };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

/** decodePayload = the general path alone, result or error. */
function same(bytes: Uint8Array, limits?: { maxMetrics?: number; maxElements?: number }): void {
  expect(outcome(() => decodePayload(bytes, limits))).toEqual(
    outcome(() => decodePayloadGeneral(bytes, limits)),
  );
}

describe('flat payload reader', () => {
  it('returns what the general path returns, whenever it takes a payload', () => {
    let taken = 0;
    fc.assert(
      fc.property(encoded, (bytes) => {
        const flat = decodeFlatPayload(bytes, Infinity);
        if (flat === undefined) return;
        taken++;
        expect(flat).toEqual(decodePayloadGeneral(bytes));
      }),
      { numRuns: 2_000 },
    );
    expect(taken).toBeGreaterThan(800);
  });

  it('takes DATA as the gateway writes it, and births of scalar metrics', () => {
    const data = encodePayload(
      {
        timestamp: 1_763_000_000_000,
        seq: 7,
        metrics: [
          { alias: 1, timestamp: 1_763_000_000_000, datatype: T.Double, value: 21.5 },
          { alias: 2, timestamp: 1_763_000_000_000, datatype: T.Int16, value: -2 },
          { alias: 3, timestamp: 1_763_000_000_000, datatype: T.UInt64, value: 2n ** 60n },
          { alias: 4, timestamp: 1_763_000_000_000, datatype: T.Boolean, value: null },
        ],
      },
      { omitDatatypes: true },
    );
    expect(decodeFlatPayload(data, Infinity)).toEqual(decodePayloadGeneral(data));
    const birth = encodePayload({
      seq: 0,
      metrics: [{ name: 'press/temperature', alias: 1, datatype: T.Float, value: 20, isHistorical: false }],
    });
    expect(decodeFlatPayload(birth, Infinity)).toEqual(decodePayloadGeneral(birth));
  });

  it('leaves to the general path what it does not read', () => {
    const leaves = (p: Payload) => expect(decodeFlatPayload(encodePayload(p), Infinity)).toBeUndefined();
    leaves({
      metrics: [
        { name: 'q', datatype: T.Int32, value: 1, properties: { Quality: { type: T.Int32, value: 192 } } },
      ],
    });
    leaves({ metrics: [{ name: 'b', datatype: T.Bytes, value: Uint8Array.of(1) }] });
    leaves({ metrics: [], uuid: 'u' });
    // A payload timestamp of 2^64 − 1 (the general path refuses it: beyond 2^53).
    expect(
      decodeFlatPayload(Uint8Array.of(0x08, ...new Array<number>(9).fill(0xff), 0x01), Infinity),
    ).toBeUndefined();
  });

  it('leaves a varint longer than protobufjs reads as 32 bits to the general path', () => {
    // is_historical as an 8-byte varint, then a field with wire type 3: protobufjs's bool() skips
    // 5 bytes blindly past the 5th and would step over that field (found by the property below).
    const bytes = Uint8Array.from([
      18, 17, 10, 0, 40, 160, 207, 182, 212, 226, 188, 183, 1, 35, 0, 48, 0, 56, 1, 24, 143, 1,
    ]);
    expect(decodeFlatPayload(bytes, Infinity)).toBeUndefined();
    same(bytes);
  });

  it('gives the general path’s result or error on truncated, overwritten and random bytes', () => {
    fc.assert(
      fc.property(encoded, fc.nat(), (bytes, cut) => same(bytes.subarray(0, cut % (bytes.length + 1)))),
      { numRuns: 1_000 },
    );
    fc.assert(
      fc.property(
        encoded,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (bytes, edits) => {
          if (bytes.length === 0) return;
          for (const [at, b] of edits) bytes[at % bytes.length] = b;
          same(bytes);
        },
      ),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => same(bytes)),
      { numRuns: 3_000 },
    );
  });

  it('reads varints as protobufjs does: non-minimal, 10 bytes, cut short at the end', () => {
    // seq = 1 written in 5 bytes; at the very end protobufjs stops after 4 (its near-end read).
    same(Uint8Array.of(0x18, 0x81, 0x80, 0x80, 0x80, 0x00));
    same(Uint8Array.of(0x18, 0x81, 0x80, 0x80, 0x80));
    // alias in 10 bytes with bits beyond 64 (protobufjs keeps the 10th byte's lowest bit).
    same(Uint8Array.of(0x12, 0x0b, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f));
    same(Uint8Array.of(0x12, 0x0c, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01));
    // a value field twice (last wins) and two value fields (refused).
    same(Uint8Array.of(0x12, 0x04, 0x50, 0x01, 0x50, 0x02));
    same(Uint8Array.of(0x12, 0x04, 0x50, 0x01, 0x70, 0x01));
  });

  it('keeps the metric and element limits', () => {
    fc.assert(
      fc.property(fc.array(metric, { minLength: 1, maxLength: 12 }), fc.nat({ max: 12 }), (metrics, max) => {
        const bytes = encodePayload({ metrics }, { omitDatatypes: true });
        same(bytes, { maxMetrics: max });
        same(bytes, { maxElements: max });
      }),
      { numRuns: 300 },
    );
  });
});
