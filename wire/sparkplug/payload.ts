/**
 * Sparkplug B payloads ⇄ bytes (spec 3.0 §6.4). The gateway encodes, the cloud decodes;
 * both sides share this code so they agree by construction, and the interop tests check it
 * against a schema built independently with protobufjs reflection.
 *
 * decodePayload never throws anything but SparkplugDecodeError, whatever the bytes.
 */
import { decodeFlatPayload } from './data-decoder.ts';
import { SparkplugDecodeError } from './errors.ts';
import { decodeMetric, encodeMetric, safeU64, u64Field, type Metric } from './metric.ts';
import { decodeWirePayload, encodeWirePayload, fromU64, own, type WirePayload } from './proto.ts';
import { scanPayload } from './scan.ts';

export interface Payload {
  /** Milliseconds since the epoch, UTC: when the message was sent. */
  timestamp?: number;
  /** 0–255; absent only in NDEATH. */
  seq?: number;
  metrics: Metric[];
  uuid?: string;
  body?: Uint8Array;
}

export interface EncodeOptions {
  /**
   * Keep metric datatypes off the wire, as DATA and CMD messages should (spec: datatype
   * SHOULD NOT be included there). Metrics still need a datatype to pick the value field.
   */
  omitDatatypes?: boolean;
}

export interface DecodeLimits {
  /** Reject larger inputs before parsing. Default 8 MiB. */
  maxBytes?: number;
  /** Reject payloads with more metrics, template members included. Default 100,000. */
  maxMetrics?: number;
  /**
   * Reject payloads with more nested messages and repeated values of any kind (metrics,
   * property values, data set rows and cells, …). Default 1,000,000: bounds what a
   * payload can make the decoder allocate (~100 B each).
   */
  maxElements?: number;
}

export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_METRICS = 100_000;
export const DEFAULT_MAX_ELEMENTS = 1_000_000;

const label = (m: Pick<Metric, 'name' | 'alias'>): string =>
  m.name !== undefined ? ` "${m.name}"` : m.alias !== undefined ? ` (alias ${m.alias})` : '';

/**
 * Payload → protobuf bytes. Throws TypeError (a value of the wrong type for its datatype, a
 * value without a datatype) or RangeError (an integer outside its datatype, a negative or
 * unsafe timestamp), naming the metric; values are never wrapped, saturated or zeroed.
 */
export function encodePayload(p: Payload, options: EncodeOptions = {}): Uint8Array {
  const omit = options.omitDatatypes ?? false;
  const w: WirePayload = {
    metrics: p.metrics.map((m, i) => {
      try {
        return encodeMetric(m, omit);
      } catch (e) {
        if (e instanceof RangeError)
          throw new RangeError(`metric ${i}${label(m)}: ${e.message}`, { cause: e });
        if (e instanceof TypeError) throw new TypeError(`metric ${i}${label(m)}: ${e.message}`, { cause: e });
        throw e;
      }
    }),
  };
  if (p.timestamp !== undefined) w.timestamp = u64Field(p.timestamp, 'payload timestamp');
  if (p.seq !== undefined) w.seq = u64Field(p.seq, 'seq');
  if (p.uuid !== undefined) w.uuid = p.uuid;
  if (p.body !== undefined) w.body = p.body;
  return encodeWirePayload(w);
}

/**
 * Protobuf bytes → Payload. Metrics with a datatype get values in its JS type (see
 * coerceScalar); metrics without one (DATA with aliases) keep the raw value of the field
 * that was set, for coerceValue with the datatype learned from BIRTH. seq, timestamps and
 * (when ≤ 2^53 − 1) aliases are numbers.
 *
 * Throws SparkplugDecodeError — and only that — for input that is too large, has too many
 * metrics or elements, is not a well-formed Sparkplug B protobuf, or holds a value its
 * datatype forbids. The limits are checked on the wire bytes before anything is built.
 *
 * Flat payloads (DATA, births of scalar metrics) are read straight from the bytes
 * (data-decoder.ts); everything else, and anything that reader is not sure of, takes the
 * general path (scan.ts, then protobufjs) — with the same result or the same error.
 */
export function decodePayload(bytes: Uint8Array, limits: DecodeLimits = {}): Payload {
  return decode(bytes, limits, true);
}

/** decodePayload without the flat-payload reader (data-decoder.ts): what the tests compare it with. */
export function decodePayloadGeneral(bytes: Uint8Array, limits: DecodeLimits = {}): Payload {
  return decode(bytes, limits, false);
}

function decode(bytes: Uint8Array, limits: DecodeLimits, flat: boolean): Payload {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(bytes instanceof Uint8Array)) throw new SparkplugDecodeError('payload is not a byte array');
  if (bytes.length > maxBytes) {
    throw new SparkplugDecodeError(`payload too large (${bytes.length} > ${maxBytes} bytes)`);
  }
  const maxMetrics = limits.maxMetrics ?? DEFAULT_MAX_METRICS;
  const maxElements = limits.maxElements ?? DEFAULT_MAX_ELEMENTS;
  // DATA (and most births) take the direct reader; anything it does not take, the general path.
  const p = flat ? decodeFlatPayload(bytes, Math.min(maxMetrics, maxElements)) : undefined;
  if (p) return p;
  try {
    scanPayload(bytes, { maxMetrics, maxElements });
    return fromWire(decodeWirePayload(bytes));
  } catch (e) {
    if (e instanceof SparkplugDecodeError) throw e;
    // protobufjs throws RangeError (truncated input), Error (invalid wire type), …
    const why = e instanceof Error ? e.message : String(e);
    throw new SparkplugDecodeError(`malformed protobuf: ${why}`, { cause: e });
  }
}

function fromWire(w: WirePayload): Payload {
  const p: Payload = {
    metrics: (w.metrics ?? []).map((wm, i) => {
      try {
        return decodeMetric(wm);
      } catch (e) {
        if (!(e instanceof SparkplugDecodeError)) throw e;
        const alias = own(wm, 'alias');
        const where = label({
          name: own(wm, 'name'),
          alias: alias === undefined ? undefined : fromU64(alias),
        });
        throw new SparkplugDecodeError(`metric ${i}${where}: ${e.reason}`, { cause: e });
      }
    }),
  };
  const timestamp = own(w, 'timestamp');
  if (timestamp !== undefined) p.timestamp = safeU64(timestamp, 'payload timestamp');
  const seq = own(w, 'seq');
  if (seq !== undefined) p.seq = safeU64(seq, 'seq');
  const uuid = own(w, 'uuid');
  if (uuid !== undefined) p.uuid = uuid;
  const body = own(w, 'body');
  if (body !== undefined) p.body = Uint8Array.from(body);
  return p;
}
