/**
 * The store module: `openStore()` picks InfluxDB when a URL is configured, else the embedded
 * DuckDB store under the data directory. Both pass test/cloud/store-conformance.test.ts.
 */
import path from 'node:path';
import type { StoreLog } from './common.ts';
import { createDuckdbStore } from './duckdb.ts';
import { createInfluxStore } from './influx.ts';
import type { Store } from './types.ts';

export type * from './types.ts';
export { sampleKey } from './types.ts';
export { checkSamples, InvalidRowError, PermanentStoreError, type StoreLog } from './common.ts';
export { Batcher, type BatcherOptions, type BatcherStats, type BatchInfo } from './batcher.ts';
export { createDuckdbStore, DUCKDB_FILE, type DuckdbStoreOptions } from './duckdb.ts';
export { createInfluxStore, RETENTION_POLICY, type InfluxStoreOptions } from './influx.ts';
export { createMemoryStore, memoryData, type MemoryData } from './memory.ts';

export interface OpenStoreOptions {
  /** InfluxDB URL (`http://[user:pass@]host:8086/database`); absent = embedded DuckDB. */
  influx?: string;
  /** The cloud's data directory; DuckDB keeps its file in `${dataDir}/store`. */
  dataDir: string;
  log?: StoreLog;
}

/** Creates and opens the configured store. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const log = opts.log;
  const store = opts.influx
    ? createInfluxStore({ url: opts.influx, ...(log ? { log } : {}) })
    : createDuckdbStore({ dir: path.join(opts.dataDir, 'store'), ...(log ? { log } : {}) });
  await store.open();
  return store;
}
