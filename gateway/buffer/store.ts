// LevelDB access for the disk queue: scans from the head, atomic commits, recounting. No queue state here:
// DiskQueue owns the counters and calls these on its write chain.
import { type ClassicLevel } from 'classic-level';
import {
  DATA_END,
  META_KEY,
  type EncodedRecord,
  type Meta,
  type QueueEntry,
  dataKey,
  decodeEntry,
  emptyMeta,
  encodeMeta,
  seqOfKey,
  sourceTimeOf,
} from './codec.ts';

export type Db = ClassicLevel<Buffer, Buffer>;

/** The first stored entry: the next to replay and the first to drop. */
export interface Head {
  seq: number;
  sourceTime: number;
}

/** A run of consecutive stored entries from the head, read by one scan, to be deleted. */
export interface Run {
  keys: Buffer[];
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  oldest: number;
  newest: number;
  /** First entry after the run, or null if the run reached the end of the queue. */
  next: Head | null;
}

/** Entries per LevelDB batch when deleting from the head, so one drop or ack never builds a huge batch. */
export const CHUNK = 5_000;

export function startRun(seq: number, sourceTime: number): Run {
  return {
    keys: [],
    bytes: 0,
    firstSeq: seq,
    lastSeq: seq,
    oldest: sourceTime,
    newest: sourceTime,
    next: null,
  };
}

export function extendRun(run: Run, key: Buffer, seq: number, sourceTime: number, bytes: number): void {
  run.keys.push(key);
  run.bytes += bytes;
  run.lastSeq = seq;
  run.oldest = Math.min(run.oldest, sourceTime);
  run.newest = Math.max(run.newest, sourceTime);
}

export interface TakeOptions {
  /** Entries are below this sequence: no key under it exists, so the scan starts there. */
  floor: number;
  /** The run ends before the first entry for which this holds. */
  stop?: (seq: number, value: Buffer, bytesSoFar: number) => boolean;
  /** The run ends after this sequence (inclusive). */
  upTo?: number;
  /** A guess of the run's length, so a short run does not read 1,000 entries. */
  expected?: number;
}

/**
 * Reads a run of at most CHUNK entries from the head. Returns null if the queue is empty or the head entry
 * stays. The scan starts at `floor`, never at key 0: the deleted keys below the head are LevelDB tombstones
 * until compaction, and walking over them would make every scan slower the longer the queue has run.
 */
export async function takeFromHead(
  db: Db,
  { floor, stop, upTo, expected = 64 }: TakeOptions,
): Promise<Run | null> {
  const it = db.iterator({
    gte: dataKey(floor),
    ...(upTo === undefined ? { lt: DATA_END } : { lte: dataKey(upTo) }),
    highWaterMarkBytes: 1 << 20,
  });
  let run: Run | null = null;
  // One more than expected: the entry after the run is the new head.
  let want = Math.min(Math.max(Math.ceil(expected), 1) + 1, 1_000);
  try {
    for (;;) {
      const chunk = await it.nextv(Math.min(CHUNK + 1 - (run?.keys.length ?? 0), want));
      want = 1_000;
      if (chunk.length === 0) break;
      for (const [key, value] of chunk) {
        const seq = seqOfKey(key);
        const time = sourceTimeOf(value);
        if (run?.keys.length === CHUNK || stop?.(seq, value, run?.bytes ?? 0) === true) {
          if (run !== null) run.next = { seq, sourceTime: time };
          return run;
        }
        run ??= startRun(seq, time);
        extendRun(run, key, seq, time, key.length + value.length);
      }
    }
  } finally {
    await it.close();
  }
  // The run reached the end of the range: the new head, if any, lies past `upTo`.
  if (run !== null && upTo !== undefined) run.next = await firstFrom(db, upTo + 1);
  return run;
}

/**
 * Up to `max` entries from sequence `from` on, oldest first, their total size capped by `maxBytes` (but at
 * least one entry if any is stored). Reads from the iterator's snapshot, beside the write chain.
 */
export async function readPage(db: Db, from: number, max: number, maxBytes: number): Promise<QueueEntry[]> {
  const it = db.iterator({
    gte: dataKey(from),
    lt: DATA_END,
    limit: max,
    highWaterMarkBytes: Math.min(Math.max(Number.isFinite(maxBytes) ? maxBytes : 0, 1 << 16), 4 << 20),
  });
  const out: QueueEntry[] = [];
  let bytes = 0;
  try {
    while (out.length < max) {
      const chunk = await it.nextv(Math.min(max - out.length, 1_000));
      if (chunk.length === 0) break;
      for (const [key, value] of chunk) {
        const size = key.length + value.length;
        if (out.length > 0 && bytes + size > maxBytes) return out;
        out.push(decodeEntry(key, value));
        bytes += size;
      }
    }
    return out;
  } finally {
    await it.close();
  }
}

/** The first stored entry with a sequence ≥ `seq`. */
export async function firstFrom(db: Db, seq: number): Promise<Head | null> {
  const [first] = await db.iterator({ gte: dataKey(seq), lt: DATA_END, limit: 1 }).all();
  return first === undefined ? null : { seq: seqOfKey(first[0]), sourceTime: sourceTimeOf(first[1]) };
}

/**
 * Writes deletions, records and the new counters as one atomic LevelDB batch. A chained batch, not an
 * array: abstract-level 3 copies its options into every operation of an array batch, which made a
 * 1,000-record append with `{ sync }` 2-3 times slower (measured: ~80k vs ~300k records/s).
 */
export async function commit(
  db: Db,
  {
    dels = [],
    puts = [],
    meta,
    sync,
  }: { dels?: readonly Buffer[]; puts?: readonly EncodedRecord[]; meta: Meta; sync: boolean },
): Promise<void> {
  const batch = db.batch();
  try {
    for (const key of dels) batch.del(key);
    for (const e of puts) batch.put(e.key, e.value);
    batch.put(META_KEY, encodeMeta(meta));
  } catch (err) {
    await batch.close();
    throw err;
  }
  await batch.write(sync ? { sync: true } : {});
}

/**
 * Rebuilds the counters by scanning every entry: for a database without a meta key. Lifetime counters
 * (acked, dropped) are unknown then and start at 0; appended restarts as the number of stored entries.
 */
export async function recount(db: Db): Promise<Meta> {
  const meta = emptyMeta();
  let first = true;
  for await (const [key, value] of db.iterator({ gte: dataKey(0), lt: DATA_END })) {
    const seq = seqOfKey(key);
    if (first) meta.floor = seq;
    first = false;
    meta.entries += 1;
    meta.bytes += key.length + value.length;
    meta.appended += 1;
    meta.nextSeq = seq + 1;
  }
  if (first) meta.floor = meta.nextSeq;
  return meta;
}
