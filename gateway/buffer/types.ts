// Options and reports of the disk queue: what a publisher configures and what it can log or export.
import { type QueueId } from './codec.ts';

export interface DiskQueueOptions {
  /** LevelDB directory; created if missing. One process at a time (LevelDB holds a lock file). */
  dir: string;
  /** Bound on stored bytes (key + header + topic + payload per entry); oldest entries are dropped past it. */
  maxBytes: number;
  /** Entries whose sourceTime is older than now - maxAgeMs are dropped once they reach the head. */
  maxAgeMs: number;
  /** Clock for the age bound, ms since the Unix epoch. Default `Date.now`. */
  now?: () => number;
  /**
   * How often buffered writes are forced to disk with fsync (group commit). Default 1000 ms.
   * `0`: every write batch is fsynced before its append() resolves (concurrent appends share one fsync).
   * `Infinity`: never fsync explicitly (the kernel writes back dirty pages within ~30 s); close() still does.
   * Whatever the value, a resolved append() survives a crash of the process (kill -9): see README.md.
   */
  syncIntervalMs?: number;
  /** How often the age bound is enforced besides on every append. Default maxAgeMs / 10 within [1 s, 60 s]. */
  expireIntervalMs?: number;
  /** Called after every drop batch has been committed. Must not throw (a throw becomes a process warning). */
  onDrop?: (info: DropInfo) => void;
  /** Failures of background work (periodic fsync, periodic expiry). Default: a process warning. */
  onError?: (err: Error) => void;
}

/** One committed drop: a contiguous run of the oldest entries, removed for one reason. */
export interface DropInfo {
  reason: 'age' | 'size';
  entries: number;
  bytes: number;
  firstId: QueueId;
  lastId: QueueId;
  oldestSourceTime: number;
  newestSourceTime: number;
}

export interface QueueStats {
  /** Entries stored now. */
  entries: number;
  /** Bytes stored now, as counted against maxBytes. */
  bytes: number;
  /** sourceTime of the head entry (the next to replay, the first to drop); null when empty. */
  oldestSourceTime: number | null;
  /** Lifetime counters, persisted with every change: appended = entries + acked + droppedEntries. */
  appended: number;
  acked: number;
  droppedEntries: number;
  droppedBytes: number;
  /** Entries dropped by the age bound / the size bound (droppedEntries is their sum). */
  droppedByAge: number;
  droppedBySize: number;
}
