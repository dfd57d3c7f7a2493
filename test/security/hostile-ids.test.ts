/**
 * Hostile ids through the HTTP API into both stores (DuckDB in a temp dir, InfluxDB on a real
 * influxd): quotes, backslashes, `'; DROP …`, regex metacharacters, newlines. Metric names are free
 * text that reaches the store's query (DuckDB binds them as parameters, InfluxQL quotes them:
 * cloud/store/influxql.ts), so each one seeded through ingest must return exactly its own series
 * and an unknown one nothing; ids in paths and filters are refused by the API's id pattern (400)
 * or unknown (404). Never a 500, and no stored sample is changed or lost.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { describe, expect, it, type TestContext } from 'vitest';
import { buildCloud } from '../../cloud/app.ts';
import type { Series } from '../../cloud/store/types.ts';
import { SparkplugType as T } from '../../wire/sparkplug/index.ts';
import { startAedes } from '../helpers/aedes.ts';
import { influxdBinary, startInfluxd } from '../helpers/influxd.ts';
import { useServer } from '../helpers/servers.ts';
import { EdgeScript } from '../helpers/sparkplug-frames.ts';
import { waitFor } from '../helpers/wait.ts';

const HOSTILE = [
  "'",
  '"',
  '\\',
  'trailing\\',
  "' OR '1'='1",
  "x'; DROP MEASUREMENT telemetry; --",
  '"; DROP TABLE samples; --',
  "temp' OR metric =~ /.*/ --",
  '.*',
  '/.*/',
  'a|b',
  '(?i)TEMP',
  '^temp$',
  'line\nbreak',
  'cr\rlf',
  'tab\there',
  '%',
  '%empty',
  '%27',
  '$(reboot)',
  '唐山 温度',
];
/** Hostile names that exist as metrics of a1 (the rest are only asked for). */
const SEEDED = [
  "' OR '1'='1",
  'trailing\\',
  '"; DROP TABLE samples; --',
  '.*',
  'line\nbreak',
  '%empty',
  '唐山 温度',
];
const METRICS: Record<string, number> = {
  temp: T.Double,
  ...Object.fromEntries(SEEDED.map((m) => [m, T.Double])),
};
const ROGUE = "x' OR '1'='1"; // an unregistered device with a hostile id, from the edge

const influxd = useServer(startInfluxd, influxdBinary);

async function scenario(ctx: TestContext, store: 'duckdb' | 'influx') {
  const dataDir = await mkdtemp(path.join(tmpdir(), `lianwang-hostile-${store}-`));
  const broker = await startAedes();
  const influx = store === 'influx' ? { influx: `${influxd.get(ctx).url}/hostile` } : {};
  const cloud = await buildCloud({
    mqtt: { broker: broker.url, clientId: `hostile-${store}` },
    plants: ['test/fixtures/plants/oracle.yaml'],
    dataDir,
    ...influx,
    log: pino({ level: 'silent' }),
  });
  const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: `hostile-pub-${store}` });
  ctx.onTestFinished(async () => {
    await pub.endAsync();
    await cloud.stop();
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  await cloud.ingest.ready();

  const edge = new EdgeScript('e1', 'gw-1', [
    { id: 'a1', metrics: METRICS },
    { id: 'a2', metrics: { temp: T.Double } },
    { id: ROGUE, metrics: { temp: T.Double } },
  ]);
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 600_000;
  const send = (f: { topic: string; payload: Buffer }) => pub.publishAsync(f.topic, f.payload, { qos: 1 });
  await send(edge.nbirth(t0));
  const names = Object.keys(METRICS);
  await send(edge.dbirth('a1', t0, Object.fromEntries(names.map((m, i) => [m, i]))));
  await send(edge.dbirth('a2', t0, { temp: -1 }));
  await send(edge.dbirth(ROGUE, t0, { temp: -2 }));
  for (let k = 1; k <= 3; k++) {
    await send(
      edge.ddata(
        'a1',
        names.map((metric, i) => ({ metric, time: t0 + k * 1000, value: i * 100 + k })),
      ),
    );
    await send(edge.ddata('a2', [{ metric: 'temp', time: t0 + k * 1000, value: -k }]));
    await send(edge.ddata(ROGUE, [{ metric: 'temp', time: t0 + k * 1000, value: -10 * k }]));
  }
  const expected = names.length * 4 + 4 + 4;
  const range = { from: t0 - 1, to: t0 + 60_000 };
  const count = () => cloud.store.countSamples(range);
  await waitFor(async () => (await count()) >= expected, {
    what: `${expected} samples stored`,
    timeoutMs: 20_000,
  });
  expect(await count()).toBe(expected);
  return { cloud, t0, range, count, expected };
}

describe.each(['duckdb', 'influx'] as const)('hostile ids through the API into %s', (store) => {
  it('metric names return exactly their own series; ids are refused; no 500; nothing modified', async (ctx) => {
    const { cloud, range, count, expected } = await scenario(ctx, store);
    const api = cloud.api;
    if (!api) throw new Error('no API');
    const window = `from=${range.from}&to=${range.to}`;
    const get = async (url: string) => {
      const res = await api.inject(url);
      expect(res.statusCode, `${url}: ${res.body}`).toBeLessThan(500);
      return res;
    };
    const series = async (metrics: string): Promise<Series[]> => {
      const res = await get(`/api/devices/e1/a1/series?${window}&metrics=${encodeURIComponent(metrics)}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Series[]>();
    };

    const all = await series(Object.keys(METRICS).join(','));
    expect(all.map((s) => s.metric).sort()).toEqual(Object.keys(METRICS).sort());
    for (const s of all) expect(s.points).toHaveLength(4);

    for (const h of HOSTILE) {
      const got = await series(h);
      if (SEEDED.includes(h)) {
        expect(
          got.map((s) => s.metric),
          JSON.stringify(h),
        ).toEqual([h]);
        expect(got[0]?.points.map((p) => p.value)).toEqual(
          all.find((s) => s.metric === h)?.points.map((p) => p.value),
        );
      } else expect(got, JSON.stringify(h)).toEqual([]);
      // With a real metric beside it: that one, and the hostile one only if it exists.
      const pair = await series(`temp,${h}`);
      expect(pair.map((s) => s.metric).sort()).toEqual(SEEDED.includes(h) ? ['temp', h].sort() : ['temp']);
    }

    for (const h of [...HOSTILE, ROGUE, '\u0000nul', 'e1:a1', '..', 'a1/../a2']) {
      const e = encodeURIComponent(h);
      for (const url of [
        `/api/devices/e1/${e}/series?${window}`,
        `/api/devices/${e}/a1/series?${window}`,
        `/api/devices/${encodeURIComponent(`e1:${h}`)}/series?${window}`,
        `/api/rates?enterprise=${e}`,
        `/api/rates?city=${e}`,
        `/api/enterprises/${e}`,
        `/api/ledger?enterprise=${e}`,
      ]) {
        const res = await get(url);
        expect([400, 404], `${url}: ${res.body}`).toContain(res.statusCode);
      }
    }
    // The rogue device is reported as unregistered, its id intact, and its data kept apart.
    const unregistered = await get('/api/unregistered');
    expect(unregistered.body).toContain(JSON.stringify(ROGUE).slice(1, -1));
    const rogue = await cloud.store.series({ enterprise: 'e1', device: ROGUE, ...range });
    expect(rogue.map((s) => s.points.map((p) => p.value))).toEqual([[-2, -10, -20, -30]]);
    const a2 = await get(`/api/devices/e1/a2/series?${window}`);
    expect(a2.json<Series[]>().map((s) => s.points.map((p) => p.value))).toEqual([[-1, -1, -2, -3]]);

    // Nothing dropped or changed.
    expect(await count()).toBe(expected);
    expect(await series(Object.keys(METRICS).join(','))).toEqual(all);
  }, 60_000);
});
