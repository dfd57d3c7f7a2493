/**
 * One suite, every Store: DuckDB in a temp dir, InfluxDB 1.x on a real influxd over [::1], and the
 * in-memory reference. What ingest, rates and the API may rely on is asserted here, once. This file
 * wires each store to a fixture; the cases live in ./store-conformance/, one module per concern.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe } from 'vitest';
import { createDuckdbStore, DUCKDB_FILE } from '../../cloud/store/duckdb.ts';
import { createInfluxStore } from '../../cloud/store/influx.ts';
import { snapshotLines } from '../../cloud/store/influx-snapshots.ts';
import { createMemoryStore, memoryData } from '../../cloud/store/memory.ts';
import type { RunsSnapshot } from '../../cloud/store/types.ts';
import { influxdBinary, startInfluxd } from '../helpers/influxd.ts';
import { useServer } from '../helpers/servers.ts';
import { fixture, type Setup } from './store-conformance/fixture.ts';
import { markAndEventCases } from './store-conformance/marks-events.ts';
import { queryCases } from './store-conformance/queries.ts';
import { sampleCases } from './store-conformance/samples.ts';
import { snapshotCases } from './store-conformance/snapshots.ts';

const setups: [string, Setup][] = [];

setups.push([
  'memory',
  (ctx) => {
    const data = memoryData();
    return fixture(
      ctx,
      () => createMemoryStore({ data }),
      (widthMs, snapshot) => {
        const byTime = data.snapshots.get(widthMs) ?? new Map<number, RunsSnapshot>();
        data.snapshots.set(widthMs, byTime.set(snapshot.takenAt, snapshot));
        return Promise.resolve();
      },
    );
  },
]);

setups.push([
  'duckdb',
  async (ctx) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-store-'));
    return fixture(
      ctx,
      () => createDuckdbStore({ dir: path.join(dir, 'store') }),
      async (widthMs, snapshot) => {
        // The store writes a snapshot in one transaction; rows committed without their marker
        // stand for any write that did not finish (e.g. a store from before the marker existed).
        const db = await DuckDBInstance.create(path.join(dir, 'store', DUCKDB_FILE));
        try {
          const c = await db.connect();
          for (const r of snapshot.rows)
            await c.run('INSERT INTO runs_snapshot VALUES (?, ?, ?, ?, ?)', [
              BigInt(widthMs),
              BigInt(snapshot.takenAt),
              r.enterprise,
              r.device,
              r.runs,
            ]);
          c.closeSync();
        } finally {
          db.closeSync();
        }
      },
      () => rm(dir, { recursive: true, force: true }),
    );
  },
]);

const influxd = useServer(startInfluxd, influxdBinary);
let databases = 0;
setups.push([
  'influx',
  (ctx) => {
    // One database per test: isolation without restarting influxd. The helper's URL is http://[::1]:PORT.
    // Infinite retention: the suite writes times from 1970 on, which a 90-day policy drops.
    const server = influxd.get(ctx).url;
    const db = `conformance_${++databases}`;
    return fixture(
      ctx,
      () => createInfluxStore({ url: `${server}/${db}`, retention: 'INF' }),
      async (widthMs, snapshot) => {
        // The chunks went out, the marker did not.
        const res = await fetch(`${server}/write?db=${db}&rp=lianwang&precision=ms`, {
          method: 'POST',
          body: snapshotLines(widthMs, snapshot).chunks.join('\n'),
        });
        if (res.status !== 204) throw new Error(`influx /write: HTTP ${res.status} ${await res.text()}`);
      },
    );
  },
]);

describe.each(setups)('store conformance: %s', (_name, setup) => {
  sampleCases(setup);
  queryCases(setup);
  markAndEventCases(setup);
  snapshotCases(setup);
});
