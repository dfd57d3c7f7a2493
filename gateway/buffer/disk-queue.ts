// Store-and-forward queue of the edge gateway: records that could not be delivered go to LevelDB
// (classic-level) and are replayed oldest first. README.md beside this file says how a publisher uses it.
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import {
  DATA_END,
  KEY_LENGTH,
  META_KEY,
  type EncodedRecord,
  type Meta,
  type QueueEntry,
  type QueueId,
  type QueueRecord,
  dataKey,
  decodeMeta,
  emptyMeta,
  encodeMeta,
  encodeRecords,
  seqOfKey,
  sourceTimeOf,
  validateRecord,
} from './codec.ts';
import {
  type DeleteReason,
  afterAck,
  afterAppend,
  afterDelete,
  batchBytes,
  dropInfo,
  trimBatch,
} from './ledger.ts';
import { type Db, type Head, type Run, commit, firstFrom, readPage, recount, takeFromHead } from './store.ts';
import { type DiskQueueOptions, type QueueStats } from './types.ts';

export type { QueueEntry, QueueId, QueueRecord } from './codec.ts';
export { storedSize } from './codec.ts';
export type { DiskQueueOptions, DropInfo, QueueStats } from './types.ts';

interface PendingAppend {
  encoded: EncodedRecord[];
  resolve: () => void;
  reject: (err: Error) => void;
}

const noop = (): void => undefined;

/**
 * A bounded FIFO of records on disk. Lifecycle: the constructor stores options, open() opens LevelDB and
 * starts two timers (fsync, age expiry), close() finishes queued writes, fsyncs and releases everything.
 * Every mutation (append, ack, drop, fsync) runs on one promise chain, in call order; peek() reads beside it
 * from a LevelDB snapshot.
 */
export class DiskQueue {
  private readonly opts: DiskQueueOptions;
  private db: Db | undefined;
  private state: 'new' | 'opening' | 'open' | 'closing' | 'closed' = 'new';
  /** Committed state: what the meta key on disk says once the last batch landed. */
  private meta: Meta = emptyMeta();
  private head: Head | null = null;
  /** Next sequence handed out by append(); ≥ meta.nextSeq (ahead while appends are in flight). */
  private assignSeq = 0;
  private tail: Promise<void> = Promise.resolve();
  private pending: PendingAppend[] = [];
  private appendScheduled = false;
  /** Writes since the last fsync. */
  private dirty = false;
  private readonly reads = new Set<Promise<unknown>>();
  private timers: NodeJS.Timeout[] = [];

  constructor(options: DiskQueueOptions) {
    this.opts = options;
  }

  /** Opens (or creates) the database, loads the counters and enforces the age bound once. */
  async open(): Promise<void> {
    if (this.state !== 'new' && this.state !== 'closed') throw new Error(`disk queue is ${this.state}`);
    const { dir, maxBytes, maxAgeMs, syncIntervalMs = 1_000 } = this.opts;
    if (!(maxBytes > 0) || !(maxAgeMs > 0) || !(syncIntervalMs >= 0)) {
      throw new RangeError(
        `disk queue ${dir}: need maxBytes > 0 (got ${maxBytes}), maxAgeMs > 0 (got ${maxAgeMs}), ` +
          `syncIntervalMs >= 0 (got ${syncIntervalMs})`,
      );
    }
    this.state = 'opening';
    try {
      await mkdir(dir, { recursive: true });
      const db: Db = new ClassicLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      await db.open();
      this.db = db;
      const stored = await db.get(META_KEY);
      this.meta = stored === undefined ? await recount(db) : decodeMeta(stored);
      const keys = db.keys({ gte: dataKey(this.meta.floor), lt: DATA_END, reverse: true, limit: 1 });
      const [last] = await keys.all();
      if (last !== undefined) this.meta.nextSeq = Math.max(this.meta.nextSeq, seqOfKey(last) + 1);
      this.assignSeq = this.meta.nextSeq;
      await this.refreshHead();
      if (stored === undefined) await db.put(META_KEY, encodeMeta(this.meta), { sync: true });
    } catch (cause) {
      await this.db?.close().catch(noop);
      this.db = undefined;
      this.state = 'closed';
      throw new Error(`disk queue: cannot open ${dir}`, { cause });
    }
    this.state = 'open';
    this.tail = Promise.resolve();
    this.dirty = false;
    await this.run(() => this.expire());
    if (syncIntervalMs > 0 && Number.isFinite(syncIntervalMs))
      this.every(syncIntervalMs, () => this.syncWrite());
    const expireMs = this.opts.expireIntervalMs ?? Math.min(Math.max(maxAgeMs / 10, 1_000), 60_000);
    this.every(expireMs, () => this.expire());
  }

  /** Finishes queued writes, fsyncs them, waits for running peeks and closes the database. */
  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closing';
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    try {
      await this.run(() => this.syncWrite());
      await Promise.allSettled(this.reads);
    } finally {
      await this.db?.close();
      this.db = undefined;
      this.state = 'closed';
    }
  }

  /**
   * Stores records after everything appended before them. Resolves once they are written to LevelDB's log
   * (in the kernel: they survive kill -9; on disk after the next fsync, see syncIntervalMs). The records are
   * copied before this returns, so the caller may reuse its buffers at once. Rejects if the queue is not
   * open, a record is invalid (nothing of the call is stored) or the write fails (the error has the cause).
   */
  append(records: readonly QueueRecord[]): Promise<void> {
    if (this.state !== 'open') return this.notOpen();
    try {
      records.forEach(validateRecord);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (records.length === 0) return Promise.resolve();
    const encoded = encodeRecords(records, this.assignSeq);
    this.assignSeq += records.length;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ encoded, resolve, reject });
      if (this.appendScheduled) return; // joins the batch already waiting on the chain: group commit
      this.appendScheduled = true;
      void this.run(() => this.writePending());
    });
  }

  /**
   * Reads up to `max` entries, oldest first, without removing them. `maxBytes` caps their total size, but
   * at least one entry is returned if any is stored. `after` skips entries up to that id, so a replayer can
   * read ahead of what it has published but not yet acked. Runs beside appends and acks; an entry read here
   * may be dropped before the caller acks it (then its ack is a no-op).
   */
  async peek(max: number, maxBytes = Infinity, after?: QueueId): Promise<QueueEntry[]> {
    const db = this.openDb();
    if (!(max >= 1)) return [];
    const from = Math.max(this.meta.floor, after === undefined ? 0 : after + 1);
    const read = readPage(db, from, max, maxBytes);
    this.reads.add(read);
    try {
      return await read;
    } finally {
      this.reads.delete(read);
    }
  }

  /** Removes the entries with these ids (after the broker acknowledged them). Returns how many existed. */
  ack(ids: Iterable<QueueId>): Promise<number> {
    if (this.state !== 'open') return this.notOpen();
    const wanted = [...new Set(ids)].sort((a, b) => a - b);
    return this.run(() => this.deleteIds(wanted));
  }

  /** Removes every entry with an id ≤ `id` (inclusive). Returns how many existed. */
  ackUpTo(id: QueueId): Promise<number> {
    if (this.state !== 'open') return this.notOpen();
    return this.run(async () => {
      let removed = 0;
      while (this.head !== null && this.head.seq <= id) {
        const expected = id - this.head.seq + 1;
        const run = await takeFromHead(this.openDb(), { floor: this.meta.floor, upTo: id, expected });
        if (run === null) break;
        await this.deleteRun(run, 'ack');
        removed += run.keys.length;
      }
      return removed;
    });
  }

  /** Resolves once everything written before the call is fsynced. */
  sync(): Promise<void> {
    if (this.state !== 'open') return this.notOpen();
    return this.run(() => this.syncWrite());
  }

  stats(): QueueStats {
    const m = this.meta;
    return {
      entries: m.entries,
      bytes: m.bytes,
      oldestSourceTime: this.head?.sourceTime ?? null,
      appended: m.appended,
      acked: m.acked,
      droppedEntries: m.droppedEntries,
      droppedBytes: m.droppedBytes,
      droppedByAge: m.droppedByAge,
      droppedBySize: m.droppedBySize,
    };
  }

  // ---- the write chain: everything below runs inside run(), one job at a time ----

  private run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.then(noop, noop);
    return result;
  }

  private every(ms: number, job: () => Promise<void>): void {
    const tick = () => {
      this.run(job).catch((err: unknown) => this.report(err));
    };
    this.timers.push(setInterval(tick, ms).unref());
  }

  private notOpen(): Promise<never> {
    return Promise.reject(new Error(`disk queue ${this.opts.dir} is ${this.state}`));
  }

  private openDb(): Db {
    // 'opening' too: open() reads through the same helpers before it lets callers in.
    if (this.db === undefined || this.state === 'new' || this.state === 'closed') {
      throw new Error(`disk queue ${this.opts.dir} is ${this.state}`);
    }
    return this.db;
  }

  private get syncEach(): boolean {
    return this.opts.syncIntervalMs === 0;
  }

  /** Writes every append waiting so far as one batch. Never rejects: failures go to the appenders. */
  private async writePending(): Promise<void> {
    this.appendScheduled = false;
    const batch = this.pending;
    this.pending = [];
    const encoded =
      batch.length === 1 ? (batch[0] as PendingAppend).encoded : batch.flatMap((p) => p.encoded);
    try {
      await this.writeRecords(encoded);
    } catch (cause) {
      const what = `disk queue: appending ${encoded.length} records to ${this.opts.dir} failed`;
      for (const p of batch) p.reject(new Error(what, { cause }));
      return;
    }
    // The age bound holds when append() resolves; a failed expiry is not the appenders' failure.
    await this.expire().catch((err: unknown) => this.report(err));
    for (const p of batch) p.resolve();
  }

  private async writeRecords(encoded: EncodedRecord[]): Promise<void> {
    const { maxBytes } = this.opts;
    const newBytes = batchBytes(encoded);
    // Size bound, oldest first: stored entries go before any record of this batch, in their own batches
    // (a crash in between loses them, counted, but no record whose append() resolved).
    while (this.meta.entries > 0 && this.meta.bytes + newBytes > maxBytes) {
      const need = this.meta.bytes + newBytes - maxBytes;
      const expected = need / (this.meta.bytes / this.meta.entries);
      const stop = (_seq: number, _value: Buffer, sofar: number) => sofar >= need;
      const run = await takeFromHead(this.openDb(), { floor: this.meta.floor, stop, expected });
      if (run === null) break;
      await this.deleteRun(run, 'size');
    }
    const trimmed = trimBatch(encoded, maxBytes);
    const next = afterAppend(this.meta, encoded, trimmed);
    let head = this.head;
    const first = encoded[trimmed.keepFrom];
    if (head === null && first !== undefined) {
      head = { seq: seqOfKey(first.key), sourceTime: sourceTimeOf(first.value) };
    }
    if (head === null) next.floor = next.nextSeq;
    const puts = trimmed.keepFrom === 0 ? encoded : encoded.slice(trimmed.keepFrom);
    await commit(this.openDb(), { puts, meta: next, sync: this.syncEach });
    this.meta = next;
    this.head = head;
    this.dirty = !this.syncEach;
    if (trimmed.dropped !== null) this.emitDrop('size', trimmed.dropped);
  }

  /** Deletes a run taken from the head, with the counters, in one batch. */
  private async deleteRun(run: Run, why: DeleteReason): Promise<void> {
    const next = afterDelete(this.meta, run, why);
    await commit(this.openDb(), { dels: run.keys, meta: next, sync: this.syncEach });
    this.meta = next;
    this.head = run.next;
    this.dirty = !this.syncEach;
    if (why !== 'ack') this.emitDrop(why, run);
  }

  private async deleteIds(ids: readonly QueueId[]): Promise<number> {
    const db = this.openDb();
    const { floor, nextSeq } = this.meta;
    const candidates = ids.filter((id) => Number.isSafeInteger(id) && id >= floor && id < nextSeq);
    if (candidates.length === 0) return 0;
    const keys = candidates.map(dataKey);
    const values = await db.getMany(keys);
    const dels: Buffer[] = [];
    let bytes = 0;
    let headGone = false;
    values.forEach((value, i) => {
      if (value === undefined) return;
      dels.push(keys[i] as Buffer);
      bytes += KEY_LENGTH + value.length;
      if (candidates[i] === this.head?.seq) headGone = true;
    });
    if (dels.length === 0) return 0;
    const next = afterAck(this.meta, dels.length, bytes);
    await commit(db, { dels, meta: next, sync: this.syncEach });
    this.meta = next;
    this.dirty = !this.syncEach;
    if (headGone) await this.refreshHead();
    return dels.length;
  }

  /**
   * Drops entries older than the age bound from the head, in chunks. FIFO: an old entry behind a younger
   * head waits until it reaches the head (entries are appended in roughly source-time order).
   */
  private async expire(): Promise<void> {
    const cutoff = (this.opts.now ?? Date.now)() - this.opts.maxAgeMs;
    while (this.head !== null && this.head.sourceTime < cutoff) {
      const stop = (_seq: number, value: Buffer) => sourceTimeOf(value) >= cutoff;
      const run = await takeFromHead(this.openDb(), { floor: this.meta.floor, stop });
      if (run === null) break;
      await this.deleteRun(run, 'age');
    }
  }

  private async syncWrite(): Promise<void> {
    if (!this.dirty) return;
    // A synchronous write fsyncs LevelDB's log, which holds every earlier unsynced write too.
    await this.openDb().put(META_KEY, encodeMeta(this.meta), { sync: true });
    this.dirty = false;
  }

  /** Finds the first stored entry at or after the floor and raises the floor to it. */
  private async refreshHead(): Promise<void> {
    this.head = await firstFrom(this.openDb(), this.meta.floor);
    this.meta.floor = this.head?.seq ?? this.meta.nextSeq;
  }

  private emitDrop(reason: 'age' | 'size', run: Run): void {
    try {
      this.opts.onDrop?.(dropInfo(reason, run));
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.opts.onError) this.opts.onError(error);
    else process.emitWarning(error);
  }
}
