/**
 * One suite, every Store: DuckDB in a temp dir, InfluxDB 1.x on a real influxd over [::1], and the
 * in-memory reference. What ingest, rates and the API may rely on is asserted here, once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { InvalidRowError } from '../../cloud/store/common.ts';
import { createDuckdbStore, DUCKDB_FILE } from '../../cloud/store/duckdb.ts';
import { createInfluxStore } from '../../cloud/store/influx.ts';
import { snapshotLines } from '../../cloud/store/influx-snapshots.ts';
import { createMemoryStore, memoryData } from '../../cloud/store/memory.ts';
import type { LinkEvent, OnlineMark, RunsSnapshot, Sample, Store } from '../../cloud/store/types.ts';
import { influxdBinary, startInfluxd } from '../helpers/influxd.ts';
import { useServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';

/** A fresh, open, empty store, and a way to open a new store object on the same data. */
interface Fixture {
  store: Store;
  reopen: () => Promise<Store>;
  /**
   * Leaves `snapshot` in the data as a write cut off after its rows (no completion marker), as
   * a crash mid-write would, and returns a store open on that data.
   */
  interrupted: (widthMs: number, snapshot: RunsSnapshot) => Promise<Store>;
}

type Setup = (ctx: TestContext) => Promise<Fixture>;

const T0 = 1_700_000_000_000;

function sample(over: Partial<Sample> = {}): Sample {
  return {
    enterprise: 'ent-1',
    node: 'gw-1',
    device: 'press-3',
    metric: 'temperature',
    time: T0,
    value: 21.5,
    good: true,
    historical: false,
    ...over,
  };
}

/**
 * Opens `make()`, closes every store it handed out when the test ends. `cutOff` writes an
 * interrupted snapshot into the data while every store is closed.
 */
async function fixture(
  ctx: TestContext,
  make: () => Store,
  cutOff: (widthMs: number, snapshot: RunsSnapshot) => Promise<void>,
  cleanup?: () => Promise<void>,
): Promise<Fixture> {
  const opened: Store[] = [];
  ctx.onTestFinished(async () => {
    for (const s of opened) await s.close();
    await cleanup?.();
  });
  const open = async (): Promise<Store> => {
    const s = make();
    opened.push(s);
    await s.open();
    return s;
  };
  const interrupted = async (widthMs: number, snapshot: RunsSnapshot): Promise<Store> => {
    for (const s of opened) await s.close();
    await cutOff(widthMs, snapshot);
    return open();
  };
  return { store: await open(), reopen: open, interrupted };
}

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
  it('round-trips every value type, with its quality', async (ctx) => {
    const { store } = await setup(ctx);
    const values: [string, Sample['value'], boolean][] = [
      ['float', 21.5, true],
      ['negative', -7.25, true],
      ['integer', 42, true],
      ['zero', 0, true],
      ['max-safe-integer', Number.MAX_SAFE_INTEGER, true],
      ['huge', 1e21, true],
      ['tiny', 5e-324, true],
      ['true', true, true],
      ['false', false, true],
      ['string', 'running "fast", at 3\\4 speed\nline 2 唐山', true],
      ['empty-string', '', true],
      ['trailing-backslash-string', 'C:\\', true],
      ['bad', null, false],
      ['null-but-good', null, true],
    ];
    await store.writeSamples(
      values.map(([metric, value, good], i) => sample({ metric, value, good, time: T0 + i })),
    );
    const series = await store.series({ enterprise: 'ent-1', device: 'press-3', from: T0, to: T0 + 100 });
    const expected = values
      .map(([metric, value, good], i) => ({ metric, points: [{ time: T0 + i, value, good }] }))
      .sort((a, b) => (a.metric < b.metric ? -1 : 1));
    expect(series).toEqual(expected);
  });

  it('stores NaN and ±Infinity as null and -0 as 0 (InfluxDB cannot carry them)', async (ctx) => {
    const { store } = await setup(ctx);
    const odd = [NaN, Infinity, -Infinity, -0];
    await store.writeSamples(odd.map((value, i) => sample({ metric: `odd-${i}`, value, time: T0 })));
    const series = await store.series({ enterprise: 'ent-1', device: 'press-3', from: T0, to: T0 + 1 });
    expect(series.map((s) => s.points[0]?.value)).toEqual([null, null, null, 0]);
    expect(Object.is(series[3]?.points[0]?.value, -0)).toBe(false);
  });

  it('stores historical (store-and-forward) samples; a late duplicate of a live sample is not counted twice', async (ctx) => {
    const { store } = await setup(ctx);
    const live = [0, 1, 2].map((i) => sample({ time: T0 + i * 1000 }));
    const replay = [1, 2, 3, 4].map((i) => sample({ time: T0 + i * 1000, historical: true }));
    await store.writeSamples(live);
    await store.writeSamples(replay);
    expect(await store.countSamples({ from: T0, to: T0 + 10_000 })).toBe(5);
    const [series] = await store.series({
      enterprise: 'ent-1',
      device: 'press-3',
      from: T0,
      to: T0 + 10_000,
    });
    expect(series?.points.map((p) => p.time)).toEqual([0, 1, 2, 3, 4].map((i) => T0 + i * 1000));
  });

  it('is idempotent: the same batch twice, overlapping batches and duplicates inside a batch store each sample once', async (ctx) => {
    const { store } = await setup(ctx);
    const a = Array.from({ length: 100 }, (_, i) => sample({ time: T0 + i, metric: `m${i % 3}`, value: i }));
    await store.writeSamples(a);
    await store.writeSamples(a);
    expect(await store.countSamples({ from: 0, to: Infinity })).toBe(100);
    const b = Array.from({ length: 100 }, (_, i) =>
      sample({ time: T0 + 50 + i, metric: `m${(50 + i) % 3}`, value: 50 + i }),
    );
    await store.writeSamples([...b, ...b.slice(0, 10)]);
    expect(await store.countSamples({ from: 0, to: Infinity })).toBe(150);
    const series = await store.series({ enterprise: 'ent-1', device: 'press-3', from: 0, to: Infinity });
    expect(series.flatMap((s) => s.points).length).toBe(150);
  });

  it('returns series ascending, filtered by metric, with from inclusive and to exclusive', async (ctx) => {
    const { store } = await setup(ctx);
    const times = [5, 1, 9, 3, 7, 0, 10];
    await store.writeSamples([
      ...times.map((t) => sample({ metric: 'a', time: T0 + t, value: t })),
      ...times.map((t) => sample({ metric: 'b', time: T0 + t, value: -t })),
      sample({ metric: 'c', time: T0 + 2, value: 'x' }),
      sample({ device: 'other', metric: 'a', time: T0 + 2 }),
      sample({ enterprise: 'ent-2', metric: 'a', time: T0 + 2 }),
    ]);
    const all = await store.series({ enterprise: 'ent-1', device: 'press-3', from: T0, to: T0 + 10 });
    expect(all.map((s) => s.metric)).toEqual(['a', 'b', 'c']);
    expect(all[0]?.points.map((p) => p.time - T0)).toEqual([0, 1, 3, 5, 7, 9]);
    expect(all[1]?.points.map((p) => p.value)).toEqual([0, -1, -3, -5, -7, -9]);
    const onlyB = await store.series({
      enterprise: 'ent-1',
      device: 'press-3',
      metrics: ['b', 'nope'],
      from: T0 + 1,
      to: T0 + 9,
    });
    expect(onlyB).toEqual([
      { metric: 'b', points: [1, 3, 5, 7].map((t) => ({ time: T0 + t, value: -t, good: true })) },
    ]);
    expect(
      await store.series({ enterprise: 'ent-1', device: 'press-3', metrics: [], from: T0, to: T0 + 10 }),
    ).toEqual([]);
    expect(
      await store.series({ enterprise: 'ent-1', device: 'press-3', from: T0 + 10, to: T0 + 10 }),
    ).toEqual([]);
    expect(await store.series({ enterprise: 'ent-1', device: 'nobody', from: T0, to: T0 + 10 })).toEqual([]);
  });

  it('limit returns the most recent N points of each metric, ascending (default 1,000)', async (ctx) => {
    const { store } = await setup(ctx);
    await store.writeSamples([
      ...Array.from({ length: 1_005 }, (_, i) => sample({ metric: 'long', time: T0 + i, value: i })),
      ...Array.from({ length: 4 }, (_, i) => sample({ metric: 'short', time: T0 + i, value: i })),
    ]);
    const q = { enterprise: 'ent-1', device: 'press-3', from: T0, to: T0 + 10_000 };
    const limited = await store.series({ ...q, limit: 3 });
    expect(limited.map((s) => [s.metric, s.points.map((p) => p.value)])).toEqual([
      ['long', [1_002, 1_003, 1_004]],
      ['short', [1, 2, 3]],
    ]);
    const byDefault = await store.series(q);
    expect(byDefault[0]?.points.length).toBe(1_000);
    expect(byDefault[0]?.points[0]?.value).toBe(5);
    expect(byDefault[1]?.points.length).toBe(4);
  });

  it('keeps hostile ids apart, round-trips them and never lets them break a batch or a query', async (ctx) => {
    const { store } = await setup(ctx);
    // Line-protocol breakers, InfluxQL/SQL injection attempts, regex syntax, the sanitiser's own escapes.
    // prettier-ignore
    const ids = [
      "quo'te", 'double"quote', "end\\'", "' OR '1'='1", '") OR ("1"="1', 'semi;colon -- comment',
      'back\\slash', 'trailing\\', '\\', 'new\nline', 'carriage\rreturn', 'tab\there', '\u0000nul',
      'with space', ' lead and trail ', 'com,ma', 'eq=ual', '.*', '/^a$/', '唐山钢铁', '%41', '%empty', '',
    ];
    const rows = ids.flatMap((id, i) => [
      sample({ enterprise: id, node: id, device: id, metric: id, time: T0 + i, value: i }),
      sample({ enterprise: 'ent-1', device: id, metric: 'm', time: T0 + i, value: i }),
    ]);
    await store.writeSamples(rows);
    expect(await store.countSamples({ from: 0, to: Infinity })).toBe(rows.length);
    for (const [i, id] of ids.entries()) {
      expect(await store.countSamples({ enterprise: id, from: 0, to: Infinity }), JSON.stringify(id)).toBe(1);
      expect(await store.countSamples({ enterprise: 'ent-1', device: id, from: 0, to: Infinity })).toBe(1);
      expect(
        await store.series({ enterprise: id, device: id, metrics: [id], from: 0, to: Infinity }),
      ).toEqual([{ metric: id, points: [{ time: T0 + i, value: i, good: true }] }]);
    }
    // Quotes in a filter are data, not syntax: nothing matches, nothing leaks.
    expect(await store.countSamples({ enterprise: "x' OR 'a'='a", from: 0, to: Infinity })).toBe(0);
    expect(
      await store.countSamples({
        enterprise: 'x\\',
        device: "' OR device =~ /.*/ OR device = '",
        from: 0,
        to: Infinity,
      }),
    ).toBe(0);

    const marks: OnlineMark[] = ids.map((id) => ({ enterprise: id, device: id, bucket: 60_000 }));
    await store.writeOnline(marks, 60_000);
    expect(sortMarks(await store.loadOnline(60_000, 0, Infinity))).toEqual(sortMarks(marks));

    const events: LinkEvent[] = ids.map((id, i) => ({
      time: T0 + i,
      type: 'DBIRTH',
      enterprise: id,
      node: id,
      device: id || 'd',
    }));
    await store.writeEvents(events);
    expect(await store.loadEvents(0, Infinity)).toEqual(events);
  });

  it('keeps node metrics (device "") of two gateways apart', async (ctx) => {
    const { store } = await setup(ctx);
    await store.writeSamples([
      sample({ node: 'gw-1', device: '', metric: 'Buffer/Entries', value: 1 }),
      sample({ node: 'gw-2', device: '', metric: 'Buffer/Entries', value: 2 }),
    ]);
    expect(await store.countSamples({ enterprise: 'ent-1', device: '', from: T0, to: T0 + 1 })).toBe(2);
    const [s] = await store.series({ enterprise: 'ent-1', device: '', from: T0, to: T0 + 1 });
    expect(s?.points.map((p) => p.value).sort()).toEqual([1, 2]);
  });

  it('writes 20,000 samples in one call', async (ctx) => {
    const { store } = await setup(ctx);
    const rows = Array.from({ length: 20_000 }, (_, i) =>
      sample({ device: `dev-${i % 50}`, metric: `m-${i % 7}`, time: T0 + i, value: i }),
    );
    await store.writeSamples(rows);
    expect(await store.countSamples({ from: 0, to: Infinity })).toBe(20_000);
    expect(await store.countSamples({ enterprise: 'ent-1', device: 'dev-7', from: 0, to: Infinity })).toBe(
      400,
    );
    const [last] = await store.series({
      enterprise: 'ent-1',
      device: 'dev-49',
      metrics: ['m-6'],
      from: 0,
      to: Infinity,
      limit: 1,
    });
    expect(last?.points).toEqual([{ time: T0 + 19_949, value: 19_949, good: true }]);
  });

  it('counts by enterprise, device and [from, to)', async (ctx) => {
    const { store } = await setup(ctx);
    await store.writeSamples([
      sample({ time: T0 }),
      sample({ time: T0 + 1 }),
      sample({ time: T0 + 2, metric: 'other' }),
      sample({ time: T0, device: 'lathe-1' }),
      sample({ time: T0, enterprise: 'ent-2' }),
    ]);
    expect(await store.countSamples({ from: T0, to: T0 + 3 })).toBe(5);
    expect(await store.countSamples({ enterprise: 'ent-1', from: T0, to: T0 + 3 })).toBe(4);
    expect(await store.countSamples({ device: 'press-3', from: T0, to: T0 + 3 })).toBe(4);
    expect(await store.countSamples({ enterprise: 'ent-1', device: 'press-3', from: T0, to: T0 + 3 })).toBe(
      3,
    );
    expect(
      await store.countSamples({ enterprise: 'ent-1', device: 'press-3', from: T0 + 1, to: T0 + 2 }),
    ).toBe(1);
    expect(await store.countSamples({ from: T0 + 3, to: T0 + 100 })).toBe(0);
    expect(await store.countSamples({ enterprise: 'nobody', from: 0, to: Infinity })).toBe(0);
  });

  it('stores online marks idempotently, per bucket width, and loads [from, to)', async (ctx) => {
    const { store } = await setup(ctx);
    const hour = 3_600_000;
    const H0 = 472_222 * hour; // 2023-11-14T22:00Z: a multiple of both widths
    const minute: OnlineMark[] = [0, 1, 2, 3].map((i) => ({
      enterprise: 'ent-1',
      device: 'press-3',
      bucket: H0 + i * 60_000,
    }));
    const hourly: OnlineMark[] = [{ enterprise: 'ent-1', device: 'press-3', bucket: H0 }];
    await store.writeOnline(minute, 60_000);
    await store.writeOnline([...minute.slice(1), ...minute], 60_000);
    await store.writeOnline(hourly, hour);
    await store.writeOnline([{ enterprise: 'ent-1', device: 'lathe-1', bucket: H0 }], 60_000);
    expect(sortMarks(await store.loadOnline(60_000, H0 + 60_000, H0 + 180_000))).toEqual(minute.slice(1, 3));
    expect(await store.loadOnline(60_000, 0, Infinity)).toHaveLength(5);
    expect(await store.loadOnline(hour, 0, Infinity)).toEqual(hourly);
    expect(await store.loadOnline(30_000, 0, Infinity)).toEqual([]);
    await expect(
      store.writeOnline([{ enterprise: 'e', device: 'd', bucket: T0 + 1 }], 60_000),
    ).rejects.toThrow(InvalidRowError);
  });

  it('loads link events ascending by time, idempotently, with same-ms events in causal order', async (ctx) => {
    const { store } = await setup(ctx);
    const events: LinkEvent[] = [
      { time: T0 + 10, type: 'DBIRTH', enterprise: 'ent-1', node: 'gw-1', device: 'press-3' },
      { time: T0 + 10, type: 'NBIRTH', enterprise: 'ent-1', node: 'gw-1' },
      { time: T0, type: 'NDEATH', enterprise: 'ent-1', node: 'gw-1' },
      { time: T0, type: 'DDEATH', enterprise: 'ent-1', node: 'gw-1', device: 'press-3' },
      { time: T0 + 20, type: 'NBIRTH', enterprise: 'ent-2', node: 'gw-9' },
    ];
    await store.writeEvents(events);
    await store.writeEvents(events.slice(0, 3));
    expect(await store.loadEvents(0, Infinity)).toEqual([
      events[3],
      events[2],
      events[1],
      events[0],
      events[4],
    ]);
    expect(await store.loadEvents(T0 + 10, T0 + 20)).toEqual([events[1], events[0]]);
    expect(await store.loadEvents(T0 + 21, Infinity)).toEqual([]);
  });

  it('rejects a batch with an impossible time before writing any of it', async (ctx) => {
    const { store } = await setup(ctx);
    for (const time of [1.5, -1, NaN, Number.MAX_SAFE_INTEGER])
      await expect(store.writeSamples([sample(), sample({ time, metric: 'x' })])).rejects.toThrow(
        InvalidRowError,
      );
    expect(await store.countSamples({ from: 0, to: Infinity })).toBe(0);
  });

  it('keeps the newest complete availability snapshot per width: rows and links as written, survives reopen', async (ctx) => {
    const { store, reopen } = await setup(ctx);
    const W = 60_000;
    expect(await store.loadRunsSnapshot(W)).toBeUndefined();
    const a = snapshotOf(T0, 'a');
    await store.writeRunsSnapshot(W, a);
    await store.writeRunsSnapshot(3_600_000, snapshotOf(T0 + 5, 'hourly'));
    expect(normalise(await store.loadRunsSnapshot(W))).toEqual(normalise(a));
    expect((await store.loadRunsSnapshot(3_600_000))?.takenAt).toBe(T0 + 5);
    // Big enough for many points, requests and pages in InfluxDB (48 KB chunks, 1 MB bodies, 100 chunks a query).
    const big: RunsSnapshot = {
      takenAt: T0 + 60_000,
      rows: Array.from({ length: 9_000 }, (_, i) => ({
        enterprise: `ent-${i % 7}`,
        device: `dev-${i}`,
        runs: `v1:${i.toString(36)},${'1,2,'.repeat(150)}1`,
      })),
      links: [],
    };
    await store.writeRunsSnapshot(W, big);
    await store.writeRunsSnapshot(W, big); // the same one again: still one copy
    expect(normalise(await store.loadRunsSnapshot(W))).toEqual(normalise(big));
    await store.close();
    const again = await reopen();
    expect(normalise(await again.loadRunsSnapshot(W))).toEqual(normalise(big));
    expect(await again.loadRunsSnapshot(30_000)).toBeUndefined();
    await expect(again.writeRunsSnapshot(W, { ...big, takenAt: 1.5 })).rejects.toThrow(InvalidRowError);
  });

  it('never loads a snapshot whose write was cut off; the next complete one replaces both', async (ctx) => {
    const { store, interrupted } = await setup(ctx);
    const W = 60_000;
    const done = snapshotOf(T0, 'done');
    await store.writeRunsSnapshot(W, done);
    const cut = await interrupted(W, snapshotOf(T0 + 1_000, 'cut'));
    expect(normalise(await cut.loadRunsSnapshot(W))).toEqual(normalise(done));
    const next = snapshotOf(T0 + 2_000, 'next');
    await cut.writeRunsSnapshot(W, next);
    expect(normalise(await cut.loadRunsSnapshot(W))).toEqual(normalise(next));
  });

  it('loads the marks and events written since a time, late ones for old buckets included', async (ctx) => {
    const { store } = await setup(ctx);
    const W = 60_000;
    const B0 = Math.floor(T0 / W) * W;
    const old: OnlineMark[] = [0, 1, 2].map((i) => ({
      enterprise: 'ent-1',
      device: 'old',
      bucket: B0 + i * W,
    }));
    const oldEvents: LinkEvent[] = [{ time: T0, type: 'NBIRTH', enterprise: 'ent-1', node: 'gw-old' }];
    await store.writeOnline(old, W);
    await store.writeEvents(oldEvents);
    const before = Date.now();
    await waitFor(() => Date.now() > before, { what: 'the clock to pass the old writes' });
    const since = before + 1;
    const nowBucket = Math.floor(Date.now() / W) * W;
    const fresh: OnlineMark[] = [
      { enterprise: 'ent-1', device: 'late', bucket: B0 + 5 * W }, // store-and-forward, years late
      { enterprise: 'ent-1', device: 'live', bucket: nowBucket },
      { enterprise: "quo'te\n", device: '', bucket: B0 },
    ];
    const freshEvents: LinkEvent[] = [
      { time: T0 + 7, type: 'DDEATH', enterprise: 'ent-1', node: 'gw-1', device: 'late' },
      { time: Date.now(), type: 'NDEATH', enterprise: 'ent-1', node: 'gw-1' },
    ];
    await store.writeOnline(fresh, W);
    await store.writeEvents(freshEvents);
    await store.writeOnline([{ enterprise: 'ent-1', device: 'other-width', bucket: B0 }], 30_000);

    const marks = await store.loadOnlineSince(W, since);
    expect(marks).toEqual(expect.arrayContaining(fresh));
    expect(marks.filter((m) => m.device === 'old' || m.device === 'other-width')).toEqual([]);
    const events = await store.loadEventsSince(since);
    expect(events).toEqual([freshEvents[0], freshEvents[1]]);
    // Everything, when asked from the beginning.
    expect(sortMarks(await store.loadOnlineSince(W, 0))).toEqual(sortMarks([...old, ...fresh]));
  });

  it('keeps everything across close and reopen', async (ctx) => {
    const { store, reopen } = await setup(ctx);
    await store.writeSamples([sample(), sample({ time: T0 + 1, value: 'on' })]);
    await store.writeOnline([{ enterprise: 'ent-1', device: 'press-3', bucket: 0 }], 60_000);
    await store.writeEvents([{ time: T0, type: 'NBIRTH', enterprise: 'ent-1', node: 'gw-1' }]);
    await store.close();
    await expect(store.countSamples({ from: 0, to: Infinity })).rejects.toThrow(/closed/);
    const again = await reopen();
    expect(await again.series({ enterprise: 'ent-1', device: 'press-3', from: 0, to: Infinity })).toEqual([
      {
        metric: 'temperature',
        points: [
          { time: T0, value: 21.5, good: true },
          { time: T0 + 1, value: 'on', good: true },
        ],
      },
    ]);
    expect(await again.loadOnline(60_000, 0, 1)).toEqual([
      { enterprise: 'ent-1', device: 'press-3', bucket: 0 },
    ]);
    expect(await again.loadEvents(0, Infinity)).toEqual([
      { time: T0, type: 'NBIRTH', enterprise: 'ent-1', node: 'gw-1' },
    ]);
    await again.open(); // idempotent
    expect(await again.countSamples({ from: 0, to: Infinity })).toBe(2);
  });
});

/** A small snapshot whose every value says which one it is. */
function snapshotOf(takenAt: number, tag: string): RunsSnapshot {
  return {
    takenAt,
    rows: [
      { enterprise: 'ent-1', device: 'press-3', runs: `v1:${tag}` },
      { enterprise: 'ent-1', device: 'press-3', runs: `v1:${tag}-part-2` },
      { enterprise: "quo'te\\", device: '唐山 "x"\n', runs: 'v1:0,1' },
      { enterprise: 'ent-2', device: '', runs: `v1:${tag.length}` },
    ],
    links: [
      { time: takenAt - 10, type: 'NBIRTH', enterprise: 'ent-1', node: `gw-${tag}` },
      { time: takenAt - 5, type: 'DDEATH', enterprise: 'ent-1', node: 'gw-1', device: 'press-3' },
    ],
  };
}

/** Rows and links in one order (stores return them in any). */
function normalise(s: RunsSnapshot | undefined) {
  if (!s) return s;
  const keyed = s.rows.map((r) => [JSON.stringify([r.enterprise, r.device, r.runs]), r] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { ...s, rows: keyed.map(([, r]) => r) };
}

function sortMarks(marks: OnlineMark[]): OnlineMark[] {
  const k = (m: OnlineMark): string => `${m.enterprise}\u0000${m.device}\u0000${m.bucket}`;
  return [...marks].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}
