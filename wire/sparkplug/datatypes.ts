/**
 * Sparkplug B datatypes (spec 3.0 §6.4.16) and the mapping from our configuration's point
 * types. Pure data.
 */
import { type DataType } from '../modbus/datatypes.ts';

/** Datatype codes as they travel in Metric.datatype, PropertyValue.type and DataSet.types. */
export const SparkplugType = {
  Unknown: 0,
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  DataSet: 16,
  Bytes: 17,
  File: 18,
  Template: 19,
  // PropertyValue only
  PropertySet: 20,
  PropertySetList: 21,
  // Arrays: little-endian packed in bytes_value (carried as raw bytes here)
  Int8Array: 22,
  Int16Array: 23,
  Int32Array: 24,
  Int64Array: 25,
  UInt8Array: 26,
  UInt16Array: 27,
  UInt32Array: 28,
  UInt64Array: 29,
  FloatArray: 30,
  DoubleArray: 31,
  BooleanArray: 32,
  StringArray: 33,
  DateTimeArray: 34,
} as const;
export type SparkplugTypeName = keyof typeof SparkplugType;
export type SparkplugTypeCode = (typeof SparkplugType)[SparkplugTypeName];

const NAMES = new Map<number, SparkplugTypeName>(
  (Object.entries(SparkplugType) as [SparkplugTypeName, number][]).map(([name, code]) => [code, name]),
);

/** 'Int16' for 2; 'type 99' for a code the spec does not define (for messages and logs). */
export const sparkplugTypeName = (code: number): string => NAMES.get(code) ?? `type ${code}`;

/** Array datatypes (22–34): carried as their packed little-endian bytes. */
export const isArrayType = (code: number): boolean =>
  code >= SparkplugType.Int8Array && code <= SparkplugType.DateTimeArray;

const BY_POINT_TYPE: Record<DataType, SparkplugTypeCode> = {
  bool: SparkplugType.Boolean,
  int16: SparkplugType.Int16,
  uint16: SparkplugType.UInt16,
  int32: SparkplugType.Int32,
  uint32: SparkplugType.UInt32,
  int64: SparkplugType.Int64,
  uint64: SparkplugType.UInt64,
  float32: SparkplugType.Float,
  float64: SparkplugType.Double,
  string: SparkplugType.String,
};

/**
 * The Sparkplug datatype a point is published as. A scaled numeric point (scale ≠ 1 or
 * offset ≠ 0) carries an engineering value that is no longer an integer or a float32, so it
 * is a Double; bool and string are never scaled.
 */
export function sparkplugTypeOf(type: DataType, scaled: boolean): SparkplugTypeCode {
  if (scaled && type !== 'bool' && type !== 'string') return SparkplugType.Double;
  return BY_POINT_TYPE[type];
}
