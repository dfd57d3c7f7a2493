// The disk queue's counter arithmetic, pure: what the meta key says after an append or a deletion, and
// how an append larger than the size bound is trimmed. DiskQueue commits the results; nothing here does I/O.
import { type EncodedRecord, type Meta, seqOfKey, sourceTimeOf } from './codec.ts';
import { type Run, extendRun, startRun } from './store.ts';
import { type DropInfo } from './types.ts';

export type DeleteReason = 'ack' | 'age' | 'size';

/** An append after the size bound: the records to store from `keepFrom` on, and the oldest ones dropped. */
export interface TrimmedBatch {
  keepFrom: number;
  /** Bytes of the records kept. */
  bytes: number;
  dropped: Run | null;
}

/** Bytes a batch of encoded records counts against maxBytes. */
export function batchBytes(encoded: readonly EncodedRecord[]): number {
  let bytes = 0;
  for (const e of encoded) bytes += e.bytes;
  return bytes;
}

/** A batch larger than the bound on its own loses its oldest records. */
export function trimBatch(encoded: readonly EncodedRecord[], maxBytes: number): TrimmedBatch {
  let bytes = batchBytes(encoded);
  let keepFrom = 0;
  let dropped: Run | null = null;
  while (bytes > maxBytes && keepFrom < encoded.length) {
    const e = encoded[keepFrom++] as EncodedRecord;
    const seq = seqOfKey(e.key);
    const time = sourceTimeOf(e.value);
    dropped ??= startRun(seq, time);
    extendRun(dropped, e.key, seq, time, e.bytes);
    bytes -= e.bytes;
  }
  return { keepFrom, bytes, dropped };
}

/** Counters after appending a (trimmed) batch; `floor` is left to the caller, who knows the head. */
export function afterAppend(meta: Meta, encoded: readonly EncodedRecord[], trimmed: TrimmedBatch): Meta {
  const next = { ...meta };
  next.nextSeq = seqOfKey((encoded[encoded.length - 1] as EncodedRecord).key) + 1;
  next.appended += encoded.length;
  next.entries += encoded.length - trimmed.keepFrom;
  next.bytes += trimmed.bytes;
  const dropped = trimmed.dropped;
  if (dropped !== null) {
    next.droppedEntries += dropped.keys.length;
    next.droppedBySize += dropped.keys.length;
    next.droppedBytes += dropped.bytes;
  }
  return next;
}

/** Counters after deleting a run taken from the head. */
export function afterDelete(meta: Meta, run: Run, why: DeleteReason): Meta {
  const next = { ...meta };
  const n = run.keys.length;
  next.entries -= n;
  next.bytes -= run.bytes;
  if (why === 'ack') {
    next.acked += n;
  } else {
    next.droppedEntries += n;
    next.droppedBytes += run.bytes;
    if (why === 'age') next.droppedByAge += n;
    else next.droppedBySize += n;
  }
  next.floor = run.next?.seq ?? next.nextSeq;
  return next;
}

/** Counters after acknowledging `count` entries of `bytes` anywhere in the queue. */
export function afterAck(meta: Meta, count: number, bytes: number): Meta {
  return { ...meta, entries: meta.entries - count, bytes: meta.bytes - bytes, acked: meta.acked + count };
}

export function dropInfo(reason: 'age' | 'size', run: Run): DropInfo {
  return {
    reason,
    entries: run.keys.length,
    bytes: run.bytes,
    firstId: run.firstSeq,
    lastId: run.lastSeq,
    oldestSourceTime: run.oldest,
    newestSourceTime: run.newest,
  };
}
