/**
 * OPC UA DataValues → readings. Pure: the quality rule, the timestamp rule, Variant → JS value and the
 * gateway-side scaling live here and nowhere else.
 */
import { type DataValue, DataType, type StatusCode, VariantArrayType } from 'node-opcua';
import type { Reading, Value } from '../types.ts';

/** Gateway-side scaling of one point (CollectPoint.scale/offset): value × scale + offset. */
export interface Scaling {
  scale: number;
  offset: number;
}

/** What one notification says about one point: the reading, and for a bad one the status name. */
export interface Sample {
  reading: Reading;
  /** StatusCode name when not good ("BadDeviceFailure", "UncertainLastUsableValue", "BadTypeMismatch"). */
  status?: string;
}

/**
 * The reading of `point` from a DataValue.
 * - good: the StatusCode's severity is Good. Uncertain counts as bad: an "uncertain" sample does not
 *   prove the device is reachable (OPC UA servers use it for last-usable and substituted values).
 * - time: source timestamp, else server timestamp, else `now` (ms since the epoch).
 * - value: numbers as numbers, Int64/UInt64 as bigint, Boolean, String (LocalizedText as its text,
 *   DateTime as ms); null when bad. A good value of another type (arrays, structures) or an empty one is
 *   reported bad as BadTypeMismatch: the gateway cannot carry it.
 * - scaling applies to numbers (bigints become numbers when scale or offset is not an integer).
 */
export function toSample(point: string, dv: DataValue, scaling: Scaling, now: number): Sample {
  const time = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime() ?? now;
  if (!dv.statusCode.isGood()) {
    return { reading: { point, value: null, good: false, time }, status: statusName(dv.statusCode) };
  }
  const value = toValue(dv);
  if (value === undefined)
    return { reading: { point, value: null, good: false, time }, status: 'BadTypeMismatch' };
  return { reading: { point, value: scale(value, scaling), good: true, time } };
}

/** "BadDeviceFailure" for StatusCodes.BadDeviceFailure; the hex code for one node-opcua does not name. */
export function statusName(code: StatusCode): string {
  const name = code.name;
  return name && name !== 'Unknown' ? name : `0x${code.value.toString(16).padStart(8, '0')}`;
}

function toValue(dv: DataValue): Value | undefined {
  const variant = dv.value;
  if (variant.arrayType !== VariantArrayType.Scalar) return undefined;
  const raw: unknown = variant.value;
  switch (variant.dataType) {
    case DataType.Boolean:
      return typeof raw === 'boolean' ? raw : undefined;
    case DataType.String:
      return typeof raw === 'string' ? raw : undefined;
    case DataType.LocalizedText: {
      const text: unknown = (raw as { text?: unknown } | null)?.text;
      return typeof text === 'string' ? text : undefined;
    }
    case DataType.DateTime:
      return raw instanceof Date ? raw.getTime() : undefined;
    case DataType.Int64:
    case DataType.UInt64:
      return fromHighLow(raw, variant.dataType === DataType.Int64);
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Float:
    case DataType.Double:
      return typeof raw === 'number' ? raw : undefined;
    default:
      return undefined;
  }
}

/** node-opcua carries 64-bit integers as [high, low] 32-bit halves. */
function fromHighLow(raw: unknown, signed: boolean): bigint | undefined {
  if (typeof raw === 'bigint') return raw;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return BigInt(raw);
  if (!Array.isArray(raw) || raw.length !== 2) return undefined;
  const [high, low] = raw as unknown[];
  if (typeof high !== 'number' || typeof low !== 'number') return undefined;
  const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return signed ? BigInt.asIntN(64, bits) : bits;
}

function scale(value: Value, { scale: k, offset }: Scaling): Value {
  if (k === 1 && offset === 0) return value;
  if (typeof value === 'number') return value * k + offset;
  if (typeof value === 'bigint') {
    if (Number.isInteger(k) && Number.isInteger(offset)) return value * BigInt(k) + BigInt(offset);
    return Number(value) * k + offset;
  }
  return value;
}
