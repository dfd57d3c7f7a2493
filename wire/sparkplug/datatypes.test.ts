import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { DATA_TYPES } from '../modbus/datatypes.ts';
import { SparkplugType as T, isArrayType, sparkplugTypeName, sparkplugTypeOf } from './datatypes.ts';

describe('sparkplug datatypes', () => {
  it('the enum matches the DataType enum of sparkplug_b.proto', () => {
    const text = readFileSync(new URL('./sparkplug_b.proto', import.meta.url), 'utf8');
    const proto = protobuf.parse(text).root.lookupEnum('org.eclipse.tahu.protobuf.DataType');
    expect(proto.values).toEqual(T);
    expect(T.Template).toBe(19);
  });

  it('maps every point type, scaled numbers to Double', () => {
    const plain = Object.fromEntries(
      DATA_TYPES.map((t) => [t, sparkplugTypeName(sparkplugTypeOf(t, false))]),
    );
    expect(plain).toEqual({
      bool: 'Boolean',
      int16: 'Int16',
      uint16: 'UInt16',
      int32: 'Int32',
      uint32: 'UInt32',
      int64: 'Int64',
      uint64: 'UInt64',
      float32: 'Float',
      float64: 'Double',
      string: 'String',
    });
    for (const t of DATA_TYPES) {
      expect(sparkplugTypeOf(t, true)).toBe(t === 'bool' ? T.Boolean : t === 'string' ? T.String : T.Double);
    }
  });

  it('names and classifies codes', () => {
    expect(sparkplugTypeName(2)).toBe('Int16');
    expect(sparkplugTypeName(99)).toBe('type 99');
    expect([21, 22, 34, 35].map(isArrayType)).toEqual([false, true, true, false]);
  });
});
