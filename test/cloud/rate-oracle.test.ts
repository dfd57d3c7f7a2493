/**
 * The rate oracle: scripted Sparkplug traffic with a known ground truth goes through a real
 * broker (aedes) into the cloud (ingest → store → rates → API), on both stores. `/api/rates`
 * must equal the rates computed here, independently, from the list of samples published —
 * the DOMAIN.md §1 bucket rule over source timestamps — for the window and the live bucket,
 * including an uplink outage whose buffered data arrives late as historical DDATA. A restart
 * on the same data must report the same numbers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { buildCloud, type Cloud } from '../../cloud/app.ts';
import type { RateRow, RatesReport } from '../../cloud/rates/types.ts';
import { decodePayload, SparkplugType as T } from '../../wire/sparkplug/index.ts';
import { startAedes, type AedesServer } from '../helpers/aedes.ts';
import { influxdBinary, startInfluxd } from '../helpers/influxd.ts';
import { useServer } from '../helpers/servers.ts';
import { EdgeScript, type Frame } from '../helpers/sparkplug-frames.ts';
import { waitFor } from '../helpers/wait.ts';

const W = 60_000;
const BUCKETS = 10;
const PLANT = 'test/fixtures/plants/oracle.yaml';
const LEDGER: Record<string, { digital: boolean; city: string; industry: string }> = {
  'e1/a1': { digital: true, city: 'c1', industry: 'steel' },
  'e1/a2': { digital: true, city: 'c1', industry: 'steel' },
  'e1/a3': { digital: true, city: 'c1', industry: 'steel' },
  'e1/a4': { digital: true, city: 'c1', industry: 'steel' },
  'e1/m1': { digital: false, city: 'c1', industry: 'steel' },
  'e2/b1': { digital: true, city: 'c2', industry: 'pharma' },
  'e2/b2': { digital: true, city: 'c2', industry: 'pharma' },
  'e2/b3': { digital: true, city: 'c2', industry: 'pharma' },
  'e2/b4': { digital: true, city: 'c2', industry: 'pharma' },
};

interface Published {
  key: string;
  time: number;
  good: boolean;
}

/** The scenario: frames to publish, in order, and every sample they carry. */
function scenario(t0: number) {
  const published: Published[] = [];
  const frames: (Frame | 'outage-check')[] = [];
  const reactor = { temp: T.Double };
  const gw1 = new EdgeScript(
    'e1',
    'gw1',
    ['a1', 'a2', 'a3', 'a4'].map((id) => ({ id, metrics: reactor })),
  );
  const gw2 = new EdgeScript(
    'e2',
    'gw2',
    ['b1', 'b2', 'b3'].map((id) => ({ id, metrics: reactor })),
  );
  const data = (gw: EdgeScript, dev: string, time: number, value: number | null, historical = false) => {
    published.push({ key: `${gw.group}/${dev}`, time, good: value !== null });
    return gw.ddata(dev, [{ metric: 'temp', time, value }], { historical });
  };
  const birth = (gw: EdgeScript, dev: string, time: number, value: number | undefined) => {
    if (value !== undefined) published.push({ key: `${gw.group}/${dev}`, time, good: true });
    return gw.dbirth(dev, time, value === undefined ? {} : { temp: value });
  };
  const at = (k: number, s: number) => t0 + k * W + s * 1000;

  frames.push(
    gw1.nbirth(t0),
    birth(gw1, 'a1', t0, 800),
    birth(gw1, 'a2', t0, 801),
    birth(gw1, 'a3', t0, 802),
  );
  frames.push(birth(gw1, 'a4', t0, undefined));
  frames.push(gw2.nbirth(t0), birth(gw2, 'b1', t0, 60), birth(gw2, 'b2', t0, 61), birth(gw2, 'b3', t0, 62));
  for (let k = 0; k < BUCKETS; k++) {
    for (const s of [15, 45]) {
      frames.push(data(gw1, 'a1', at(k, s), 900 + k));
      if (k < 5) frames.push(data(gw1, 'a2', at(k, s), 900 + k));
      if (k < 4) frames.push(data(gw1, 'a3', at(k, s), 900 + k));
      frames.push(data(gw1, 'a4', at(k, s), null)); // answers, but every value is bad
      if (k < 5) frames.push(data(gw2, 'b1', at(k, s), 70 + k), data(gw2, 'b2', at(k, s), 70 + k));
      if (k < 3) frames.push(data(gw2, 'b3', at(k, s), 70 + k));
    }
    if (k === 5) frames.push(gw1.ddeath('a2', at(5, 50)));
  }
  // gw2's uplink drops in bucket 5: the broker publishes its Will. It buffers b1/b2 for
  // buckets 5–9, reconnects (new bdSeq), births again, and replays the buffer as historical.
  frames.push(gw2.ndeath(), 'outage-check');
  gw2.bdSeq++;
  frames.push(gw2.nbirth(at(9, 58)), birth(gw2, 'b1', at(9, 58), undefined));
  frames.push(birth(gw2, 'b2', at(9, 58), undefined), birth(gw2, 'b3', at(9, 58), undefined));
  for (let k = 5; k < BUCKETS; k++) {
    for (const s of [15, 45])
      frames.push(data(gw2, 'b1', at(k, s), 70 + k, true), data(gw2, 'b2', at(k, s), 70 + k, true));
  }
  return { frames, published };
}

interface Counts {
  devices: number;
  digital: number;
  networked: number;
  networkedDigital: number;
}

/** The oracle: DOMAIN.md §1 applied to what was published, without any lianwang code. */
function truth(published: Published[], from: number, to: number, theta: number, live: number) {
  const online = new Set(
    published.filter((p) => p.good).map((p) => `${p.key}@${Math.floor(p.time / W) * W}`),
  );
  const buckets = (to - from) / W;
  const groups = new Map<string, { window: Counts; live: Counts }>();
  const add = (group: string, digital: boolean, inWindow: boolean, inLive: boolean) => {
    let g = groups.get(group);
    if (!g) {
      const zero = () => ({ devices: 0, digital: 0, networked: 0, networkedDigital: 0 });
      groups.set(group, (g = { window: zero(), live: zero() }));
    }
    for (const [c, on] of [
      [g.window, inWindow],
      [g.live, inLive],
    ] as const) {
      c.devices++;
      if (digital) c.digital++;
      if (on) c.networked++;
      if (on && digital) c.networkedDigital++;
    }
  };
  for (const [key, d] of Object.entries(LEDGER)) {
    let n = 0;
    for (let b = from; b < to; b += W) if (online.has(`${key}@${b}`)) n++;
    const inWindow = n / buckets >= theta;
    const inLive = online.has(`${key}@${live}`);
    const ent = key.split('/')[0] ?? '';
    for (const g of [`enterprise:${ent}`, `city:${d.city}`, `industry:${d.industry}`, 'province'])
      add(g, d.digital, inWindow, inLive);
  }
  return groups;
}

const countsOf = (r: RateRow['window']): Counts => ({
  devices: r.devices,
  digital: r.digital,
  networked: r.networked,
  networkedDigital: r.networkedDigital,
});

function expectMatchesTruth(report: RatesReport, published: Published[]): void {
  const t = truth(published, report.window.from, report.window.to, report.window.theta, report.liveBucket);
  const rows: [string, RateRow][] = [
    ...report.enterprises.map((r): [string, RateRow] => [`enterprise:${r.id}`, r]),
    ...report.cities.map((r): [string, RateRow] => [`city:${r.id}`, r]),
    ...report.industries
      .filter((r) => r.window.devices > 0)
      .map((r): [string, RateRow] => [`industry:${r.id}`, r]),
    ['province', report.province],
  ];
  expect(rows.map(([g]) => g).sort()).toEqual([...t.keys()].sort());
  for (const [g, row] of rows) {
    const want = t.get(g);
    expect({ g, window: countsOf(row.window), live: countsOf(row.live) }).toEqual({ g, ...want });
    const w = want?.window;
    expect(row.window.networkedRate).toBe(w && w.digital ? w.networkedDigital / w.digital : null);
  }
}

type StoreSetup = (ctx: TestContext) => { influx?: string };
const influxd = useServer(startInfluxd, influxdBinary);
let dbs = 0;
const stores: [string, StoreSetup][] = [
  ['duckdb', () => ({})],
  ['influx', (ctx) => ({ influx: `${influxd.get(ctx).url}/oracle_${++dbs}` })],
];

let broker: AedesServer;
beforeAll(async () => {
  broker = await startAedes();
});
afterAll(async () => {
  await broker.stop();
});

describe.each(stores)('rate oracle on %s', (name, setup) => {
  it('API rates equal the ground truth, for the window and the live bucket, across a restart', async (ctx) => {
    const store = setup(ctx);
    const dataDir = await mkdtemp(path.join(tmpdir(), `lianwang-oracle-${name}-`));
    const open = () =>
      buildCloud({
        mqtt: { broker: broker.url, hostId: `oracle-${name}`, clientId: `oracle-${name}` },
        plants: [PLANT],
        dataDir,
        ...store,
        log: pino({ level: 'silent' }),
      });
    let cloud: Cloud = await open();
    const pub: MqttClient = await mqtt.connectAsync(broker.url, {
      protocolVersion: 4,
      clientId: `pub-${name}`,
    });
    ctx.onTestFinished(async () => {
      await pub.endAsync();
      await cloud.stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    });
    await cloud.ingest.ready();

    const t0 = Math.floor(Date.now() / W) * W - BUCKETS * W;
    const { frames, published } = scenario(t0);
    // Samples each frame carries (bad ones and births included): what ingest will have stored.
    const carried = (f: Frame) =>
      decodePayload(f.payload).metrics.filter(
        (m) => m.name !== 'bdSeq' && !m.name?.startsWith('Node Control/'),
      ).length;
    let sent = 0;
    const settled = (n: number) => () => cloud.stats().samplesStored === n && cloud.ingest.acks.held === 0;
    for (const f of frames) {
      if (f === 'outage-check') {
        await waitFor(settled(sent), { what: 'ingest caught up before the outage check' });
        const e2 = await cloud.api?.inject({ url: '/api/enterprises/e2' });
        const devices = (e2?.json() as { lines: { devices: { id: string; reason?: string }[] }[] }).lines[0]
          ?.devices;
        expect(devices?.map((d) => [d.id, d.reason])).toEqual([
          ['b1', 'gateway_down'],
          ['b2', 'gateway_down'],
          ['b3', 'gateway_down'],
          ['b4', 'never_connected'],
        ]);
        continue;
      }
      await pub.publishAsync(f.topic, f.payload, { qos: 1 });
      sent += carried(f);
    }
    await waitFor(settled(sent), { what: `${sent} samples stored`, timeoutMs: 20_000 });

    const query = `/api/rates?from=${t0}&to=${t0 + BUCKETS * W}`;
    const first = (await cloud.api?.inject({ url: query }))?.json() as RatesReport;
    expectMatchesTruth(first, published);
    // The hand-checked figures behind the oracle: a2 is online exactly θ = 5/10 of the window.
    const byId = new Map(first.enterprises.map((r) => [r.id, r]));
    expect(byId.get('e1')?.window).toMatchObject({ digital: 4, networkedDigital: 2, networkedRate: 0.5 });
    expect(byId.get('e2')?.window).toMatchObject({ digital: 4, networkedDigital: 2, networkedRate: 0.5 });
    expect(first.province.window).toMatchObject({
      devices: 9,
      digital: 8,
      networked: 4,
      digitizationRate: 8 / 9,
    });
    expect(first.target).toMatchObject({ threshold: 0.5, met: 2, total: 2 });

    await cloud.stop();
    cloud = await open();
    const again = (await cloud.api?.inject({ url: query }))?.json() as RatesReport;
    expect(again.enterprises).toEqual(first.enterprises);
    expect(again.province).toEqual(first.province);
  });
});
