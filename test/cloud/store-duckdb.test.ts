/** DuckDB-only behaviour; what every store does is in store-conformance.test.ts. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDuckdbStore, DUCKDB_FILE } from '../../cloud/store/duckdb.ts';
import { openStore } from '../../cloud/store/index.ts';
import type { Sample, Store } from '../../cloud/store/types.ts';
import { startProcess } from '../helpers/process.ts';
import { waitFor } from '../helpers/wait.ts';

const T0 = 1_700_000_000_000;
const sample: Sample = {
  enterprise: '唐山钢铁',
  node: 'gw-1',
  device: 'press-3',
  metric: 'temperature',
  time: T0,
  value: 21.5,
  good: true,
  historical: true,
};

let dir: string;
const stores: Store[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-duckdb-'));
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('DuckDB store', () => {
  it('openStore() without an InfluxDB URL keeps one file in <dataDir>/store, queryable with plain SQL', async () => {
    // INF: the default retention (90 days) would delete these 2023 samples on open.
    const store = await openStore({ dataDir: dir, retention: 'INF' });
    stores.push(store);
    expect(store.kind).toBe('duckdb');
    expect(store.location).toBe(path.join(dir, 'store'));
    await store.writeSamples([sample, { ...sample, metric: 'state', value: 'RUN', historical: false }]);
    await store.close();
    const file = path.join(dir, 'store', DUCKDB_FILE);
    expect(existsSync(file)).toBe(true);

    // What an operator does with the duckdb CLI (docs/storage.md), once the cloud has stopped.
    const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
    try {
      const c = await db.connect();
      const r = await c.runAndReadAll(
        `SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S.%g'), metric, value, value_str, good, historical
         FROM telemetry WHERE enterprise = '唐山钢铁' ORDER BY metric`,
      );
      expect(r.getRows()).toEqual([
        ['2023-11-14T22:13:20.000', 'state', null, 'RUN', true, false],
        ['2023-11-14T22:13:20.000', 'temperature', 21.5, null, true, true],
      ]);
      c.closeSync();
    } finally {
      db.closeSync();
    }
  });

  it('refuses a second store on the same file in this process (DuckDB would let both write)', async () => {
    const first = createDuckdbStore({ dir });
    stores.push(first);
    await first.open();
    const second = createDuckdbStore({ dir: `${dir}/.` });
    await expect(second.open()).rejects.toThrow(
      `duckdb store at ${dir}: ${path.join(dir, DUCKDB_FILE)} is already open in this process`,
    );
    await first.close();
    await second.open(); // a failed open can be retried
    stores.push(second);
    await second.writeSamples([sample]);
  });

  it('names the directory when another process holds the file', async (ctx) => {
    const file = path.join(dir, DUCKDB_FILE);
    const holder = startProcess(
      'duckdb holder',
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api';
         const db = await DuckDBInstance.create(${JSON.stringify(file)});
         await (await db.connect()).run('CREATE TABLE held (x INT)');
         console.log('holding');
         setInterval(() => {}, 1000);`,
      ],
      { cwd: process.cwd() },
    );
    ctx.onTestFinished(() => holder.stop());
    await waitFor(() => holder.tail().includes('holding'), {
      what: 'the holder to open the file',
      signal: holder.exitSignal,
    });
    const store = createDuckdbStore({ dir });
    const err = await store.open().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(new RegExp(`^duckdb store at ${dir}: cannot open ${file}: .*lock`, 's'));
    await holder.stop();
    await store.open();
    stores.push(store);
    expect(await store.countSamples({ from: 0, to: Infinity })).toBe(0);
  });

  it('serializes concurrent writes and reads while writing', async () => {
    const store = createDuckdbStore({ dir });
    stores.push(store);
    await store.open();
    const batches = Array.from({ length: 8 }, (_, b) =>
      Array.from({ length: 1_000 }, (_, i) => ({ ...sample, time: T0 + b * 500 + i })),
    );
    const counts: Promise<number>[] = [];
    const writes = batches.map((rows) => {
      counts.push(store.countSamples({ from: 0, to: Infinity }));
      return store.writeSamples(rows);
    });
    await Promise.all(writes);
    for (const n of await Promise.all(counts)) expect(n).toBeLessThanOrEqual(4_500);
    expect(await store.countSamples({ from: 0, to: Infinity })).toBe(4_500); // overlapping halves
  });

  it('a close() during writes waits for them', async () => {
    const store = createDuckdbStore({ dir });
    await store.open();
    const rows = Array.from({ length: 5_000 }, (_, i) => ({ ...sample, time: T0 + i }));
    const writing = store.writeSamples(rows);
    await store.close();
    await writing;
    const again = createDuckdbStore({ dir });
    stores.push(again);
    await again.open();
    expect(await again.countSamples({ from: 0, to: Infinity })).toBe(5_000);
  });

  it('retention: prune() deletes samples, marks, events and snapshots older than now − retention, nothing newer', async () => {
    const DAY = 86_400_000;
    const now = Math.floor(T0 / 60_000) * 60_000 + 100 * DAY;
    // pruneEveryMs 0: no pass on the real clock, which would find these 2023 rows all too old.
    const store = createDuckdbStore({ dir, retentionMs: 30 * DAY, pruneEveryMs: 0 });
    stores.push(store);
    await store.open();
    const at = (days: number) => now - days * DAY;
    await store.writeSamples([31, 30.5, 29, 1].map((d, i) => ({ ...sample, metric: `m${i}`, time: at(d) })));
    await store.writeOnline(
      [40, 29].map((d) => ({ enterprise: 'e', device: 'd', bucket: at(d) })),
      60_000,
    );
    await store.writeEvents([
      { time: at(31), type: 'NBIRTH', enterprise: 'e', node: 'gw' },
      { time: at(2), type: 'NDEATH', enterprise: 'e', node: 'gw' },
    ]);
    await store.writeRunsSnapshot(60_000, {
      takenAt: at(45),
      rows: [{ enterprise: 'e', device: 'd', runs: 'v1:0,1' }],
      links: [],
    });

    expect(await store.prune(now)).toEqual({ before: at(30), samples: 2, marks: 1, events: 1, snapshots: 1 });
    expect(await store.countSamples({ from: 0, to: Infinity })).toBe(2);
    expect(await store.countSamples({ from: at(29), to: Infinity })).toBe(2);
    expect(await store.loadOnline(60_000, 0, Infinity)).toEqual([
      { enterprise: 'e', device: 'd', bucket: at(29) },
    ]);
    expect(await store.loadEvents(0, Infinity)).toEqual([
      { time: at(2), type: 'NDEATH', enterprise: 'e', node: 'gw' },
    ]);
    expect(await store.loadRunsSnapshot(60_000)).toBeUndefined();
    // A newer snapshot stays, and a second pass finds nothing more.
    await store.writeRunsSnapshot(60_000, { takenAt: at(1), rows: [], links: [] });
    expect(await store.prune(now)).toEqual({ before: at(30), samples: 0, marks: 0, events: 0, snapshots: 0 });
    expect((await store.loadRunsSnapshot(60_000))?.takenAt).toBe(at(1));
    // INF keeps everything.
    const forever = createDuckdbStore({ dir: path.join(dir, 'forever') });
    stores.push(forever);
    await forever.open();
    expect(await forever.prune(now)).toBeUndefined();
  });

  it('retention: openStore() applies --retention on its own, right after open and then periodically', async () => {
    const HOUR = 3_600_000;
    const now = Date.now();
    const seed = createDuckdbStore({ dir: path.join(dir, 'store') });
    await seed.open();
    await seed.writeSamples([
      { ...sample, time: now - 3 * HOUR },
      { ...sample, metric: 'fresh', time: now - HOUR / 2 },
    ]);
    await seed.close();
    const store = await openStore({ dataDir: dir, retention: '2h' });
    stores.push(store);
    await waitFor(async () => (await store.countSamples({ from: 0, to: Infinity })) === 1, {
      what: 'the sample older than 2h deleted',
    });
    expect(await store.countSamples({ from: now - HOUR, to: Infinity })).toBe(1);
  });
});
