/**
 * The Sparkplug B decoder, fuzzed beyond wire/sparkplug/payload.property.test.ts (random,
 * truncated and overwritten bytes of scalar payloads): schema-driven protobuf that reaches
 * every message type, structured values round-tripped then truncated and mutated, nesting
 * past the depth limit, and arrays past the element limits — up to 8 MiB worst cases.
 * decodePayload must return a Payload or throw SparkplugDecodeError with a reason, nothing
 * else; what it returns must re-encode (or be refused by the encoder's documented
 * TypeError/RangeError) and decode again to the same value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SparkplugType as T } from '../../wire/sparkplug/datatypes.ts';
import { SparkplugDecodeError } from '../../wire/sparkplug/errors.ts';
import type { Metric } from '../../wire/sparkplug/metric.ts';
import {
  DEFAULT_MAX_BYTES,
  decodePayload,
  encodePayload,
  type DecodeLimits,
  type Payload,
} from '../../wire/sparkplug/payload.ts';
import { MAX_DEPTH } from '../../wire/sparkplug/scan.ts';
import { FUZZ_TIMEOUT, runs, Tally } from './fuzz.ts';
import { delimited, nestedTemplates, richPayload, tag, varint, wirePayload } from './sparkplug-gen.ts';

/** decodePayload's whole contract for one input; returns the outcome label. */
function decodeChecked(bytes: Uint8Array, limits?: DecodeLimits): string {
  let p: Payload;
  try {
    p = decodePayload(bytes, limits);
  } catch (e) {
    expect(e).toBeInstanceOf(SparkplugDecodeError);
    expect((e as SparkplugDecodeError).reason.length).toBeGreaterThan(0);
    return `rejected: ${kindOf((e as SparkplugDecodeError).reason)}`;
  }
  expect(Array.isArray(p.metrics)).toBe(true);
  // Invalid UTF-8 decodes (leniently, as protobufjs does) into strings with lone surrogates,
  // which no encoder can write back as they were: counted, not compared.
  if (illFormed(p)) return 'decoded (ill-formed UTF-16 string)';
  if (p.seq !== undefined) expect(Number.isSafeInteger(p.seq)).toBe(true);
  if (p.timestamp !== undefined) expect(Number.isSafeInteger(p.timestamp)).toBe(true);
  let again: Uint8Array;
  try {
    again = encodePayload(p);
  } catch (e) {
    // DATA metrics without a datatype, unknown datatype codes: the encoder refuses, as documented.
    expect(e instanceof TypeError || e instanceof RangeError, String(e)).toBe(true);
    return 'decoded (not re-encodable)';
  }
  expect(normalise(decodePayload(again))).toEqual(normalise(p));
  return 'decoded';
}

const KINDS: [RegExp, string][] = [
  [/^malformed protobuf/, 'malformed protobuf'],
  [/has wire type/, 'wrong wire type'],
  [/overruns its container/, 'overrun'],
  [/^too many|too large/, 'limit'],
  [/nesting deeper/, 'nesting'],
  [/beyond 2\^53/, 'beyond 2^53'],
  [/field number 0/, 'field number 0'],
];
const kindOf = (reason: string) => KINDS.find(([re]) => re.test(reason))?.[1] ?? 'value refused';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function illFormed(x: unknown): boolean {
  if (typeof x === 'string') return LONE_SURROGATE.test(x);
  if (typeof x !== 'object' || x === null || x instanceof Uint8Array) return false;
  return Object.entries(x).some(([k, v]) => LONE_SURROGATE.test(k) || illFormed(v));
}

/** The encoder always writes numOfColumns; a decoded data set may lack it. */
function normalise(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(normalise);
  if (typeof x !== 'object' || x === null || x instanceof Uint8Array) return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) if (k !== 'numOfColumns') out[k] = normalise(v);
  return out;
}

describe('sparkplug decoder, fuzzed', { timeout: FUZZ_TIMEOUT }, () => {
  it('schema-driven protobuf: every message type, right and wrong wire types, lying lengths', () => {
    const t = new Tally('sparkplug schema-driven protobuf');
    fc.assert(
      fc.property(wirePayload(), (bytes) => {
        t.count(decodeChecked(bytes));
      }),
      { numRuns: runs(10_000) },
    );
    t.report();
    // The generator must reach past the first tag: a real share decodes.
    expect(t.outcomes.decoded ?? 0).toBeGreaterThan(t.inputs / 20);
  });

  it('structured payloads (DataSet, Template, PropertySet, MetaData) round-trip exactly', () => {
    const t = new Tally('sparkplug structured round trip');
    fc.assert(
      fc.property(richPayload, (p) => {
        expect(decodePayload(encodePayload(p))).toEqual(p);
        t.count(p.metrics.some((m) => m.datatype === T.Template) ? 'with template' : 'without template');
      }),
      { numRuns: runs(1000) },
    );
    t.report();
  });

  it('structured payloads truncated or overwritten anywhere', () => {
    const t = new Tally('sparkplug structured truncated/mutated');
    fc.assert(
      fc.property(
        richPayload,
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (p, cut, edits) => {
          const bytes = Uint8Array.from(encodePayload(p));
          const cutAt = bytes.length ? cut % bytes.length : 0;
          t.count(`truncated ${decodeChecked(bytes.subarray(0, cutAt))}`);
          for (const [at, b] of edits) if (bytes.length) bytes[at % bytes.length] = b;
          t.count(`mutated ${decodeChecked(bytes)}`);
        },
      ),
      { numRuns: runs(1500) },
    );
    t.report();
  });

  it('nested templates decode up to the depth limit and are refused past it', () => {
    const t = new Tally('sparkplug template nesting');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 150 }), (depth) => {
        const bytes = nestedTemplates(depth);
        // Payload → Metric → (Template → Metric) × depth: the leaf metric sits at 2·depth + 1.
        if (2 * depth + 1 <= MAX_DEPTH) {
          let m = decodePayload(bytes).metrics[0];
          for (let i = 0; i < depth; i++) m = (m?.value as { metrics: Metric[] }).metrics[0];
          expect(m).toEqual({ name: 'l', datatype: T.Int32, value: 1 });
          t.count('decoded');
        } else {
          expect(() => decodePayload(bytes)).toThrow(`nesting deeper than ${MAX_DEPTH}`);
          t.count('refused');
        }
      }),
      { numRuns: runs(400) },
    );
    t.report();
  });

  it('metric and element limits hold wherever the array sits', () => {
    const t = new Tally('sparkplug limits');
    const emptyMetric = delimited(2, []);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom('payload metrics', 'template members', 'data set rows', 'property keys'),
        (n, max, where) => {
          let bytes: number[];
          let limits: DecodeLimits;
          if (where === 'payload metrics' || where === 'template members') {
            const members = Array.from({ length: n }, () => emptyMetric).flat();
            // Template: Metric{datatype 19, template_value 18 {metrics…}}; the outer metric counts too.
            bytes =
              where === 'payload metrics'
                ? members
                : delimited(2, [...tag(4, 0), ...varint(19n), ...delimited(18, members)]);
            limits = { maxMetrics: where === 'payload metrics' ? max : max + 1 };
          } else {
            const inner =
              where === 'data set rows'
                ? delimited(17, Array.from({ length: n }, () => delimited(4, [])).flat()) // DataSet.rows
                : delimited(9, Array.from({ length: n }, () => delimited(1, [0x6b])).flat()); // PropertySet.keys
            bytes = delimited(2, inner);
            limits = { maxElements: max + 2 }; // the metric and its one container are elements too
          }
          const over = n > max;
          if (over)
            expect(() => decodePayload(Uint8Array.from(bytes), limits)).toThrow(
              /too many (metrics|elements)/,
            );
          else if (where === 'property keys' && n > 0)
            expect(() => decodePayload(Uint8Array.from(bytes), limits)).toThrow(/keys but 0 values/);
          else
            expect(decodePayload(Uint8Array.from(bytes), limits).metrics).toHaveLength(
              where === 'payload metrics' ? n : 1,
            );
          t.count(`${where} ${over ? 'over' : 'within'}`);
        },
      ),
      { numRuns: runs(2000) },
    );
    t.report();
  });
});

describe('8 MiB worst cases are refused by the pre-scan, with their reason', () => {
  const filled = (unit: number[], bytes: number) => {
    const out = new Uint8Array(bytes);
    for (let i = 0; i + unit.length <= bytes; i += unit.length) out.set(unit, i);
    return out;
  };
  const MiB8 = DEFAULT_MAX_BYTES;
  it.each([
    ['4 M empty metrics', () => filled([0x12, 0x00], MiB8), /too many metrics/],
    [
      'one packed run of 8 M varints (DataSet.types)',
      () => {
        const run = new Uint8Array(MiB8 - 16).fill(1);
        const types = [...tag(3, 2), ...varint(BigInt(run.length))];
        const dataset = [...tag(17, 2), ...varint(BigInt(run.length + types.length))];
        const metric = [...tag(2, 2), ...varint(BigInt(run.length + types.length + dataset.length))];
        return Uint8Array.from([...metric, ...dataset, ...types, ...run]);
      },
      /too many elements/,
    ],
    ['8 M nested unknown groups', () => filled([0x7b], MiB8), /malformed protobuf|nesting/],
    [
      'a length prefix of 4 GiB',
      () => Uint8Array.from([0x12, ...varint(0xffffffffn), 0x00]),
      /malformed protobuf|overruns|field number 0/,
    ],
    ['one byte over the size limit', () => new Uint8Array(MiB8 + 1), /payload too large/],
  ])('%s', (name, make, reason) => {
    const t = new Tally(`sparkplug worst case: ${name}`);
    const bytes = make();
    expect(() => decodePayload(bytes)).toThrow(reason);
    t.count('refused');
    t.report();
  });
});
