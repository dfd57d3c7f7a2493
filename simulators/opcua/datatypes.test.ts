import { DataType, Variant, VariantArrayType } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { KINDS, type Point } from '../../config/index.ts';
import { fromVariant, opcuaDataType, toVariant } from './datatypes.ts';
import { euInformation } from './units.ts';

const point = (p: Partial<Point> & Pick<Point, 'type'>): Point => ({ name: 'p', access: 'read', ...p });
const modbus = (scale: number, offset = 0): Point['modbus'] => ({
  table: 'input',
  address: 0,
  order: 'ABCD',
  scale,
  offset,
});

describe('opcuaDataType', () => {
  it.each([
    ['bool', DataType.Boolean],
    ['int16', DataType.Int16],
    ['uint16', DataType.UInt16],
    ['int32', DataType.Int32],
    ['uint32', DataType.UInt32],
    ['int64', DataType.Int64],
    ['uint64', DataType.UInt64],
    ['float32', DataType.Float],
    ['float64', DataType.Double],
    ['string', DataType.String],
  ] as const)('%s → %s', (type, dataType) => {
    expect(opcuaDataType(point({ type }))).toBe(dataType);
    expect(opcuaDataType(point({ type, modbus: modbus(1) }))).toBe(dataType);
  });

  it('exposes Modbus-scaled numbers as Double', () => {
    expect(opcuaDataType(point({ type: 'int16', modbus: modbus(0.1) }))).toBe(DataType.Double);
    expect(opcuaDataType(point({ type: 'uint64', modbus: modbus(0.01) }))).toBe(DataType.Double);
    expect(opcuaDataType(point({ type: 'uint16', modbus: modbus(1, -40) }))).toBe(DataType.Double);
    expect(opcuaDataType(point({ type: 'bool', modbus: modbus(2) }))).toBe(DataType.Boolean);
  });

  it('gives every point of every kind a DataType its engineering values fit', () => {
    for (const kind of KINDS.values()) {
      for (const p of kind.points) expect(DataType[opcuaDataType(p)], `${kind.id}/${p.name}`).toBeDefined();
    }
  });
});

describe('toVariant / fromVariant', () => {
  it('round-trips 64-bit integers through node-opcua [high, low] pairs', () => {
    for (const v of [0n, 1n, 2n ** 32n + 5n, 2n ** 64n - 1n]) {
      const variant = toVariant(DataType.UInt64, v);
      expect(variant.arrayType).toBe(VariantArrayType.Scalar);
      expect(fromVariant(variant)).toBe(v);
    }
    for (const v of [-1n, -(2n ** 63n), 2n ** 63n - 1n, 123456789012n]) {
      expect(fromVariant(toVariant(DataType.Int64, v))).toBe(v);
    }
    expect(toVariant(DataType.UInt64, 2 ** 33).value).toEqual([2, 0]);
    expect(toVariant(DataType.Int64, -1).value).toEqual([0xffffffff, 0xffffffff]);
  });

  it('rounds and clamps integers to their type, never encodes NaN', () => {
    expect(toVariant(DataType.UInt16, 225.5).value).toBe(226);
    expect(toVariant(DataType.UInt16, 70_000).value).toBe(65_535);
    expect(toVariant(DataType.Int16, -40_000).value).toBe(-32_768);
    expect(toVariant(DataType.UInt32, Number.NaN).value).toBe(0);
    expect(toVariant(DataType.Int32, 7n).value).toBe(7);
  });

  it('keeps floats (NaN included), booleans and strings', () => {
    expect(toVariant(DataType.Double, 0.1).value).toBe(0.1);
    expect(toVariant(DataType.Float, Number.NaN).value).toBeNaN();
    expect(toVariant(DataType.Double, 12n).value).toBe(12);
    expect(toVariant(DataType.Boolean, 1).value).toBe(true);
    expect(toVariant(DataType.Boolean, false).value).toBe(false);
    expect(toVariant(DataType.String, 'O1234').value).toBe('O1234');
  });

  it('turns written Variants into engineering values', () => {
    expect(fromVariant(new Variant({ dataType: DataType.Float, value: 20.5 }))).toBe(20.5);
    expect(fromVariant(new Variant({ dataType: DataType.Boolean, value: true }))).toBe(true);
    expect(fromVariant(new Variant({ dataType: DataType.UInt16, value: 120 }))).toBe(120);
    expect(fromVariant(new Variant({ dataType: DataType.String, value: 'P7' }))).toBe('P7');
  });
});

describe('euInformation', () => {
  it('uses UNECE codes and keeps the configured unit as displayName', () => {
    const rpm = euInformation('rpm');
    expect(rpm.displayName.text).toBe('rpm');
    expect(rpm.unitId).toBe(0x52504d); // RPM
    expect(rpm.namespaceUri).toBe('http://www.opcfoundation.org/UA/units/un/cefact');
    expect(euInformation('kN').unitId).toBe(0x423437); // B47
    expect(euInformation('h').unitId).toBe(0x485552); // HUR
  });

  it('knows every unit the kinds use', () => {
    for (const kind of KINDS.values())
      for (const p of kind.points)
        if (p.unit !== undefined)
          expect(euInformation(p.unit).unitId, `${kind.id}/${p.name} ${p.unit}`).not.toBe(-1);
  });

  it('falls back to unitId −1 with the unit as displayName', () => {
    const eu = euInformation('widgets/shift');
    expect([eu.unitId, eu.displayName.text]).toEqual([-1, 'widgets/shift']);
  });
});
