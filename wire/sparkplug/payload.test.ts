import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { SparkplugType as T } from './datatypes.ts';
import { SparkplugDecodeError } from './errors.ts';
import { coerceValue, type Metric } from './metric.ts';
import { decodePayload, encodePayload, type Payload } from './payload.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const roundTrip = (p: Payload) => decodePayload(encodePayload(p));
const one = (m: Metric) => roundTrip({ metrics: [m] }).metrics[0];

/** Throws unless `f` throws a SparkplugDecodeError; returns its reason. */
function decodeReason(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SparkplugDecodeError);
    return (e as SparkplugDecodeError).reason;
  }
  throw new Error('expected a SparkplugDecodeError');
}

describe('sparkplug payload: known bytes', () => {
  it('encodes Int16 −2 as int_value 0xFFFFFFFE (sign-extended two’s complement), field by field', () => {
    const bytes = encodePayload({
      timestamp: 1,
      seq: 0,
      metrics: [{ name: 'a', alias: 1, datatype: T.Int16, value: -2 }],
    });
    // 08 01 timestamp | 12 0d metric{ 0a 01 61 name | 10 01 alias | 20 02 datatype | 50 fe ff ff ff 0f int_value } | 18 00 seq
    expect(hex(bytes)).toBe('0801120d0a01611001200250feffffff0f1800');
  });

  it('encodes Int64 −1 and UInt64 max as the ten-byte varint of 2^64−1, never 0', () => {
    const i64 = encodePayload({ metrics: [{ datatype: T.Int64, value: -1n }] });
    const u64 = encodePayload({ metrics: [{ datatype: T.UInt64, value: (1n << 64n) - 1n }] });
    expect(hex(i64)).toBe('120d' + '2004' + '58ffffffffffffffffff01');
    expect(hex(u64)).toBe('120d' + '2008' + '58ffffffffffffffffff01');
  });

  it('decodes an Int16 written zero-extended (65534) as −2 too', () => {
    // metric{ datatype 2, int_value 65534 = fe ff 03 }
    expect(decodePayload(unhex('1206 2002 50feff03')).metrics[0]?.value).toBe(-2);
  });

  it('decodes UInt32 from long_value as well (Eclipse Tahu Java writes it there)', () => {
    expect(decodePayload(unhex('1208 2007 58ffffffff0f')).metrics[0]?.value).toBe(0xffffffff);
  });
});

describe('sparkplug payload: every datatype round-trips its edge values', () => {
  const cases: [string, number, unknown[]][] = [
    ['Int8', T.Int8, [-128, -1, 0, 127]],
    ['Int16', T.Int16, [-32768, -2, 0, 32767]],
    ['Int32', T.Int32, [-2147483648, -1, 0, 2147483647]],
    ['Int64', T.Int64, [-(1n << 63n), -1n, 0n, 1n, (1n << 63n) - 1n]],
    ['UInt8', T.UInt8, [0, 255]],
    ['UInt16', T.UInt16, [0, 65535]],
    ['UInt32', T.UInt32, [0, 4294967295]],
    ['UInt64', T.UInt64, [0n, 1n, (1n << 53n) + 1n, (1n << 64n) - 1n]],
    ['Float', T.Float, [0, -0, 1.5, Math.fround(3.14), NaN, Infinity, -Infinity, Math.fround(3.4e38)]],
    ['Double', T.Double, [0, -0, Math.PI, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity]],
    ['Boolean', T.Boolean, [true, false]],
    ['String', T.String, ['', 'press-3', '唐山', '🏭', '唐山钢铁 🏭 Line/温度']],
    ['DateTime', T.DateTime, [0, 1_700_000_000_123, Number.MAX_SAFE_INTEGER, -1]],
    ['Text', T.Text, ['', 'multi\nline']],
    ['UUID', T.UUID, ['0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9']],
    ['Bytes', T.Bytes, [new Uint8Array(), new Uint8Array([0, 1, 255])]],
    ['File', T.File, [new Uint8Array([37, 80, 68, 70])]],
    ['Int32Array (raw bytes)', T.Int32Array, [new Uint8Array([0xff, 0xff, 0xff, 0xff])]],
  ];
  it.each(cases)('%s', (_, datatype, values) => {
    for (const value of values) {
      const got = one({ name: 'm', datatype, value: value as Metric['value'] });
      expect(got).toEqual({ name: 'm', datatype, value });
      if (typeof value === 'bigint') expect(typeof got?.value).toBe('bigint');
      if (typeof value === 'number') expect(Object.is(got?.value, value)).toBe(true);
    }
  });

  it('null values travel as is_null, for any datatype', () => {
    expect(one({ name: 'n', datatype: T.Int64, value: null })).toEqual({
      name: 'n',
      datatype: T.Int64,
      isNull: true,
      value: null,
    });
  });

  it('payload fields, metric flags, metadata and properties (incl. nested sets, a "__proto__" key)', () => {
    const p: Payload = {
      timestamp: 1_700_000_000_000,
      seq: 255,
      uuid: 'u',
      body: new Uint8Array([9]),
      metrics: [
        {
          name: 'Line 1/温度',
          alias: (1n << 60n) + 3n,
          timestamp: 1_700_000_000_001,
          datatype: T.Double,
          isHistorical: true,
          isTransient: false,
          metadata: { contentType: 'text/plain', size: 3, seq: (1n << 63n) + 1n, md5: 'x' },
          properties: {
            Quality: { type: T.Int32, value: 192 },
            engUnit: { type: T.String, value: '°C' },
            gone: { type: T.Int64, value: null },
            nested: { type: T.PropertySet, value: { deep: { type: T.UInt64, value: (1n << 64n) - 1n } } },
            list: { type: T.PropertySetList, value: [{ a: { type: T.Boolean, value: true } }, {}] },
            ['__proto__']: { type: T.String, value: 'data, not a prototype' },
          },
          value: 21.5,
        },
      ],
    };
    const got = roundTrip(p);
    expect(got).toEqual(p);
    expect(Object.getPrototypeOf(got.metrics[0]?.properties)).toBe(Object.prototype);
    expect(Object.keys(got.metrics[0]?.properties ?? {})).toContain('__proto__');
  });

  it('DataSet and Template values', () => {
    const dataset = {
      numOfColumns: 3,
      columns: ['t', 'v', 'ok'],
      types: [T.DateTime, T.Int16, T.Boolean],
      rows: [
        [1_700_000_000_000, -7, true],
        [null, 32767, false],
      ],
    };
    const template = {
      version: '1.0',
      isDefinition: false,
      templateRef: 'Motor',
      metrics: [
        { name: 'rpm', datatype: T.UInt16, value: 1450 },
        { name: 'energy', datatype: T.UInt64, value: (1n << 64n) - 2n },
      ],
      parameters: [{ name: 'rated', type: T.Int8, value: -5 }, { name: 'blank' }],
    };
    expect(one({ name: 'd', datatype: T.DataSet, value: dataset })?.value).toEqual(dataset);
    expect(one({ name: 't', datatype: T.Template, value: template })?.value).toEqual(template);
  });
});

describe('sparkplug payload: DATA messages (aliases, no datatype) and coerceValue', () => {
  const birth: Metric[] = [
    { alias: 1, datatype: T.Int8, value: -128 },
    { alias: 2, datatype: T.Int16, value: -2 },
    { alias: 3, datatype: T.Int32, value: -2147483648 },
    { alias: 4, datatype: T.Int64, value: -5n },
    { alias: 5, datatype: T.UInt32, value: 4294967295 },
    { alias: 6, datatype: T.UInt64, value: (1n << 64n) - 1n },
    { alias: 7, datatype: T.DateTime, value: 1_700_000_000_000 },
    { alias: 8, datatype: T.Float, value: Math.fround(0.1) },
    { alias: 9, datatype: T.String, value: '唐山' },
    { alias: 10, datatype: T.Bytes, value: new Uint8Array([1]) },
    { alias: 11, datatype: T.Boolean, value: null },
  ];

  it('omitDatatypes keeps datatypes off the wire; coerceValue restores the JS types', () => {
    const data = decodePayload(encodePayload({ metrics: birth }, { omitDatatypes: true }));
    birth.forEach((b, i) => {
      const m = data.metrics[i] as Metric;
      expect(m.datatype).toBeUndefined();
      expect(m.alias).toBe(b.alias);
      expect(coerceValue(m, b.datatype as number)).toEqual(b.value);
    });
    // raw values are those of the wire field: uint32 number, uint64 bigint
    expect(data.metrics[1]?.value).toBe(4294967294);
    expect(data.metrics[3]?.value).toBe((1n << 64n) - 5n);
  });

  it('coerceValue is idempotent and rejects values that cannot be of the datatype', () => {
    expect(coerceValue({ value: -2 }, T.Int16)).toBe(-2);
    expect(coerceValue({ value: 255 }, T.Int8)).toBe(-1);
    expect(coerceValue({ value: (1n << 64n) - 1n }, T.Int16)).toBe(-1);
    expect(coerceValue({ value: 7n }, T.UInt32)).toBe(7);
    expect(coerceValue({}, T.Int16)).toBeUndefined();
    expect(coerceValue({ isNull: true }, T.Int16)).toBeNull();
    expect(decodeReason(() => coerceValue({ value: 'x' }, T.Int16))).toMatch(/Int16 value carried as string/);
    expect(decodeReason(() => coerceValue({ value: 1.5 }, T.Int32))).toMatch(/Int32/);
    expect(decodeReason(() => coerceValue({ value: 1 }, T.Boolean))).toMatch(/Boolean/);
    expect(decodeReason(() => coerceValue({ value: 1n }, T.Double))).toMatch(/Double/);
    expect(decodeReason(() => coerceValue({ value: 'x' }, T.DataSet))).toMatch(/DataSet/);
    expect(decodeReason(() => coerceValue({ value: 2n ** 60n }, T.DateTime))).toMatch(/DateTime/);
  });
});

describe('sparkplug payload: encode refuses bad input, naming the metric', () => {
  const enc = (m: Metric) => () => encodePayload({ metrics: [{ name: 'x', ...m }] });
  it('out-of-range integers are RangeErrors, never wrapped or saturated', () => {
    expect(enc({ datatype: T.Int8, value: 128 })).toThrow(RangeError);
    expect(enc({ datatype: T.UInt16, value: -1 })).toThrow(/metric 0 "x": -1 is outside UInt16/);
    expect(enc({ datatype: T.Int64, value: 1n << 63n })).toThrow(RangeError);
    expect(enc({ datatype: T.UInt64, value: -1n })).toThrow(RangeError);
    expect(enc({ datatype: T.Int16, alias: -1, value: 1 })).toThrow(/alias/);
    expect(enc({ datatype: T.Int16, timestamp: 1.5, value: 1 })).toThrow(/timestamp/);
  });
  it('wrong JS types and missing datatypes are TypeErrors', () => {
    expect(enc({ datatype: T.Int16, value: 1.5 })).toThrow(TypeError);
    expect(enc({ datatype: T.String, value: 5 })).toThrow(/String needs a string, got number/);
    expect(enc({ datatype: T.Boolean, value: 1 })).toThrow(TypeError);
    expect(enc({ datatype: T.Bytes, value: 'ab' })).toThrow(TypeError);
    expect(enc({ value: 1 })).toThrow(/needs a datatype/);
    expect(enc({ datatype: T.Unknown, value: 1 })).toThrow(TypeError);
  });
});

describe('sparkplug payload: decode rejects with SparkplugDecodeError only', () => {
  const Writer = protobuf.Writer;

  it('a value that its datatype forbids, naming the metric', () => {
    // metric{ name "x", datatype Int16, string_value "a" }
    expect(decodeReason(() => decodePayload(unhex('1208 0a0178 2002 7a0161')))).toBe(
      'metric 0 "x": Int16 value carried as string',
    );
  });

  it('two members of a oneof', () => {
    expect(decodeReason(() => decodePayload(unhex('1205 5001 7a0161')))).toMatch(/2 value fields/);
  });

  it('property keys and values of different lengths', () => {
    // metric{ properties{ keys ["a","b"], values [{type 3}] } }
    expect(decodeReason(() => decodePayload(unhex('120c 4a0a 0a0161 0a0162 12020803')))).toMatch(
      /2 keys but 1 values/,
    );
  });

  it('truncated input, bad wire types, field 0, a non-byte input', () => {
    const valid = encodePayload({
      timestamp: 5,
      metrics: [{ name: 'abc', datatype: T.String, value: 'xyz' }],
    });
    expect(decodeReason(() => decodePayload(valid.subarray(0, valid.length - 1)))).toMatch(/malformed/);
    expect(decodeReason(() => decodePayload(unhex('0f')))).toMatch(/timestamp has wire type 7/);
    expect(decodeReason(() => decodePayload(unhex('4e')))).toMatch(/malformed protobuf: invalid wire type 6/);
    expect(decodeReason(() => decodePayload(unhex('0001')))).toMatch(/field number 0/);
    expect(decodeReason(() => decodePayload('x' as unknown as Uint8Array))).toMatch(/not a byte array/);
  });

  it('timestamps beyond 2^53 instead of rounding them', () => {
    expect(decodeReason(() => decodePayload(unhex('08ffffffffffffffffff01')))).toMatch(/timestamp/);
  });

  it('nesting deeper than protobufjs’ limit (100) is rejected, not a stack overflow', () => {
    // metric.properties → value.propertyset_value → … 300 levels deep
    let inner = new Writer().finish();
    for (let i = 0; i < 300; i++) {
      const pv = new Writer().uint32(0x4a).bytes(inner).finish(); // PropertyValue{ propertyset_value }
      inner = new Writer().uint32(0x12).bytes(pv).finish(); // PropertySet{ values }
    }
    const metric = new Writer().uint32(0x4a).bytes(inner).finish();
    const payload = new Writer().uint32(0x12).bytes(metric).finish();
    expect(decodeReason(() => decodePayload(payload))).toMatch(/nesting/);
  });

  it('oversize input before parsing it', () => {
    expect(decodeReason(() => decodePayload(new Uint8Array(101), { maxBytes: 100 }))).toMatch(/too large/);
  });

  it('too many metrics, counted before each is built', () => {
    const many = new Uint8Array(2 * 100_001).fill(0x12); // 100,001 × metric{}: 12 00
    for (let i = 1; i < many.length; i += 2) many[i] = 0;
    expect(decodePayload(many.subarray(0, 200_000)).metrics).toHaveLength(100_000);
    expect(decodeReason(() => decodePayload(many))).toMatch(/^too many metrics/);
    expect(decodeReason(() => decodePayload(many.subarray(0, 22), { maxMetrics: 10 }))).toMatch(/too many/);
  });

  it('too many metrics inside a template, counted on the wire before decoding', () => {
    const members = Array.from({ length: 20 }, (_, i) => ({ name: `m${i}`, datatype: T.Int8, value: i }));
    const bytes = encodePayload({
      metrics: [{ name: 't', datatype: T.Template, value: { metrics: members } }],
    });
    expect(decodePayload(bytes, { maxMetrics: 21 }).metrics).toHaveLength(1);
    expect(decodeReason(() => decodePayload(bytes, { maxMetrics: 20 }))).toMatch(/too many metrics/);
    // one metric, one template, 4 million empty members (8 MiB): would cost ~400 MB decoded
    const empty = new Uint8Array(8 * 1024 * 1024 - 16);
    for (let i = 0; i < empty.length; i += 2) empty[i] = 0x12;
    const template = new Writer()
      .uint32((18 << 3) | 2)
      .bytes(empty)
      .finish();
    const huge = new Writer().uint32(0x12).bytes(template).finish();
    expect(decodeReason(() => decodePayload(huge))).toBe('too many metrics (more than 100000)');
  });

  it('too many elements of any kind (here data set cells)', () => {
    const dataset = { columns: ['a'], types: [T.Boolean], rows: Array.from({ length: 600 }, () => [true]) };
    const bytes = encodePayload({ metrics: [{ name: 'd', datatype: T.DataSet, value: dataset }] });
    expect(decodePayload(bytes).metrics).toHaveLength(1);
    expect(decodeReason(() => decodePayload(bytes, { maxElements: 1000 }))).toBe(
      'too many elements (more than 1000)',
    );
  });

  it('a known message field with another wire type, which protobufjs would decode blindly', () => {
    // metric{ template_value as a varint (wire type 0) }, then bytes that look like members
    expect(decodeReason(() => decodePayload(unhex('1206 9001 05 120012')))).toMatch(
      /Metric.templateValue has wire type 0/,
    );
  });

  it('an empty payload is valid (no metrics)', () => {
    expect(decodePayload(new Uint8Array())).toEqual({ metrics: [] });
  });
});
