/**
 * DATA payloads (an edge node's DDATA/NDATA with aliases) written straight to protobuf bytes,
 * metric by metric from plain values, byte for byte what
 * `encodePayload({ timestamp, metrics, seq }, { omitDatatypes: true })` writes for metrics of
 * `{ alias, timestamp, datatype, value }` (payload.data.test.ts checks it on random input).
 *
 * Why hand-written: the general path builds a Metric object, a wire object and a value object per
 * metric and hands them to protobufjs's reflection encoder (~45 µs for a 90-metric DDATA); a
 * gateway does that for every point it forwards. protobufjs offers no encoder that works from
 * columns of values, so this writes the few fields a live DATA metric uses (alias, timestamp, the
 * value field of its datatype or is_null) with the standard varint and little-endian layouts.
 * Anything else — a value of the wrong type or out of its datatype's range, a lone surrogate in a
 * string, bytes, data sets — is refused (`add` returns false, nothing appended): the caller then
 * uses encodePayload, which writes it or throws the error naming the metric.
 */
import { SparkplugType as T } from './datatypes.ts';
import { INT32_BOUNDS, INT64_BOUNDS } from './values.ts';

// Wire tags: (field number << 3) | wire type.
const PAYLOAD_TIMESTAMP = 0x08; // 1, varint
const PAYLOAD_METRIC = 0x12; // 2, length-delimited
const PAYLOAD_SEQ = 0x18; // 3, varint
const ALIAS = 0x10; // Metric 2, varint
const TIMESTAMP = 0x18; // Metric 3, varint
const IS_NULL = 0x38; // Metric 7, varint
const INT_VALUE = 0x50; // Metric 10, varint
const LONG_VALUE = 0x58; // Metric 11, varint
const FLOAT_VALUE = 0x65; // Metric 12, fixed32
const DOUBLE_VALUE = 0x69; // Metric 13, fixed64
const BOOLEAN_VALUE = 0x70; // Metric 14, varint
const STRING_VALUE = 0x7a; // Metric 15, length-delimited

const SURROGATE = /[\uD800-\uDFFF]/;

// Floats through typed arrays, as protobufjs writes them (NaN payloads included).
const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes of a varint for a non-negative safe integer. */
function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  if (v < 2 ** 35) return 5;
  if (v < 2 ** 42) return 6;
  if (v < 2 ** 49) return 7;
  return 8; // < 2^53 (2^56 would need 9)
}

/** Bytes of a varint for a 64-bit value given as unsigned 32-bit halves. */
function varint64Size(lo: number, hi: number): number {
  const bits = hi !== 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(lo);
  return Math.max(1, Math.ceil(bits / 7));
}

const isU64Number = (v: number): boolean => Number.isSafeInteger(v) && v >= 0;

/** Reusable: `begin()`, `add()` per metric, `finish()` → a payload's bytes. */
export class DataEncoder {
  #buf = Buffer.allocUnsafe(4096);
  #pos = 0;
  /** The value of the metric being added, split for `add`'s second pass. */
  #lo = 0;
  #hi = 0;

  /** Starts a payload (forgets any metrics added since the last `finish`). */
  begin(): void {
    this.#pos = 0;
  }

  /**
   * Appends a metric: alias, source time, and the value in the JS type its datatype needs (bigint for
   * 64-bit integers; null → is_null). Returns false, appending nothing, for what only encodePayload
   * writes (or rejects).
   */
  add(alias: number, timestamp: number, datatype: number, value: unknown): boolean {
    if (!isU64Number(alias) || !isU64Number(timestamp)) return false;
    let valueSize: number;
    let kind: number;
    if (value === null) {
      kind = IS_NULL;
      valueSize = 2;
    } else {
      const b32 = INT32_BOUNDS[datatype];
      const b64 = INT64_BOUNDS[datatype];
      if (b32) {
        const n = typeof value === 'bigint' ? Number(value) : value;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < b32[0] || n > b32[1]) return false;
        kind = INT_VALUE;
        this.#lo = n >>> 0;
        valueSize = 1 + varintSize(this.#lo);
      } else if (b64) {
        let b: bigint;
        if (typeof value === 'bigint') b = value;
        else if (typeof value === 'number' && Number.isInteger(value)) b = BigInt(value);
        else return false;
        if (b < b64[0] || b > b64[1]) return false;
        const u = BigInt.asUintN(64, b);
        kind = LONG_VALUE;
        this.#lo = Number(u & 0xffffffffn);
        this.#hi = Number(u >> 32n);
        valueSize = 1 + varint64Size(this.#lo, this.#hi);
      } else if (datatype === T.Float || datatype === T.Double) {
        if (typeof value !== 'number') return false;
        kind = datatype === T.Float ? FLOAT_VALUE : DOUBLE_VALUE;
        if (datatype === T.Float) f32[0] = value;
        else f64[0] = value;
        valueSize = datatype === T.Float ? 5 : 9;
      } else if (datatype === T.Boolean) {
        if (typeof value !== 'boolean') return false;
        kind = BOOLEAN_VALUE;
        this.#lo = value ? 1 : 0;
        valueSize = 2;
      } else if (datatype === T.String || datatype === T.Text || datatype === T.UUID) {
        if (typeof value !== 'string' || SURROGATE.test(value)) return false;
        kind = STRING_VALUE;
        this.#lo = Buffer.byteLength(value);
        valueSize = 1 + varintSize(this.#lo) + this.#lo;
      } else return false;
    }
    const size = 1 + varintSize(alias) + 1 + varintSize(timestamp) + valueSize;
    this.#reserve(1 + varintSize(size) + size);
    this.#byte(PAYLOAD_METRIC);
    this.#varint(size);
    this.#byte(ALIAS);
    this.#varint(alias);
    this.#byte(TIMESTAMP);
    this.#varint(timestamp);
    this.#byte(kind);
    switch (kind) {
      case IS_NULL:
        this.#byte(1);
        break;
      case INT_VALUE:
      case BOOLEAN_VALUE:
        this.#varint(this.#lo);
        break;
      case LONG_VALUE:
        this.#varint64(this.#lo, this.#hi);
        break;
      case FLOAT_VALUE:
        this.#fixed(f32Bytes);
        break;
      case DOUBLE_VALUE:
        this.#fixed(f64Bytes);
        break;
      case STRING_VALUE:
        this.#varint(this.#lo);
        this.#pos += this.#buf.write(value as string, this.#pos, 'utf8');
        break;
    }
    return true;
  }

  /** The payload — timestamp, the metrics added since `begin()`, seq — as a fresh Buffer. */
  finish(timestamp: number, seq: number): Buffer {
    if (!isU64Number(timestamp) || !isU64Number(seq)) {
      throw new RangeError(`payload timestamp and seq must be integers in 0..2^53−1`);
    }
    const metrics = this.#pos;
    const head = 1 + varintSize(timestamp);
    const out = Buffer.allocUnsafe(head + metrics + 1 + varintSize(seq));
    let p = 0;
    out[p++] = PAYLOAD_TIMESTAMP;
    p = writeVarint(out, p, timestamp);
    p += this.#buf.copy(out, p, 0, metrics);
    out[p++] = PAYLOAD_SEQ;
    writeVarint(out, p, seq);
    this.#pos = 0;
    return out;
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(bigger, 0, 0, this.#pos);
    this.#buf = bigger;
  }

  #byte(b: number): void {
    this.#buf[this.#pos++] = b;
  }

  #varint(v: number): void {
    this.#pos = writeVarint(this.#buf, this.#pos, v);
  }

  /** protobufjs's writeVarint64: 7 bits at a time from the low half, then across, then the high. */
  #varint64(lo: number, hi: number): void {
    const buf = this.#buf;
    let p = this.#pos;
    while (hi) {
      buf[p++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      buf[p++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    buf[p++] = lo;
    this.#pos = p;
  }

  #fixed(bytes: Uint8Array): void {
    const buf = this.#buf;
    const n = bytes.length;
    for (let i = 0; i < n; i++) buf[this.#pos++] = bytes[LITTLE_ENDIAN ? i : n - 1 - i] ?? 0;
  }
}

function writeVarint(buf: Uint8Array, p: number, v: number): number {
  // Above 2^31 bit operations would wrap: peel 7 bits at a time arithmetically until they do not.
  while (v >= 0x80000000) {
    buf[p++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  while (v >= 128) {
    buf[p++] = (v & 127) | 128;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}
