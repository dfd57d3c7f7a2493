/**
 * The store contract: what ingest writes and what rates and the API read. Two
 * implementations (InfluxDB 1.x for production, DuckDB embedded by default) pass one
 * conformance suite (test/cloud/store-conformance.test.ts).
 *
 * Every write is idempotent: writing the same row twice stores it once, so at-least-once
 * delivery from MQTT never double counts. A write resolves only when the rows are durable.
 */

export type SampleValue = number | boolean | string | null;

/** One metric value of one device at its source time. */
export interface Sample {
  /** Enterprise id = the Sparkplug group id. */
  enterprise: string;
  /** Sparkplug edge node id (the gateway). */
  node: string;
  /** Device id (the ledger id); '' for the edge node's own metrics. */
  device: string;
  /** Metric (point) name. */
  metric: string;
  /** Source timestamp, ms since the epoch (UTC). */
  time: number;
  /** null when the value is bad or absent. */
  value: SampleValue;
  good: boolean;
  /** Delivered late from the gateway's store-and-forward buffer. */
  historical: boolean;
}

/**
 * Identity of a stored sample: (enterprise, node, device, metric, time). The node is part of it
 * so that node metrics (device '') of two gateways of one enterprise never merge.
 */
export const sampleKey = (s: Pick<Sample, 'enterprise' | 'node' | 'device' | 'metric' | 'time'>): string =>
  `${s.enterprise}\u0000${s.node}\u0000${s.device}\u0000${s.metric}\u0000${s.time}`;

/** A device was online in the bucket [bucket, bucket + width) (DOMAIN.md §1). */
export interface OnlineMark {
  enterprise: string;
  device: string;
  /** Bucket start, ms since the epoch, a multiple of the width. */
  bucket: number;
}

export type LinkEventType = 'NBIRTH' | 'NDEATH' | 'DBIRTH' | 'DDEATH';

/** A Sparkplug session event, kept to explain why a device was offline. */
export interface LinkEvent {
  /** ms since the epoch: the payload timestamp, else the arrival time. */
  time: number;
  type: LinkEventType;
  enterprise: string;
  node: string;
  /** Set for DBIRTH/DDEATH. */
  device?: string;
}

/**
 * One device's online runs in an availability snapshot, as the compact text of
 * cloud/rates/runs-codec.ts (opaque to the stores). A device with many runs may fill several rows.
 */
export interface RunsRow {
  enterprise: string;
  device: string;
  runs: string;
}

/**
 * The rates engine's state at `takenAt`: every device's online runs and the latest session event
 * of every edge node and device. A restart loads it, then only what was written since (the
 * `…Since` loads), instead of every online mark of the restore window.
 */
export interface RunsSnapshot {
  /** ms, on the writer's clock; taken before the state was read, so nothing newer is missing. */
  takenAt: number;
  rows: RunsRow[];
  links: LinkEvent[];
}

export interface SeriesQuery {
  enterprise: string;
  device: string;
  /** All metrics of the device when absent. */
  metrics?: readonly string[];
  /** Inclusive, ms. */
  from: number;
  /** Exclusive, ms. */
  to: number;
  /** Most recent points per metric to return (default 1,000). */
  limit?: number;
}

export interface SeriesPoint {
  time: number;
  value: SampleValue;
  good: boolean;
}

export interface Series {
  metric: string;
  /** Ascending by time. */
  points: SeriesPoint[];
}

export interface CountQuery {
  enterprise?: string;
  device?: string;
  from: number;
  to: number;
}

export interface Store {
  readonly kind: 'influx' | 'duckdb';
  /** A human-readable location (URL without credentials, or the data directory). */
  readonly location: string;
  /** Connects/opens, creates databases, tables and retention policy. Idempotent. */
  open(): Promise<void>;
  /** Durable and idempotent when it resolves; rejects (nothing partially lost) on failure. */
  writeSamples(rows: readonly Sample[]): Promise<void>;
  /** Idempotent; marks are per bucket width. */
  writeOnline(marks: readonly OnlineMark[], widthMs: number): Promise<void>;
  /** Marks with bucket in [from, to), any order. */
  loadOnline(widthMs: number, from: number, to: number): Promise<OnlineMark[]>;
  /**
   * Every mark written (by this store's `writeOnline`, on its process's clock) at or after `since`,
   * whatever its bucket — late data for old buckets too. May return marks written earlier as well.
   */
  loadOnlineSince(widthMs: number, since: number): Promise<OnlineMark[]>;
  /** Idempotent on (time, type, enterprise, node, device). */
  writeEvents(events: readonly LinkEvent[]): Promise<void>;
  /** Events with time in [from, to), ascending by time. */
  loadEvents(from: number, to: number): Promise<LinkEvent[]>;
  /** Like loadOnlineSince: every event written at or after `since`, whatever its time; ascending. */
  loadEventsSince(since: number): Promise<LinkEvent[]>;
  /**
   * Stores a snapshot for the bucket width; it becomes the one `loadRunsSnapshot` returns only
   * once complete (a write that fails or is cut off half-way is never loaded), and older ones
   * of the width are then deleted.
   */
  writeRunsSnapshot(widthMs: number, snapshot: RunsSnapshot): Promise<void>;
  /** The newest complete snapshot of the width, or undefined. Rows and links in any order. */
  loadRunsSnapshot(widthMs: number): Promise<RunsSnapshot | undefined>;
  series(q: SeriesQuery): Promise<Series[]>;
  /** Number of stored samples (each identity once) matching the query. */
  countSamples(q: CountQuery): Promise<number>;
  /** Flushes and releases every connection and file handle. */
  close(): Promise<void>;
}
