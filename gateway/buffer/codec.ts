// On-disk layout of the store-and-forward queue. Pure functions: no LevelDB here.
//
// Keys (LevelDB sorts keys bytewise, so this order is the replay order):
//   data  'd' (0x64) + sequence as unsigned 64-bit big-endian   → one queued record
//   meta  'm' (0x6d)                                             → counters, JSON
// Data value (format 1):
//   [0]      format version (1)
//   [1..8]   sourceTime, float64 big-endian (ms since the Unix epoch)
//   [9..10]  topic length in bytes, uint16 big-endian
//   [11..]   topic (UTF-8), then the payload bytes

/** A record handed to the queue: opaque bytes plus what replay needs to route and age them. */
export interface QueueRecord {
  /** Where the record goes (an MQTT topic or any routing string); at most 65,535 UTF-8 bytes. */
  topic: string;
  payload: Uint8Array;
  /** Source timestamp in ms since the Unix epoch: the oldest sample in the payload. Drives the age bound. */
  sourceTime: number;
}

/** Identifies a queued record: a sequence number, strictly increasing in append order, never reused. */
export type QueueId = number;

/** A record read back from the queue. */
export interface QueueEntry extends QueueRecord {
  id: QueueId;
  /** Bytes this entry counts against `maxBytes` (key + header + topic + payload). */
  bytes: number;
}

export const KEY_LENGTH = 9;
export const VALUE_HEADER_LENGTH = 11;
const DATA_PREFIX = 0x64;
const FORMAT = 1;
const MAX_TOPIC_BYTES = 0xffff;
/** Largest sequence whose key still encodes exactly (2^53 - 1: ~5,700 years at 50,000 records/s). */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

export const META_KEY: Buffer = Buffer.from([0x6d]);
/** First and past-the-end keys of the data range. */
export const DATA_START: Buffer = dataKey(0);
export const DATA_END: Buffer = Buffer.from([DATA_PREFIX + 1]);

export function dataKey(seq: number): Buffer {
  const key = Buffer.allocUnsafe(KEY_LENGTH);
  writeKey(key, 0, seq);
  return key;
}

function writeKey(into: Buffer, at: number, seq: number): void {
  into[at] = DATA_PREFIX;
  into.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), at + 1);
  into.writeUInt32BE(seq >>> 0, at + 5);
}

export function seqOfKey(key: Uint8Array): number {
  if (key.length !== KEY_LENGTH || key[0] !== DATA_PREFIX) {
    throw new Error(`not a queue data key: ${Buffer.from(key).toString('hex')}`);
  }
  const view = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return view.readUInt32BE(1) * 0x1_0000_0000 + view.readUInt32BE(5);
}

/** Bytes a record will count against `maxBytes` once stored. */
export function storedSize(record: QueueRecord): number {
  return (
    KEY_LENGTH + VALUE_HEADER_LENGTH + Buffer.byteLength(record.topic, 'utf8') + record.payload.byteLength
  );
}

export interface EncodedRecord {
  key: Buffer;
  value: Buffer;
  /** key + value bytes. */
  bytes: number;
}

/**
 * Encodes records with consecutive sequences starting at `firstSeq`. All keys and values are views into
 * one allocation, so a 1,000-record batch costs one buffer, not 2,000.
 */
export function encodeRecords(records: readonly QueueRecord[], firstSeq: number): EncodedRecord[] {
  const topics = new Map<string, number>();
  let total = 0;
  for (const r of records) {
    let topicBytes = topics.get(r.topic);
    if (topicBytes === undefined) {
      topicBytes = Buffer.byteLength(r.topic, 'utf8');
      topics.set(r.topic, topicBytes);
    }
    total += KEY_LENGTH + VALUE_HEADER_LENGTH + topicBytes + r.payload.byteLength;
  }
  const pool = Buffer.allocUnsafe(total);
  const out: EncodedRecord[] = new Array<EncodedRecord>(records.length);
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as QueueRecord;
    const topicBytes = topics.get(r.topic) as number;
    writeKey(pool, at, firstSeq + i);
    const key = pool.subarray(at, at + KEY_LENGTH);
    at += KEY_LENGTH;
    const start = at;
    pool[at] = FORMAT;
    pool.writeDoubleBE(r.sourceTime, at + 1);
    pool.writeUInt16BE(topicBytes, at + 9);
    at += VALUE_HEADER_LENGTH;
    at += pool.write(r.topic, at, topicBytes, 'utf8');
    pool.set(r.payload, at);
    at += r.payload.byteLength;
    out[i] = { key, value: pool.subarray(start, at), bytes: KEY_LENGTH + at - start };
  }
  return out;
}

/** Throws on a record the queue cannot store faithfully; names the record's index in the batch. */
export function validateRecord(r: QueueRecord, index: number): void {
  if (typeof r.topic !== 'string' || Buffer.byteLength(r.topic, 'utf8') > MAX_TOPIC_BYTES) {
    throw new TypeError(`queue record ${index}: topic must be a string of at most ${MAX_TOPIC_BYTES} bytes`);
  }
  if (!(r.payload instanceof Uint8Array)) {
    throw new TypeError(`queue record ${index}: payload must be a Uint8Array`);
  }
  if (!Number.isFinite(r.sourceTime)) {
    throw new TypeError(
      `queue record ${index}: sourceTime must be a finite number of ms, got ${r.sourceTime}`,
    );
  }
}

/** Decodes a stored entry. The payload is a view into `value`, not a copy. */
export function decodeEntry(key: Buffer, value: Buffer): QueueEntry {
  return { id: seqOfKey(key), ...decodeValue(value), bytes: key.length + value.length };
}

export function decodeValue(value: Buffer): QueueRecord {
  if (value.length < VALUE_HEADER_LENGTH || value[0] !== FORMAT) {
    throw new Error(`queue entry has unknown format ${value[0]} (length ${value.length})`);
  }
  const topicEnd = VALUE_HEADER_LENGTH + value.readUInt16BE(9);
  return {
    topic: value.toString('utf8', VALUE_HEADER_LENGTH, topicEnd),
    payload: value.subarray(topicEnd),
    sourceTime: value.readDoubleBE(1),
  };
}

/** Source time of a stored value without decoding the rest. */
export function sourceTimeOf(value: Buffer): number {
  return value.readDoubleBE(1);
}

/** Counters persisted in the meta key, written in the same atomic LevelDB batch as every change. */
export interface Meta {
  /** Next sequence to assign. */
  nextSeq: number;
  /** No data key below this sequence exists (a lower bound of the head: iterators start here). */
  floor: number;
  entries: number;
  bytes: number;
  appended: number;
  acked: number;
  droppedEntries: number;
  droppedBytes: number;
  droppedByAge: number;
  droppedBySize: number;
}

const META_FIELDS = [
  'nextSeq',
  'floor',
  'entries',
  'bytes',
  'appended',
  'acked',
  'droppedEntries',
  'droppedBytes',
  'droppedByAge',
  'droppedBySize',
] as const satisfies readonly (keyof Meta)[];

export function emptyMeta(): Meta {
  return {
    nextSeq: 0,
    floor: 0,
    entries: 0,
    bytes: 0,
    appended: 0,
    acked: 0,
    droppedEntries: 0,
    droppedBytes: 0,
    droppedByAge: 0,
    droppedBySize: 0,
  };
}

export function encodeMeta(meta: Meta): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, ...meta }), 'utf8');
}

export function decodeMeta(value: Buffer): Meta {
  const parsed: unknown = JSON.parse(value.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || (parsed as { v?: unknown }).v !== 1) {
    throw new Error(`queue meta has an unknown format: ${value.toString('utf8').slice(0, 200)}`);
  }
  const meta = emptyMeta();
  for (const field of META_FIELDS) {
    const v = (parsed as Record<string, unknown>)[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new Error(`queue meta field ${field} is not a non-negative integer: ${String(v)}`);
    }
    meta[field] = v;
  }
  return meta;
}
