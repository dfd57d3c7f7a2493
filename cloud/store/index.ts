/**
 * The store module: `openStore()` picks InfluxDB when a URL is configured, else the embedded
 * DuckDB store under the data directory. Both pass test/cloud/store-conformance.test.ts.
 */
import path from 'node:path';
import type { StoreLog } from './common.ts';
import { createDuckdbStore } from './duckdb.ts';
import { createInfluxStore } from './influx.ts';
import { parseRetention } from './influxql.ts';
import type { Store } from './types.ts';

export type * from './types.ts';
export { sampleKey } from './types.ts';
export { checkSamples, InvalidRowError, PermanentStoreError, type StoreLog } from './common.ts';
export { Batcher, type BatcherOptions, type BatcherStats, type BatchInfo } from './batcher.ts';
export { createDuckdbStore, DUCKDB_FILE, type DuckdbStore, type DuckdbStoreOptions } from './duckdb.ts';
export type { PruneCounts } from './duckdb-retention.ts';
export { createInfluxStore, RETENTION_POLICY, type InfluxStoreOptions } from './influx.ts';
export { MIN_RETENTION_MS, parseRetention } from './influxql.ts';
export { createMemoryStore, memoryData, type MemoryData } from './memory.ts';

export interface OpenStoreOptions {
  /** InfluxDB URL (`http://[user:pass@]host:8086/database`); absent = embedded DuckDB. */
  influx?: string;
  /** The cloud's data directory; DuckDB keeps its file in `${dataDir}/store`. */
  dataDir: string;
  /**
   * How long data is kept, an InfluxQL duration (default `90d`; `INF` = forever): InfluxDB's
   * retention policy, or the embedded store's own deletion of older rows (duckdb-retention.ts).
   */
  retention?: string;
  log?: StoreLog;
}

/** Creates and opens the configured store. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const log = opts.log;
  const retention = parseRetention(opts.retention ?? '90d');
  const store = opts.influx
    ? createInfluxStore({ url: opts.influx, retention: retention.literal, ...(log ? { log } : {}) })
    : createDuckdbStore({
        dir: path.join(opts.dataDir, 'store'),
        retentionMs: retention.ms,
        ...(log ? { log } : {}),
      });
  await store.open();
  return store;
}
