/**
 * `/api/rates/trend` and the enterprise rows of `/api/rates` over the real ledger and rates
 * engine, with a scenario whose every figure is worked out by hand below.
 */
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { formatError } from '../../config/load/errors.ts';
import { loadPlantText } from '../../config/load/plant.ts';
import { TREND_CSV_COLUMNS } from '../../cloud/api/csv.ts';
import { buildApi } from '../../cloud/api/index.ts';
import { Ledger } from '../../cloud/ledger/index.ts';
import { createRatesEngine } from '../../cloud/rates/index.ts';
import type { RatesReport, RatesTrend } from '../../cloud/rates/types.ts';
import { INGEST, NODES, StubStore, silent } from './api-fakes.ts';

const W = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0);
const NOW = T0 + 6 * W + 30_000;

const PLANT = `region:
  id: hebei
  name: 河北省
  cities: [{ id: tangshan, name: 唐山市 }, { id: baoding, name: 保定市 }]
enterprises:
  - id: A
    name: 甲钢铁
    city: tangshan
    industry: steel
    leading: true
    lines:
      - id: l1
        devices:
          - { id: a1, kind: reheating-furnace, digital: true }
          - { id: a2, kind: reheating-furnace, digital: true }
          - { id: a3, kind: conveyor, digital: false }
  - id: B
    name: 乙装备
    city: baoding
    industry: equipment
    lines:
      - id: l1
        devices:
          - { id: b1, kind: cnc-machining-centre, digital: true }
`;

/**
 * Online buckets, window [T0, T0 + 6 buckets), steps of 2 buckets, θ = 0.5:
 *
 *   device       0 1 | 2 3 | 4 5     per step (of 2)
 *   a1 digital   x x | x x | x x     2  2  2
 *   a2 digital   x . | x x | . .     1  2  0   (1 of 2 = θ: networked)
 *   a3 ——        . . | . . | x x     0  0  2
 *   b1 digital   . x | . . | . .     1  0  0
 */
const ONLINE: Record<string, number[]> = {
  'A/a1': [0, 1, 2, 3, 4, 5],
  'A/a2': [0, 2, 3],
  'A/a3': [4, 5],
  'B/b1': [1],
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function setup() {
  const r = loadPlantText(PLANT, 'plant.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  const ledger = await Ledger.fromPlants([r.value]);
  const rates = createRatesEngine({ ledger, clock: () => NOW });
  for (const [key, buckets] of Object.entries(ONLINE)) {
    const [ent = '', dev = ''] = key.split('/');
    for (const b of buckets) rates.sample(ent, 'gw', dev, T0 + b * W + 20_000);
  }
  app = await buildApi(
    {
      rates,
      ledger,
      store: new StubStore(),
      unregistered: () => [],
      nodes: () => NODES,
      ingest: () => INGEST,
      registry: new Registry(),
      health: () => ({ store: 'ok', broker: 'connected' }),
      events: new EventEmitter(),
    },
    { logger: silent, now: () => NOW },
  );
  return { app };
}

const window = `from=${T0}&to=${T0 + 6 * W}`;
const step = (k: number) => ({ from: T0 + 2 * k * W, to: T0 + 2 * (k + 1) * W });

describe('GET /api/rates/trend', () => {
  it('gives the ratios of every step, for the province and for a filter', async () => {
    const { app } = await setup();
    const res = await app.inject(`/api/rates/trend?${window}&step=2m`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      window: { from: T0, to: T0 + 6 * W, widthMs: W, stepMs: 2 * W, steps: 3, theta: 0.5 },
      points: [
        // a1, a2 (= θ), b1 (= θ) networked; all 3 digital. Online buckets of digital: 2 + 1 + 1 of 6.
        {
          ...step(0),
          devices: 4,
          digital: 3,
          networked: 3,
          networkedDigital: 3,
          networkedRate: 1,
          deviceNetworkedRate: 0.75,
          digitizationRate: 0.75,
          meanOnlineFraction: 4 / 6,
        },
        {
          ...step(1),
          devices: 4,
          digital: 3,
          networked: 2,
          networkedDigital: 2,
          networkedRate: 2 / 3,
          deviceNetworkedRate: 0.5,
          digitizationRate: 0.75,
          meanOnlineFraction: 4 / 6,
        },
        // a1 and the non-digital a3: networked 2 of 4 devices, but 1 of 3 digital.
        {
          ...step(2),
          devices: 4,
          digital: 3,
          networked: 2,
          networkedDigital: 1,
          networkedRate: 1 / 3,
          deviceNetworkedRate: 0.5,
          digitizationRate: 0.75,
          meanOnlineFraction: 2 / 6,
        },
      ],
    });

    const rateOf = async (q: string) =>
      (await app.inject(`/api/rates/trend?${window}&step=2m&${q}`))
        .json<RatesTrend>()
        .points.map((p) => [p.networkedRate, p.meanOnlineFraction]);
    expect(await rateOf('enterprise=A')).toEqual([
      [1, 3 / 4],
      [1, 1],
      [0.5, 2 / 4],
    ]);
    expect(await rateOf('city=baoding')).toEqual([
      [1, 1 / 2],
      [0, 0],
      [0, 0],
    ]);
    expect(await rateOf('industry=pharma')).toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);
    // θ = 0.6: one bucket of two no longer counts (a2 and b1 in the first step).
    expect((await rateOf('theta=0.6'))[0]).toEqual([1 / 3, 4 / 6]);
  });

  it('each point is exactly /api/rates over that step', async () => {
    const { app } = await setup();
    const trend = (
      await app.inject(`/api/rates/trend?window=6m&to=${T0 + 6 * W}&step=1m`)
    ).json<RatesTrend>();
    expect(trend.points).toHaveLength(6);
    for (const p of trend.points) {
      const report = (await app.inject(`/api/rates?from=${p.from}&to=${p.to}`)).json<RatesReport>();
      const { from: _from, to: _to, ...ratios } = p;
      expect(ratios).toEqual(report.province.window);
    }
  });

  it('answers CSV, one row per step', async () => {
    const { app } = await setup();
    const res = await app.inject(`/api/rates/trend?${window}&step=2m&format=csv&enterprise=A`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="lianwang-trend-20261102T0800-20261102T0806.csv"',
    );
    expect(res.body.slice(1).split('\r\n')).toEqual([
      TREND_CSV_COLUMNS.join(','),
      '2026-11-02T08:00:00.000Z,2026-11-02T08:02:00.000Z,1,0.6666666666666666,0.6666666666666666,0.75,3,2,2,2',
      '2026-11-02T08:02:00.000Z,2026-11-02T08:04:00.000Z,1,0.6666666666666666,0.6666666666666666,1,3,2,2,2',
      '2026-11-02T08:04:00.000Z,2026-11-02T08:06:00.000Z,0.5,0.6666666666666666,0.6666666666666666,0.5,3,2,2,1',
      '',
    ]);
    expect(TREND_CSV_COLUMNS.join(',')).toBe(
      'from,to,networkedRate,deviceNetworkedRate,digitizationRate,meanOnlineFraction,devices,digital,networked,networkedDigital',
    );
  });

  it('refuses steps that do not fit, with the reason', async () => {
    const { app } = await setup();
    const cases: [string, RegExp][] = [
      [`${window}&step=90s`, /whole number of 60000 ms buckets/],
      [`${window}&step=4m`, /not a whole number of steps/],
      [`window=30d&to=${T0}&step=1m`, /43200 steps asked; at most 1000/],
    ];
    for (const [q, reason] of cases) {
      const res = await app.inject(`/api/rates/trend?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json()).toMatchObject({
        error: { code: 'LW_BAD_QUERY', details: { ratesCode: 'bad_step' } },
      });
      expect(res.json<{ error: { message: string } }>().error.message).toMatch(reason);
    }
    const missing = await app.inject(`/api/rates/trend?${window}`);
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error: { code: 'LW_BAD_QUERY' } });
    const garbled = await app.inject(`/api/rates/trend?${window}&step=2%20minutes`);
    expect(garbled.statusCode).toBe(400);
  });
});

describe('GET /api/rates: enterprise rows', () => {
  it('carry city, industry and leading; other rows do not', async () => {
    const { app } = await setup();
    const report = (await app.inject(`/api/rates?${window}`)).json<RatesReport>();
    expect(
      report.enterprises.map(({ id, city, industry, leading }) => ({ id, city, industry, leading })),
    ).toEqual([
      { id: 'A', city: 'tangshan', industry: 'steel', leading: true },
      { id: 'B', city: 'baoding', industry: 'equipment', leading: false },
    ]);
    for (const r of [report.province, ...report.cities, ...report.industries]) {
      expect(r).not.toHaveProperty('city');
      expect(r).not.toHaveProperty('leading');
    }
    const csv = (await app.inject(`/api/rates?${window}&format=csv`)).body.split('\r\n');
    expect(csv.find((l) => l.startsWith('enterprise,B,'))?.endsWith(',baoding,equipment,false')).toBe(true);
  });
});
