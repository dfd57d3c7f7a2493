/** Reading samples back: series filters and limits, counts, and ids that try to break either. */
import { expect, it } from 'vitest';
import type { LinkEvent, OnlineMark } from '../../../cloud/store/types.ts';
import { sample, type Setup, sortMarks, T0 } from './fixture.ts';

export function queryCases(setup: Setup): void {
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
}
