/**
 * Interoperability: a second Sparkplug B schema, built here field by field with protobufjs'
 * reflection API (snake_case names, as Eclipse Tahu's JavaScript library exposes them) and
 * independent of sparkplug_b.proto, stands in for another implementation. We decode what it
 * encodes — written the ways other implementations write values — and it decodes ours.
 */
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { SparkplugType as T } from './datatypes.ts';
import { coerceValue } from './metric.ts';
import { decodePayload, encodePayload, type Payload } from './payload.ts';
import { sparkplugSchema } from './proto.ts';

const RUNS = { crossRoundTrip: 300 };

const { Field, OneOf, Root, Type } = protobuf;
const f = (name: string, id: number, type: string, rule?: string) => new Field(name, id, type, rule);
const VALUE = ['int_value', 'long_value', 'float_value', 'double_value', 'boolean_value', 'string_value'];

/** Spec 3.0 §6.4.1, transcribed again (DataSet and Template left out). */
function otherImplementation() {
  const PropertyValue = new Type('PropertyValue')
    .add(f('type', 1, 'uint32'))
    .add(f('is_null', 2, 'bool'))
    .add(f('int_value', 3, 'uint32'))
    .add(f('long_value', 4, 'uint64'))
    .add(f('float_value', 5, 'float'))
    .add(f('double_value', 6, 'double'))
    .add(f('boolean_value', 7, 'bool'))
    .add(f('string_value', 8, 'string'))
    .add(f('propertyset_value', 9, 'PropertySet'))
    .add(f('propertysets_value', 10, 'PropertySetList'))
    .add(new OneOf('value', [...VALUE, 'propertyset_value', 'propertysets_value']));
  const PropertySet = new Type('PropertySet')
    .add(f('keys', 1, 'string', 'repeated'))
    .add(f('values', 2, 'PropertyValue', 'repeated'));
  const PropertySetList = new Type('PropertySetList').add(f('propertyset', 1, 'PropertySet', 'repeated'));
  const MetaData = new Type('MetaData')
    .add(f('is_multi_part', 1, 'bool'))
    .add(f('content_type', 2, 'string'))
    .add(f('size', 3, 'uint64'))
    .add(f('seq', 4, 'uint64'))
    .add(f('file_name', 5, 'string'))
    .add(f('file_type', 6, 'string'))
    .add(f('md5', 7, 'string'))
    .add(f('description', 8, 'string'));
  const Metric = new Type('Metric')
    .add(f('name', 1, 'string'))
    .add(f('alias', 2, 'uint64'))
    .add(f('timestamp', 3, 'uint64'))
    .add(f('datatype', 4, 'uint32'))
    .add(f('is_historical', 5, 'bool'))
    .add(f('is_transient', 6, 'bool'))
    .add(f('is_null', 7, 'bool'))
    .add(f('metadata', 8, 'MetaData'))
    .add(f('properties', 9, 'PropertySet'))
    .add(f('int_value', 10, 'uint32'))
    .add(f('long_value', 11, 'uint64'))
    .add(f('float_value', 12, 'float'))
    .add(f('double_value', 13, 'double'))
    .add(f('boolean_value', 14, 'bool'))
    .add(f('string_value', 15, 'string'))
    .add(f('bytes_value', 16, 'bytes'))
    .add(new OneOf('value', [...VALUE, 'bytes_value']));
  const Payload = new Type('Payload')
    .add(f('timestamp', 1, 'uint64'))
    .add(f('metrics', 2, 'Metric', 'repeated'))
    .add(f('seq', 3, 'uint64'))
    .add(f('uuid', 4, 'string'))
    .add(f('body', 5, 'bytes'))
    .add(PropertyValue)
    .add(PropertySet)
    .add(PropertySetList)
    .add(MetaData)
    .add(Metric);
  new Root().define('org.eclipse.tahu.protobuf').add(Payload);
  Payload.root.resolveAll();
  return { Payload, types: [Payload, Metric, MetaData, PropertySet, PropertySetList, PropertyValue] };
}

const other = otherImplementation();
const theirs = (object: Record<string, unknown>) =>
  other.Payload.encode(other.Payload.fromObject(object)).finish();
const asTheirs = (bytes: Uint8Array) =>
  other.Payload.toObject(other.Payload.decode(bytes), { longs: String, bytes: Array });

describe('sparkplug interop with an independently built schema', () => {
  it('the two schemas agree on every field number, type and rule', () => {
    const ours = sparkplugSchema().Payload;
    for (const t of other.types) {
      const mine = t === other.Payload ? ours : ours.lookupType(t.name);
      for (const field of t.fieldsArray) {
        const match = mine.fieldsById[field.id];
        expect(match, `${t.name}.${field.name}`).toBeDefined();
        expect([match?.type, match?.repeated]).toEqual([field.type, field.repeated]);
      }
    }
  });

  it('decodes their payload, whichever way they wrote signed and 32-bit values', () => {
    const bytes = theirs({
      timestamp: '1700000000000',
      seq: '255',
      metrics: [
        { name: 'i8', alias: '1', timestamp: '1700000000001', datatype: 1, int_value: 0xffffff80 },
        { name: 'i16 zero-extended', datatype: 2, int_value: 0xfffe },
        { name: 'i32', datatype: 3, int_value: 0x80000000 },
        { name: 'i64', datatype: 4, long_value: '18446744073709551615' },
        { name: 'u32 in long_value', datatype: 7, long_value: '4294967295' },
        { name: 'u64', datatype: 8, long_value: '18446744073709551615' },
        { name: 'dt', datatype: 13, long_value: '1700000000000' },
        { name: 'f', datatype: 9, float_value: 1.5 },
        { name: 's', datatype: 12, string_value: '唐山🏭' },
        { name: 'b', datatype: 17, bytes_value: [1, 2] },
        { name: 'n', datatype: 11, is_null: true },
        {
          name: 'q',
          datatype: 11,
          boolean_value: true,
          properties: { keys: ['Quality'], values: [{ type: 3, int_value: 192 }] },
        },
        { alias: '18446744073709551615', int_value: 4294967294 },
      ],
    });
    const p = decodePayload(bytes);
    expect(p.timestamp).toBe(1_700_000_000_000);
    expect(p.seq).toBe(255);
    expect(p.metrics.map((m) => m.value)).toEqual([
      -128,
      -2,
      -2147483648,
      -1n,
      4294967295,
      (1n << 64n) - 1n,
      1_700_000_000_000,
      1.5,
      '唐山🏭',
      new Uint8Array([1, 2]),
      null,
      true,
      4294967294,
    ]);
    expect(p.metrics[0]).toMatchObject({ alias: 1, timestamp: 1_700_000_000_001 });
    expect(p.metrics[11]?.properties).toEqual({ Quality: { type: T.Int32, value: 192 } });
    const data = p.metrics[12];
    expect(data?.alias).toBe((1n << 64n) - 1n);
    expect(coerceValue(data ?? {}, T.Int16)).toBe(-2);
  });

  it('they decode ours: two’s-complement bits in the unsigned fields, 64-bit values exact', () => {
    const bytes = encodePayload({
      timestamp: 1_700_000_000_000,
      seq: 0,
      metrics: [
        { name: 'bdSeq', alias: 0, datatype: T.UInt64, value: 3n },
        { name: 'i16', alias: 1, datatype: T.Int16, value: -2 },
        { name: 'i64', alias: 2n, datatype: T.Int64, value: -(1n << 63n) },
        { name: 'u64', alias: (1n << 64n) - 1n, datatype: T.UInt64, value: (1n << 64n) - 1n },
        { name: 'u32', datatype: T.UInt32, value: 4294967295 },
        { name: 'd', datatype: T.Double, value: 0.1 },
        {
          name: 'temp',
          datatype: T.Float,
          value: 1.5,
          properties: { engUnit: { type: T.String, value: '°C' } },
        },
        { name: 'null', datatype: T.String, value: null },
      ],
    });
    expect(asTheirs(bytes)).toEqual({
      timestamp: '1700000000000',
      seq: '0',
      metrics: [
        { name: 'bdSeq', alias: '0', datatype: 8, long_value: '3' },
        { name: 'i16', alias: '1', datatype: 2, int_value: 4294967294 },
        { name: 'i64', alias: '2', datatype: 4, long_value: '9223372036854775808' },
        { name: 'u64', alias: '18446744073709551615', datatype: 8, long_value: '18446744073709551615' },
        { name: 'u32', datatype: 7, int_value: 4294967295 },
        { name: 'd', datatype: 10, double_value: 0.1 },
        {
          name: 'temp',
          datatype: 9,
          float_value: 1.5,
          properties: { keys: ['engUnit'], values: [{ type: 12, string_value: '°C' }] },
        },
        { name: 'null', datatype: 12, is_null: true },
      ],
    });
  });

  it('ours → theirs → re-encoded by them → ours is the identity', () => {
    const scalar = fc.oneof(
      fc.record({
        datatype: fc.constant<number>(T.Int32),
        value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      }),
      fc.record({
        datatype: fc.constant<number>(T.Int64),
        value: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
      }),
      fc.record({
        datatype: fc.constant<number>(T.UInt64),
        value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      }),
      fc.record({ datatype: fc.constant<number>(T.Double), value: fc.double() }),
      fc.record({ datatype: fc.constant<number>(T.String), value: fc.string({ unit: 'grapheme' }) }),
      fc.record({ datatype: fc.constant<number>(T.Bytes), value: fc.uint8Array({ maxLength: 8 }) }),
    );
    const arb: fc.Arbitrary<Payload> = fc.record({
      timestamp: fc.maxSafeNat(),
      seq: fc.integer({ min: 0, max: 255 }),
      metrics: fc.array(
        fc
          .tuple(fc.string(), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), scalar)
          .map(([name, big, v]) => ({
            name,
            alias: big > BigInt(Number.MAX_SAFE_INTEGER) ? big : Number(big),
            ...v,
          })),
        { maxLength: 6 },
      ),
    });
    fc.assert(
      fc.property(arb, (p) => {
        const again = other.Payload.encode(other.Payload.decode(encodePayload(p))).finish();
        expect(decodePayload(again)).toEqual(p);
      }),
      { numRuns: RUNS.crossRoundTrip },
    );
  });
});
