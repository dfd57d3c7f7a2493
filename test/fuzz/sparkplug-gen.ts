/**
 * Generators for the Sparkplug fuzzers. `wireMessage` writes protobuf bytes field by field
 * from the schema itself (protobufjs reflection over sparkplug_b.proto): real field numbers
 * with right or wrong wire types, nested messages, packed runs, unknown fields and lying
 * lengths — inputs that get past the first tag, unlike random bytes. `richPayload` builds
 * valid payloads with the structured values (DataSet, Template, PropertySet, MetaData)
 * that wire/sparkplug/payload.property.test.ts leaves out.
 */
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { SparkplugType as T } from '../../wire/sparkplug/datatypes.ts';
import type {
  DataSet,
  Metric,
  PropertySet,
  PropertyValue,
  Scalar,
  Template,
} from '../../wire/sparkplug/metric.ts';
import type { Payload } from '../../wire/sparkplug/payload.ts';
import { sparkplugSchema } from '../../wire/sparkplug/proto.ts';

// ------------------------------------------------------------------------- raw protobuf

export function varint(v: bigint): number[] {
  const out: number[] = [];
  let n = BigInt.asUintN(64, v);
  do {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return out;
}
export const tag = (id: number, wire: number): number[] => varint(BigInt(id * 8 + wire));
export const delimited = (id: number, body: ArrayLike<number>): number[] => [
  ...tag(id, 2),
  ...varint(BigInt(body.length)),
  ...Array.from(body),
];

const WIRE: Record<string, number> = {
  double: 1,
  fixed64: 1,
  sfixed64: 1,
  float: 5,
  fixed32: 5,
  sfixed32: 5,
};
const u64 = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map(BigInt),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);

/** The content of one field for wire type `w` (no tag). */
function content(w: number, depth: number, sub?: protobuf.Type): fc.Arbitrary<number[]> {
  switch (w) {
    case 0:
      return u64.map(varint);
    case 1:
      return fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => [...b]);
    case 5:
      return fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => [...b]);
    case 2: {
      const body =
        sub && depth > 0
          ? wireMessage(sub, depth - 1)
          : fc.oneof(
              fc.uint8Array({ maxLength: 24 }),
              fc.string({ maxLength: 12 }).map((s) => new TextEncoder().encode(s)),
            );
      return fc
        .tuple(body, fc.option(fc.integer({ min: 0, max: 0xffffffff }), { freq: 12 }))
        .map(([b, lie]) => [...varint(BigInt(lie ?? b.length)), ...b]);
    }
    default:
      return fc.uint8Array({ maxLength: 6 }).map((b) => [...b]); // groups (3, 4) and invalid 6, 7
  }
}

const cache = new Map<string, fc.Arbitrary<Uint8Array>>();

/** A message of `type` as protobuf bytes; mostly well-formed, sometimes not. */
export function wireMessage(type: protobuf.Type, depth: number): fc.Arbitrary<Uint8Array> {
  const key = `${type.fullName}@${depth}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const fields = type.fieldsArray;
  const known = (fields.length ? fc.constantFrom(...fields) : fc.constant(undefined)).chain((f) => {
    if (!f) return fc.constant<number[]>([]); // extension-only messages have no fields of their own
    const sub = f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined;
    const right = sub ? 2 : (WIRE[f.type] ?? (f.type === 'string' || f.type === 'bytes' ? 2 : 0));
    const packed = f.repeated && !sub && right !== 2;
    return fc.oneof(
      { weight: 10, arbitrary: content(right, depth, sub).map((c) => [...tag(f.id, right), ...c]) },
      ...(packed
        ? [
            {
              weight: 3,
              arbitrary: fc.array(u64, { maxLength: 8 }).map((vs) => delimited(f.id, vs.flatMap(varint))),
            },
          ]
        : []),
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 0, max: 7 })
          .chain((w) => content(w, depth).map((c) => [...tag(f.id, w), ...c])),
      },
    );
  });
  const unknown = fc
    .tuple(fc.integer({ min: 1, max: (1 << 29) - 1 }), fc.constantFrom(0, 1, 2, 5))
    .filter(([id]) => !type.fieldsById[id])
    .chain(([id, w]) => content(w, 0).map((c) => [...tag(id, w), ...c]));
  const arb = fc
    .array(fc.oneof({ weight: 9, arbitrary: known }, { weight: 1, arbitrary: unknown }), {
      maxLength: depth > 1 ? 4 : 6,
    })
    .map((fields) => Uint8Array.from(fields.flat()));
  cache.set(key, arb);
  return arb;
}

export const wirePayload = (depth = 4): fc.Arbitrary<Uint8Array> =>
  wireMessage(sparkplugSchema().Payload, depth);

// ------------------------------------------------------------------------- valid payloads

const U64_MAX = (1n << 64n) - 1n;
const text = fc.string({ unit: 'grapheme', maxLength: 8 });
/** [datatype, values] for scalars that may sit in properties, data sets and parameters. */
const SCALARS: [number, fc.Arbitrary<PropertyValue['value']>][] = [
  [T.Int8, fc.integer({ min: -128, max: 127 })],
  [T.Int16, fc.integer({ min: -32768, max: 32767 })],
  [T.Int32, fc.integer({ min: -2147483648, max: 2147483647 })],
  [T.Int64, fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })],
  [T.UInt8, fc.integer({ min: 0, max: 255 })],
  [T.UInt32, fc.integer({ min: 0, max: 4294967295 })],
  [T.UInt64, fc.bigInt({ min: 0n, max: U64_MAX })],
  [T.Float, fc.float()],
  [T.Double, fc.double()],
  [T.Boolean, fc.boolean()],
  [T.String, text],
  [T.DateTime, fc.maxSafeNat()],
  [T.UUID, fc.uuid()],
];
const typed = fc.constantFrom(...SCALARS).chain(([type, value]) => value.map((v) => ({ type, value: v })));

const propertySet = fc.letrec<{ set: PropertySet; value: PropertyValue }>((tie) => ({
  set: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie('value'), { maxKeys: 3 }),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    typed,
    fc.constantFrom(...SCALARS).map(([type]) => ({ type, value: null })),
    fc.constantFrom(...SCALARS).map(([type]) => ({ type })),
    tie('set').map((value) => ({ type: T.PropertySet, value: value })),
    fc.array(tie('set'), { maxLength: 2 }).map((value) => ({ type: T.PropertySetList, value: value })),
  ),
})).set;

const dataSet: fc.Arbitrary<DataSet> = fc
  .array(fc.tuple(text, fc.constantFrom(...SCALARS)), { maxLength: 4 })
  .chain((cols) =>
    fc
      .array(fc.tuple(...cols.map(([, [, v]]) => fc.option(v, { nil: null }))), { maxLength: 4 })
      .map((rows) => ({
        numOfColumns: cols.length,
        columns: cols.map(([c]) => c),
        types: cols.map(([, [t]]) => t),
        rows: rows as DataSet['rows'],
      })),
  );

const extras = fc.record(
  {
    name: text,
    alias: fc.oneof(fc.maxSafeNat(), fc.bigInt({ min: 1n << 53n, max: U64_MAX })),
    timestamp: fc.maxSafeNat(),
    isHistorical: fc.boolean(),
    properties: propertySet,
    metadata: fc.record(
      {
        isMultiPart: fc.boolean(),
        contentType: text,
        size: fc.maxSafeNat(),
        seq: fc.maxSafeNat(),
        md5: text,
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

export const richMetric: fc.Arbitrary<Metric> = fc.letrec<{ metric: Metric; template: Template }>((tie) => ({
  metric: fc
    .tuple(
      extras,
      fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        typed.map(({ type, value }) => ({ datatype: type, value })),
        dataSet.map((value) => ({ datatype: T.DataSet, value })),
        tie('template').map((value) => ({ datatype: T.Template, value: value })),
      ),
    )
    .map(([e, v]) => ({ ...e, ...v }) as Metric),
  template: fc.record(
    {
      metrics: fc.array<Metric>(tie('metric'), { maxLength: 3 }),
      version: text,
      templateRef: text,
      isDefinition: fc.boolean(),
      parameters: fc.array(
        fc.oneof(
          typed.map(({ type, value }) => ({ name: 'p', type, value: value as Scalar })),
          fc.record({ name: text }, { requiredKeys: [] }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    },
    { requiredKeys: ['metrics'] },
  ),
})).metric;

export const richPayload: fc.Arbitrary<Payload> = fc.record(
  {
    timestamp: fc.maxSafeNat(),
    seq: fc.integer({ min: 0, max: 255 }),
    metrics: fc.array(richMetric, { maxLength: 4 }),
  },
  { requiredKeys: ['metrics'] },
);

/**
 * A payload whose one metric nests `depth` templates around an Int32 leaf, written by hand:
 * protobufjs' own encoder stops at its recursion limit (~50 templates).
 */
export function nestedTemplates(depth: number): Uint8Array {
  let metric = [...delimited(1, [0x6c]), ...tag(4, 0), T.Int32, ...tag(10, 0), 1]; // name "l", Int32 1
  for (let i = 0; i < depth; i++) metric = [...tag(4, 0), T.Template, ...delimited(18, delimited(2, metric))];
  return Uint8Array.from(delimited(2, metric));
}
