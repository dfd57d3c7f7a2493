/** Writing samples: every value type, store-and-forward, idempotence, big batches, rejection, reopen. */
import { expect, it } from 'vitest';
import { InvalidRowError } from '../../../cloud/store/common.ts';
import type { Sample } from '../../../cloud/store/types.ts';
import { sample, type Setup, T0 } from './fixture.ts';

export function sampleCases(setup: Setup): void {
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

  it('rejects a batch with an impossible time before writing any of it', async (ctx) => {
    const { store } = await setup(ctx);
    for (const time of [1.5, -1, NaN, Number.MAX_SAFE_INTEGER])
      await expect(store.writeSamples([sample(), sample({ time, metric: 'x' })])).rejects.toThrow(
        InvalidRowError,
      );
    expect(await store.countSamples({ from: 0, to: Infinity })).toBe(0);
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
}
