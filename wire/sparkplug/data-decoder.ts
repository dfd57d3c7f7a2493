/**
 * Flat payloads (what DATA and most BIRTH messages are: a timestamp, a seq and metrics of name,
 * alias, timestamp, datatype, flags and one scalar value) read straight from the protobuf bytes
 * into Payload/Metric objects — the same objects decodePayload's general path returns for them
 * (data-decoder.test.ts compares both on random and on damaged input).
 *
 * Why hand-written: the general path walks the bytes twice (scan.ts for the limits, then
 * protobufjs), builds a protobufjs message per metric with a `Long` per 64-bit field, and then
 * copies each field out of it (payload.ts, metric.ts): ~400 ns a metric, a tenth of the cloud's
 * ingest CPU. protobufjs has no decoder into caller-shaped objects, so this reads the few fields a
 * flat metric uses with protobufjs's own Reader (its varints, floats and UTF-8, so values come
 * out the same), 64-bit varints by hand (no `Long`).
 *
 * Anything else — properties, metadata, data sets, templates, bytes, uuid/body, unknown fields,
 * a field with an unexpected wire type, two value fields, a 64-bit value beyond 2^53 where a
 * number is due, a value its datatype refuses, a varint protobufjs would read differently,
 * truncation, more metrics than the limits allow — returns undefined before more is built: the
 * caller then takes the general path, which decodes it or throws the error that names it.
 */
import { coerceValue, type Metric } from './metric.ts';
import type { Payload } from './payload.ts';
import { Reader } from './proto.ts';

// Wire tags: (field number << 3) | wire type.
const PAYLOAD_TIMESTAMP = 0x08; // 1, varint
const PAYLOAD_METRIC = 0x12; // 2, length-delimited
const PAYLOAD_SEQ = 0x18; // 3, varint
const NAME = 0x0a; // Metric 1, length-delimited
const ALIAS = 0x10; // 2, varint
const TIMESTAMP = 0x18; // 3, varint
const DATATYPE = 0x20; // 4, varint
const IS_HISTORICAL = 0x28; // 5, varint
const IS_TRANSIENT = 0x30; // 6, varint
const IS_NULL = 0x38; // 7, varint
const INT_VALUE = 0x50; // 10, varint
const LONG_VALUE = 0x58; // 11, varint
const FLOAT_VALUE = 0x65; // 12, fixed32
const DOUBLE_VALUE = 0x69; // 13, fixed64
const BOOLEAN_VALUE = 0x70; // 14, varint
const STRING_VALUE = 0x7a; // 15, length-delimited

type ProtoReader = InstanceType<typeof Reader>;

/** Not a flat payload, or not one this reader is sure to read as the general path does. */
class NotFlat extends Error {}
const NOT_FLAT = new NotFlat();

// The halves of the last 64-bit varint read (unsigned 32-bit each): no object per read.
let lo = 0;
let hi = 0;

/**
 * A uint64 varint into lo/hi, with protobufjs's arithmetic (the 10th byte keeps its lowest bit).
 * A varint that does not end within 10 bytes and the buffer is NotFlat: protobufjs throws for the
 * first and reads some of the second differently (it stops after 4 bytes near the buffer's end).
 */
function varint64(r: ProtoReader): void {
  const buf = r.buf;
  let pos = r.pos;
  let l = 0;
  let h = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= r.len) throw NOT_FLAT;
    const b = buf[pos++] as number;
    if (i < 4) l |= (b & 127) << (7 * i);
    else if (i === 4) {
      l |= (b & 127) << 28;
      h |= (b & 127) >> 4;
    } else h |= (b & 127) << (7 * (i - 5) + 3);
    if (b < 128) {
      r.pos = pos;
      lo = l >>> 0;
      hi = h >>> 0;
      return;
    }
  }
  throw NOT_FLAT;
}

/**
 * Guards a 32-bit varint read (a tag, a length, uint32, bool) before protobufjs reads it: protobufjs
 * reads at most 5 bytes and, when the 5th continues, skips 5 more without looking, so a longer
 * varint would put this reader somewhere else than the general path's walk. Such varints, and
 * values ≥ 2^32, are NotFlat (found by data-decoder.test.ts: an 8-byte is_historical).
 */
function short32(r: ProtoReader): ProtoReader {
  const buf = r.buf;
  let pos = r.pos;
  for (let i = 0; i < 5; i++) {
    if (pos >= r.len) throw NOT_FLAT;
    const b = buf[pos++] as number;
    if (b < 128) {
      if (i === 4 && b > 15) throw NOT_FLAT;
      return r;
    }
  }
  throw NOT_FLAT;
}

/** The last varint64 as a number when ≤ 2^53 − 1. */
const safe = (): number | undefined => (hi < 0x200000 ? hi * 0x100000000 + lo : undefined);
const big = (): bigint => (BigInt(hi) << 32n) | BigInt(lo);

function metric(r: ProtoReader, end: number): Metric {
  let name: string | undefined;
  let alias: number | bigint | undefined;
  let timestamp: number | undefined;
  let datatype: number | undefined;
  let isHistorical: boolean | undefined;
  let isTransient: boolean | undefined;
  let isNull: boolean | undefined;
  let valueTag = 0;
  let raw: number | bigint | boolean | string | undefined;
  while (r.pos < end) {
    const tag = short32(r).uint32();
    if (valueTag !== 0 && tag !== valueTag && tag >= INT_VALUE && tag <= STRING_VALUE) throw NOT_FLAT;
    switch (tag) {
      case NAME:
        name = short32(r).string();
        break;
      case ALIAS:
        varint64(r);
        alias = safe() ?? big();
        break;
      case TIMESTAMP:
        varint64(r);
        timestamp = safe();
        if (timestamp === undefined) throw NOT_FLAT;
        break;
      case DATATYPE:
        datatype = short32(r).uint32();
        break;
      case IS_HISTORICAL:
        isHistorical = short32(r).bool();
        break;
      case IS_TRANSIENT:
        isTransient = short32(r).bool();
        break;
      case IS_NULL:
        isNull = short32(r).bool();
        break;
      case INT_VALUE:
        raw = short32(r).uint32();
        valueTag = tag;
        break;
      case LONG_VALUE:
        varint64(r);
        raw = big();
        valueTag = tag;
        break;
      case FLOAT_VALUE:
        raw = r.float();
        valueTag = tag;
        break;
      case DOUBLE_VALUE:
        raw = r.double();
        valueTag = tag;
        break;
      case BOOLEAN_VALUE:
        raw = short32(r).bool();
        valueTag = tag;
        break;
      case STRING_VALUE:
        raw = short32(r).string();
        valueTag = tag;
        break;
      default:
        throw NOT_FLAT;
    }
  }
  if (r.pos !== end) throw NOT_FLAT; // a field ran past the metric
  // The general path's fields, in its order (metric.ts decodeMetric).
  const m: Metric = {};
  if (name !== undefined) m.name = name;
  if (alias !== undefined) m.alias = alias;
  if (timestamp !== undefined) m.timestamp = timestamp;
  if (datatype !== undefined) m.datatype = datatype;
  if (isHistorical !== undefined) m.isHistorical = isHistorical;
  if (isTransient !== undefined) m.isTransient = isTransient;
  if (isNull !== undefined) m.isNull = isNull;
  if (isNull === true) m.value = null;
  else if (raw !== undefined) {
    // With a datatype, its JS type; a value it refuses (SparkplugDecodeError) is the general path's to report.
    if (datatype === undefined) m.value = raw;
    else {
      try {
        m.value = coerceValue({ value: raw }, datatype);
      } catch {
        throw NOT_FLAT;
      }
    }
  }
  return m;
}

/**
 * A flat payload read straight from its bytes, or undefined when it is not one (or not surely
 * read as decodePayload's general path reads it): then decode it with the general path.
 * `maxMetrics` is the lower of decodePayload's metric and element limits (in a flat payload,
 * each metric is one element).
 */
export function decodeFlatPayload(bytes: Uint8Array, maxMetrics: number): Payload | undefined {
  try {
    const r = Reader.create(bytes);
    const metrics: Metric[] = [];
    let timestamp: number | undefined;
    let seq: number | undefined;
    while (r.pos < r.len) {
      const tag = short32(r).uint32();
      if (tag === PAYLOAD_METRIC) {
        if (metrics.length >= maxMetrics) return undefined;
        const length = short32(r).uint32();
        metrics.push(metric(r, r.pos + length));
      } else if (tag === PAYLOAD_TIMESTAMP || tag === PAYLOAD_SEQ) {
        varint64(r);
        const n = safe();
        if (n === undefined) return undefined;
        if (tag === PAYLOAD_TIMESTAMP) timestamp = n;
        else seq = n;
      } else return undefined;
    }
    if (r.pos !== r.len) return undefined;
    const p: Payload = { metrics };
    if (timestamp !== undefined) p.timestamp = timestamp;
    if (seq !== undefined) p.seq = seq;
    return p;
  } catch {
    // NotFlat, or protobufjs running out of bytes: the general path decides (and names the error).
    return undefined;
  }
}
