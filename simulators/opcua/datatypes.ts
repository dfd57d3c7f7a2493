/**
 * Point types ↔ OPC UA DataTypes and Variants. Pure functions: the engineering values a SimDevice
 * produces become Variants of the variable's DataType, and values a client writes become engineering
 * values again.
 */
import { DataType, Variant, VariantArrayType } from 'node-opcua';
import type { Point } from '../../config/index.ts';
import type { Value } from '../models/types.ts';

const BY_POINT_TYPE: Record<Point['type'], DataType> = {
  bool: DataType.Boolean,
  int16: DataType.Int16,
  uint16: DataType.UInt16,
  int32: DataType.Int32,
  uint32: DataType.UInt32,
  int64: DataType.Int64,
  uint64: DataType.UInt64,
  float32: DataType.Float,
  float64: DataType.Double,
  string: DataType.String,
};

/** Integer DataTypes exposed as JS numbers, with their bounds (values beyond are clamped). */
const INT_BOUNDS: Partial<Record<DataType, readonly [number, number]>> = {
  [DataType.Int16]: [-0x8000, 0x7fff],
  [DataType.UInt16]: [0, 0xffff],
  [DataType.Int32]: [-0x80000000, 0x7fffffff],
  [DataType.UInt32]: [0, 0xffffffff],
};

/**
 * The DataType of a point's variable. A Modbus-scaled point (scale ≠ 1 or offset ≠ 0) carries a
 * non-integral engineering value whatever its register type, so it is exposed as Double.
 */
export function opcuaDataType(point: Point): DataType {
  const scaled = point.modbus !== undefined && (point.modbus.scale !== 1 || point.modbus.offset !== 0);
  if (scaled && point.type !== 'bool' && point.type !== 'string') return DataType.Double;
  return BY_POINT_TYPE[point.type];
}

/** True for the DataTypes that get AnalogItemType when the point has a unit or a range. */
export function isNumeric(dataType: DataType): boolean {
  return dataType !== DataType.Boolean && dataType !== DataType.String;
}

/** An engineering value as a Variant of `dataType`. */
export function toVariant(dataType: DataType, value: Value): Variant {
  switch (dataType) {
    case DataType.Boolean:
      return new Variant({ dataType, value: typeof value === 'string' ? value === 'true' : Boolean(value) });
    case DataType.String:
      return new Variant({ dataType, value: String(value) });
    case DataType.Int64:
    case DataType.UInt64:
      return new Variant({ dataType, arrayType: VariantArrayType.Scalar, value: toHighLow(dataType, value) });
    case DataType.Float:
    case DataType.Double:
      return new Variant({ dataType, value: toNumber(value) });
    default: {
      const bounds = INT_BOUNDS[dataType];
      if (!bounds) throw new TypeError(`unsupported OPC UA DataType ${DataType[dataType]}`);
      const n = Math.round(toNumber(value));
      // NaN has no integer encoding: a model never yields it for an integer point, so 0 is a safe floor.
      return new Variant({
        dataType,
        value: Number.isNaN(n) ? 0 : Math.min(bounds[1], Math.max(bounds[0], n)),
      });
    }
  }
}

/** The engineering value of a Variant a client wrote: bigint for 64-bit integers. */
export function fromVariant(variant: Variant): Value {
  const raw: unknown = variant.value;
  switch (variant.dataType) {
    case DataType.Int64:
    case DataType.UInt64:
      return fromHighLow(variant.dataType, raw);
    case DataType.Boolean:
      return raw === true;
    case DataType.String:
      return typeof raw === 'string' ? raw : '';
    default:
      if (typeof raw !== 'number') throw new TypeError(`expected a number, got ${typeof raw}`);
      return raw;
  }
}

function toNumber(value: Value): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return Number(value);
}

/** node-opcua carries 64-bit integers as [high, low] 32-bit words (two's complement for Int64). */
function toHighLow(dataType: DataType.Int64 | DataType.UInt64, value: Value): [number, number] {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else {
    const n = Math.trunc(toNumber(value));
    big = Number.isFinite(n) ? BigInt(n) : 0n;
  }
  const bits = dataType === DataType.Int64 ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big);
  const u = BigInt.asUintN(64, bits);
  return [Number(u >> 32n), Number(u & 0xffffffffn)];
}

function fromHighLow(dataType: DataType.Int64 | DataType.UInt64, raw: unknown): bigint {
  if (!Array.isArray(raw) || raw.length !== 2) throw new TypeError('expected a 64-bit [high, low] pair');
  const [high, low] = raw as unknown[];
  if (typeof high !== 'number' || typeof low !== 'number')
    throw new TypeError('expected a 64-bit [high, low] pair');
  const u = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return dataType === DataType.Int64 ? BigInt.asIntN(64, u) : u;
}
