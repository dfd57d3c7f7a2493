/**
 * Scalar values ⇄ the oneof fields of Metric, PropertyValue, DataSetValue and
 * Template.Parameter, per datatype.
 *
 * Signed integers: the spec (3.0 §6.4.17) carries Int8/Int16/Int32 in `uint32 int_value`
 * and Int64 in `uint64 long_value` without saying how a negative value maps to the unsigned
 * field. We write the two's-complement bit pattern sign-extended to the field's width — as
 * Eclipse Tahu, the reference implementation, does (Java `setIntValue((short) -2)` puts
 * 0xFFFFFFFE on the wire): Int16 −2 → int_value 4294967294, Int64 −1 → long_value 2^64−1.
 * Reading, we keep only the datatype's low bits and reinterpret them (Tahu's `(short)`
 * cast), so values written zero-extended (Int16 −2 as 65534) decode the same.
 */
import { SparkplugType as T, isArrayType, sparkplugTypeName } from './datatypes.ts';
import { SparkplugDecodeError } from './errors.ts';
import { fromU64, own, toU64, type WireScalar } from './proto.ts';

/** A scalar in JS types: 64-bit integers are bigint, everything else a primitive. */
export type Scalar = number | bigint | boolean | string;
/** A oneof value as read, before datatype conversion (bytes only exist on Metric). */
export type RawValue = Scalar | Uint8Array;
export type WireValue = WireScalar & { bytesValue?: Uint8Array };

/** Value ranges of the integer datatypes (shared with data-encoder.ts). */
export const INT32_BOUNDS: Partial<Record<number, readonly [number, number]>> = {
  [T.Int8]: [-0x80, 0x7f],
  [T.Int16]: [-0x8000, 0x7fff],
  [T.Int32]: [-0x80000000, 0x7fffffff],
  [T.UInt8]: [0, 0xff],
  [T.UInt16]: [0, 0xffff],
  [T.UInt32]: [0, 0xffffffff],
};
export const INT64_BOUNDS: Partial<Record<number, readonly [bigint, bigint]>> = {
  [T.Int64]: [-(1n << 63n), (1n << 63n) - 1n],
  [T.UInt64]: [0n, (1n << 64n) - 1n],
  [T.DateTime]: [-(1n << 63n), (1n << 63n) - 1n],
};

const kind = (v: unknown): string =>
  v === null ? 'null' : v instanceof Uint8Array ? 'bytes' : Array.isArray(v) ? 'array' : typeof v;

function integer(datatype: number, v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new TypeError(`${sparkplugTypeName(datatype)} needs an integer, got ${kind(v)} ${String(v)}`);
}

function inRange<N extends number | bigint>(datatype: number, v: N, [lo, hi]: readonly [N, N]): N {
  if (v < lo || v > hi) {
    throw new RangeError(`${String(v)} is outside ${sparkplugTypeName(datatype)} (${lo}..${hi})`);
  }
  return v;
}

/**
 * Value → the one oneof member its datatype uses. Throws TypeError for a value of the wrong
 * JS type and RangeError for an integer outside the datatype; never wraps or saturates.
 */
export function encodeScalar(datatype: number, value: unknown): WireValue {
  const b32 = INT32_BOUNDS[datatype];
  if (b32) return { intValue: inRange(datatype, Number(integer(datatype, value)), b32) >>> 0 };
  const b64 = INT64_BOUNDS[datatype];
  if (b64) return { longValue: toU64(BigInt.asUintN(64, inRange(datatype, integer(datatype, value), b64))) };
  const want = (type: string) => {
    if (typeof value !== type) {
      throw new TypeError(`${sparkplugTypeName(datatype)} needs a ${type}, got ${kind(value)}`);
    }
  };
  switch (datatype) {
    case T.Float:
      want('number');
      return { floatValue: value as number };
    case T.Double:
      want('number');
      return { doubleValue: value as number };
    case T.Boolean:
      want('boolean');
      return { booleanValue: value as boolean };
    case T.String:
    case T.Text:
    case T.UUID:
      want('string');
      return { stringValue: value as string };
    case T.Bytes:
    case T.File:
      break;
    default:
      if (!isArrayType(datatype)) {
        throw new TypeError(`cannot encode a scalar value as ${sparkplugTypeName(datatype)}`);
      }
  }
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${sparkplugTypeName(datatype)} needs a Uint8Array, got ${kind(value)}`);
  }
  return { bytesValue: value };
}

const SCALAR_FIELDS = [
  'intValue',
  'longValue',
  'floatValue',
  'doubleValue',
  'booleanValue',
  'stringValue',
  'bytesValue',
] as const;

/**
 * The value of whichever scalar oneof member is set, in its wire type's JS type: int_value
 * → number (0..2^32−1), long_value → bigint (0..2^64−1), float/double → number, bytes →
 * a copy (never a view into the MQTT buffer). `others` counts further value members
 * (data set, template, …) of the container so that two set members are caught.
 */
export function decodeRaw(w: WireValue, others = 0): RawValue | undefined {
  let found: RawValue | undefined;
  let count = others;
  for (const field of SCALAR_FIELDS) {
    const v = own(w, field);
    if (v === undefined || v === null) continue;
    count++;
    if (field === 'longValue') found = fromU64(v as NonNullable<WireScalar['longValue']>);
    else if (field === 'bytesValue') found = Uint8Array.from(v as Uint8Array);
    else found = v as Scalar;
  }
  if (count > 1) throw new SparkplugDecodeError(`${count} value fields set (a oneof holds one)`);
  return found;
}

function bits32(datatype: number, raw: unknown): number {
  if (typeof raw === 'bigint') return Number(BigInt.asUintN(32, raw));
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= -0x80000000 && raw <= 0xffffffff) {
    return raw >>> 0;
  }
  throw mismatch(datatype, raw);
}

function bits64(datatype: number, raw: unknown): bigint {
  if (typeof raw === 'bigint') return raw;
  if (typeof raw === 'number' && Number.isInteger(raw)) return BigInt(raw);
  throw mismatch(datatype, raw);
}

/** Datatypes whose values are messages, never a scalar field. */
const STRUCTURED = new Set<number>([T.DataSet, T.Template, T.PropertySet, T.PropertySetList]);

const mismatch = (datatype: number, raw: unknown) =>
  new SparkplugDecodeError(`${sparkplugTypeName(datatype)} value carried as ${kind(raw)}`);

/**
 * A raw (or already converted) value → the JS type of `datatype`: Int8..Int32 → signed
 * number, UInt8..UInt32 → number, Int64 → signed bigint, UInt64 → bigint, DateTime →
 * number (ms), Float/Double → number, Boolean, String/Text/UUID → string, Bytes/File/arrays
 * → Uint8Array. Idempotent. Accepts an integer from either integer field (Tahu sends UInt32
 * in long_value). Throws SparkplugDecodeError when the value cannot be of that datatype; an
 * unknown datatype code passes the value through unchanged.
 */
export function coerceScalar(datatype: number, raw: RawValue): RawValue {
  switch (datatype) {
    case T.Int8:
      return (bits32(datatype, raw) << 24) >> 24;
    case T.Int16:
      return (bits32(datatype, raw) << 16) >> 16;
    case T.Int32:
      return bits32(datatype, raw) | 0;
    case T.UInt8:
      return bits32(datatype, raw) & 0xff;
    case T.UInt16:
      return bits32(datatype, raw) & 0xffff;
    case T.UInt32:
      return bits32(datatype, raw);
    case T.Int64:
      return BigInt.asIntN(64, bits64(datatype, raw));
    case T.UInt64:
      return BigInt.asUintN(64, bits64(datatype, raw));
    case T.DateTime: {
      const ms = BigInt.asIntN(64, bits64(datatype, raw));
      if (ms > BigInt(Number.MAX_SAFE_INTEGER) || ms < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new SparkplugDecodeError(`DateTime ${ms} ms is beyond ±2^53`);
      }
      return Number(ms);
    }
    case T.Float:
    case T.Double:
      if (typeof raw !== 'number') throw mismatch(datatype, raw);
      return raw;
    case T.Boolean:
      if (typeof raw !== 'boolean') throw mismatch(datatype, raw);
      return raw;
    case T.String:
    case T.Text:
    case T.UUID:
      if (typeof raw !== 'string') throw mismatch(datatype, raw);
      return raw;
    case T.Bytes:
    case T.File:
      if (!(raw instanceof Uint8Array)) throw mismatch(datatype, raw);
      return raw;
    default:
      if (isArrayType(datatype) ? !(raw instanceof Uint8Array) : STRUCTURED.has(datatype)) {
        throw mismatch(datatype, raw);
      }
      return raw;
  }
}
