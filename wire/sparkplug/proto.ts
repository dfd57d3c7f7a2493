/**
 * The protobuf schema (sparkplug_b.proto beside this file), parsed once with protobufjs on
 * first use, and the wire shapes protobufjs hands us. The .proto text is the single source
 * of truth: parsing it takes ~10 ms once per process, which a generated JSON descriptor
 * would save at the price of a build step and a second copy of the schema.
 *
 * 64-bit fields: protobufjs reads uint64 as `Long` (its `long` dependency) and writes
 * anything with `low`/`high` — but silently writes a `bigint` as 0 (LongBits.from), which is
 * exactly the bug of npm `sparkplug-payload`. So every uint64 goes through `toU64` /
 * `fromU64` below and never reaches protobufjs as a bigint.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

/** A 64-bit value as two's-complement 32-bit halves: what protobufjs reads and writes. */
export interface LongBits {
  low: number;
  high: number;
  unsigned?: boolean;
}
export type WireU64 = LongBits | number;

/** The oneof members shared by Metric, PropertyValue, DataSetValue and Template.Parameter. */
export interface WireScalar {
  intValue?: number;
  longValue?: WireU64;
  floatValue?: number;
  doubleValue?: number;
  booleanValue?: boolean;
  stringValue?: string;
}

export interface WirePropertyValue extends WireScalar {
  type?: number;
  isNull?: boolean;
  propertysetValue?: WirePropertySet;
  propertysetsValue?: { propertyset?: WirePropertySet[] };
}
export interface WirePropertySet {
  keys?: string[];
  values?: WirePropertyValue[];
}
export interface WireMetaData {
  isMultiPart?: boolean;
  contentType?: string;
  size?: WireU64;
  seq?: WireU64;
  fileName?: string;
  fileType?: string;
  md5?: string;
  description?: string;
}
export interface WireDataSet {
  numOfColumns?: WireU64;
  columns?: string[];
  types?: number[];
  rows?: { elements?: WireScalar[] }[];
}
export interface WireParameter extends WireScalar {
  name?: string;
  type?: number;
}
export interface WireTemplate {
  version?: string;
  metrics?: WireMetric[];
  parameters?: WireParameter[];
  templateRef?: string;
  isDefinition?: boolean;
}
export interface WireMetric extends WireScalar {
  name?: string;
  alias?: WireU64;
  timestamp?: WireU64;
  datatype?: number;
  isHistorical?: boolean;
  isTransient?: boolean;
  isNull?: boolean;
  metadata?: WireMetaData;
  properties?: WirePropertySet;
  bytesValue?: Uint8Array;
  datasetValue?: WireDataSet;
  templateValue?: WireTemplate;
  extensionValue?: object;
}
export interface WirePayload {
  timestamp?: WireU64;
  metrics?: WireMetric[];
  seq?: WireU64;
  uuid?: string;
  body?: Uint8Array;
}

export interface Schema {
  Payload: protobuf.Type;
  Metric: protobuf.Type;
}

const PACKAGE = 'org.eclipse.tahu.protobuf';
let schema: Schema | undefined;

/** The parsed schema (lazily: importing topic helpers does not pay for it). */
export function sparkplugSchema(): Schema {
  if (!schema) {
    const text = readFileSync(new URL('./sparkplug_b.proto', import.meta.url), 'utf8');
    const { root } = protobuf.parse(text, { keepCase: false });
    root.resolveAll();
    schema = {
      Payload: root.lookupType(`${PACKAGE}.Payload`),
      Metric: root.lookupType(`${PACKAGE}.Payload.Metric`),
    };
  }
  return schema;
}

/** The protobufjs Reader class (scan.ts walks the wire bytes with it). */
export const Reader = protobuf.Reader;

/** Encodes a wire-shaped payload object. */
export function encodeWirePayload(p: WirePayload): Uint8Array {
  return sparkplugSchema().Payload.encode(p).finish();
}

/** Decodes a whole Payload message (after scan.ts has vetted the bytes). */
export function decodeWirePayload(bytes: Uint8Array): WirePayload {
  return sparkplugSchema().Payload.decode(bytes) as unknown as WirePayload;
}

/**
 * A field that is really present. Decoded protobufjs messages expose defaults for absent
 * fields through their prototype (name '', alias Long 0, …); only own properties were on
 * the wire.
 */
export function own<T extends object, K extends keyof T>(o: T, k: K): T[K] | undefined {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

const U64_MAX = (1n << 64n) - 1n;

/** A uint64 for protobufjs: numbers pass through (exact while safe), bigints as bits. */
export function toU64(v: number | bigint): WireU64 {
  if (typeof v === 'number') return v;
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: true };
}

/** A uint64 as protobufjs read it → bigint in 0..2^64−1. */
export function fromU64(v: WireU64): bigint {
  if (typeof v === 'number') return BigInt.asUintN(64, BigInt(Math.trunc(v)));
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

/** A uint64 → number when exactly representable (≤ 2^53 − 1), else undefined. */
export function u64ToSafeNumber(v: WireU64): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  const high = v.high >>> 0;
  if (high >= 0x200000) return undefined;
  return high * 0x100000000 + (v.low >>> 0);
}

export const isU64 = (v: bigint): boolean => v >= 0n && v <= U64_MAX;
