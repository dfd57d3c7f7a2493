/**
 * A pass over the wire bytes before anything is decoded: counts metrics (template members
 * included) and repeated elements, checks wire types and nesting depth, allocating nothing.
 *
 * Why: protobufjs materialises a whole message at once, so a limit checked after decoding
 * comes too late — one template metric holding 4 million empty members (8 MiB of `12 00`)
 * costs ~400 MB and 4 s to decode. Rejecting wire-type mismatches of known fields here is
 * what makes this pass agree with protobufjs' decoders, which trust the schema and would
 * otherwise read a mistyped field as a message this pass never saw.
 */
import protobuf from 'protobufjs';
import { SparkplugDecodeError } from './errors.ts';
import { Reader, sparkplugSchema } from './proto.ts';

export interface ScanLimits {
  maxMetrics: number;
  maxElements: number;
}

/** Nesting depth protobufjs' decoders accept (util.recursionLimit); deeper is rejected here. */
export const MAX_DEPTH = 100;

const WIRE_TYPE: Record<string, number> = {
  double: 1,
  fixed64: 1,
  sfixed64: 1,
  float: 5,
  fixed32: 5,
  sfixed32: 5,
  string: 2,
  bytes: 2,
};

/** Throws SparkplugDecodeError (or a protobufjs error on truncation) unless the bytes pass. */
export function scanPayload(bytes: Uint8Array, limits: ScanLimits): void {
  const { Payload, Metric } = sparkplugSchema();
  const r = Reader.create(bytes);
  let metrics = 0;
  let elements = 0;

  const tooMany = (what: string, max: number) =>
    new SparkplugDecodeError(`too many ${what} (more than ${max})`);
  const element = (n = 1) => {
    elements += n;
    if (elements > limits.maxElements) throw tooMany('elements', limits.maxElements);
  };

  const walk = (end: number, type: protobuf.Type, depth: number): void => {
    if (depth > MAX_DEPTH) throw new SparkplugDecodeError(`nesting deeper than ${MAX_DEPTH}`);
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.uint32();
      const id = tag >>> 3;
      const wire = tag & 7;
      if (id === 0) throw new SparkplugDecodeError(`field number 0 at offset ${at}`);
      const field = type.fieldsById[id];
      if (!field) {
        r.skipType(wire); // unknown field (or extension): skipped, as protobufjs does
        continue;
      }
      const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
      const want = sub ? 2 : (WIRE_TYPE[field.type] ?? 0);
      if (field.repeated && wire === 2 && want !== 2) {
        const length = r.uint32(); // a packed run of numbers: at least one byte each
        element(length);
        r.skip(length);
        continue;
      }
      if (wire !== want) {
        throw new SparkplugDecodeError(`${type.name}.${field.name} has wire type ${wire} at offset ${at}`);
      }
      if (field.repeated || sub) element();
      if (!sub) {
        r.skipType(wire);
        continue;
      }
      if (sub === Metric && ++metrics > limits.maxMetrics) throw tooMany('metrics', limits.maxMetrics);
      const length = r.uint32();
      walk(r.pos + length, sub, depth + 1);
    }
    if (r.pos !== end) throw new SparkplugDecodeError(`a ${type.name} overruns its container`);
  };
  walk(r.len, Payload, 0);
}
