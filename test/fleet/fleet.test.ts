/**
 * The fleet against a real broker (the embedded aedes) and a real cloud (buildCloud, DuckDB in a
 * temporary directory, 1-second buckets so rates move within the test): births arrive, the live
 * rates show both enterprises of the fixture plant online (the never-connected device counts
 * against its enterprise), an injected gateway outage yields the Will NDEATH and gateway_down,
 * and after the reconnect (new bdSeq) the buffered data arrives as historical samples that fill
 * the outage's buckets. Every frame on the wire keeps the Sparkplug rules, and what the broker
 * delivered equals what an offline fleet with the same seed and start produces.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildCloud } from '../../cloud/app.ts';
import type { EnterpriseDetail, RatesReport } from '../../cloud/rates/types.ts';
import { loadPlantFile } from '../../config/index.ts';
import {
  Fleet,
  type Frame,
  memoryLinks,
  mqttLinks,
  NO_OUTAGES,
  planFleet,
} from '../../simulators/fleet/index.ts';
import { decodePayload } from '../../wire/sparkplug/index.ts';
import { startAedes, type AedesServer } from '../helpers/aedes.ts';
import { waitFor } from '../helpers/wait.ts';
import { checkSparkplug } from './sparkplug-check.ts';

const PLANT = 'test/fixtures/plants/oracle.yaml';
const W = 1000;
const SEED = 7;
const RATE = 4;

let broker: AedesServer;
beforeAll(async () => {
  broker = await startAedes();
});
afterAll(async () => {
  await broker.stop();
});

const show = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v));

/** Live DDATA (not historical) of group `g`, keyed by device and source time → its metrics. */
function liveData(frames: readonly Frame[], g: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of frames) {
    const [, group, type, , device] = f.topic.split('/');
    if (group !== g || type !== 'DDATA') continue;
    const p = decodePayload(f.payload);
    if (p.metrics.some((m) => m.isHistorical)) continue;
    const metrics = p.metrics.map((m) => [Number(m.alias), m.timestamp, show(m.value)]);
    out.set(`${device}@${p.timestamp}`, JSON.stringify(metrics));
  }
  return out;
}

it('drives the cloud: births, rates, a gateway outage with NDEATH and historical data, deterministic', async (ctx) => {
  const loaded = await loadPlantFile(PLANT);
  if (!loaded.ok) throw new Error(`${PLANT} does not load`);
  const plan = planFleet(loaded.value);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lianwang-fleet-'));
  const cloud = await buildCloud({
    mqtt: { broker: broker.url, hostId: 'fleet-test', clientId: 'fleet-test' },
    plants: [PLANT],
    dataDir,
    widthMs: W,
    log: pino({ level: 'silent' }),
  });
  const frames: Frame[] = [];
  const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'fleet-test-sub' });
  sub.on('message', (topic, payload) => frames.push({ topic, payload: Buffer.from(payload) }));
  await sub.subscribeAsync('spBv1.0/#', { qos: 1 });
  const fleet = new Fleet({
    plan,
    links: mqttLinks({ broker: broker.url }),
    seed: SEED,
    rate: RATE,
    qos: 1,
    outages: NO_OUTAGES,
    clientPrefix: 'fleet-test-',
  });
  ctx.onTestFinished(async () => {
    await fleet.stop();
    await sub.endAsync();
    await cloud.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  await cloud.ingest.ready();
  const api = async <T>(url: string): Promise<T> => {
    const r = await cloud.api?.inject({ url });
    if (r?.statusCode !== 200) throw new Error(`${url}: HTTP ${r?.statusCode} ${r?.body}`);
    return r.json<T>();
  };
  const node = (key: string) => cloud.ingest.nodes().find((n) => `${n.group}/${n.node}` === key);
  fleet.start();

  // Births: both edge nodes and every connected device online at the host application.
  await waitFor(
    () =>
      node('e1/gw-1')?.devices.filter((d) => d.online).length === 4 &&
      node('e2/gw-1')?.devices.filter((d) => d.online).length === 3,
    { what: 'NBIRTH and DBIRTH of both edge nodes at ingest' },
  );

  // Live rates (latest complete 1-s bucket): e1 4/4 digital devices, e2 3/4 (b4 never connected).
  const live = async () => {
    const r = await api<RatesReport>('/api/rates');
    return new Map(r.enterprises.map((e) => [e.id, e.live]));
  };
  await waitFor(
    async () => {
      const l = await live();
      return l.get('e1')?.networkedDigital === 4 && l.get('e2')?.networkedDigital === 3;
    },
    { what: 'both enterprises online in the live bucket' },
  );
  const rates = await live();
  expect(rates.get('e1')).toMatchObject({ digital: 4, networkedRate: 1 });
  expect(rates.get('e2')).toMatchObject({ digital: 4, networkedRate: 0.75 });
  const reasons = async () =>
    new Map(
      (await api<EnterpriseDetail>('/api/enterprises/e2')).lines
        .flatMap((l) => l.devices)
        .map((d) => [d.id, d.reason]),
    );
  expect((await reasons()).get('b4')).toBe('never_connected');

  // Gateway outage: the uplink is cut, the broker publishes the Will.
  const cut = Date.now();
  fleet.gatewayOutage('e2/gw-1');
  await waitFor(() => node('e2/gw-1')?.online === false, { what: 'NDEATH (the Will) at ingest' });
  await waitFor(async () => (await reasons()).get('b1') === 'gateway_down', {
    what: 'e2 devices offline for gateway_down',
  });
  // Three full buckets of data wait in the node's buffer.
  const firstDark = Math.ceil(cut / W) * W;
  await waitFor(
    () => Date.now() >= firstDark + 3 * W && (fleet.node('e2/gw-1')?.buffered.messages ?? 0) > 0,
    {
      what: 'three buckets buffered at the edge',
    },
  );
  const back = Date.now();
  fleet.restoreGateway('e2/gw-1');
  await waitFor(() => node('e2/gw-1')?.online === true && node('e2/gw-1')?.bdSeq === 1, {
    what: 'NBIRTH with bdSeq 1 after the reconnect',
  });
  const dark = { from: firstDark, to: Math.floor(back / W) * W };
  await waitFor(
    async () => {
      const d = await api<EnterpriseDetail>(`/api/enterprises/e2?from=${dark.from}&to=${dark.to}`);
      const devices = d.lines.flatMap((l) => l.devices).filter((x) => x.id !== 'b4');
      return devices.length === 3 && devices.every((x) => x.onlineFraction === 1);
    },
    { what: 'the outage buckets online from historical data', timeoutMs: 15_000 },
  );
  expect(await cloud.store.countSamples({ enterprise: 'e2', device: 'b1', ...dark })).toBeGreaterThan(0);
  expect(fleet.stats().historicalPoints).toBeGreaterThan(0);
  const nodeEvents = async () =>
    (await cloud.store.loadEvents(cut, Date.now() + W))
      .filter((e) => e.enterprise === 'e2' && !e.device)
      .map((e) => e.type)
      .join();
  await waitFor(async () => (await nodeEvents()) === 'NDEATH,NBIRTH', {
    what: 'NDEATH then NBIRTH of e2/gw-1 in the store',
  });

  // On the wire: the Sparkplug rules; e1's live data equals an offline fleet's (same seed, start).
  await waitFor(() => liveData(frames, 'e1').size >= 4 * RATE * 4, { what: 'e1 live data' });
  expect(checkSparkplug(frames)).toEqual([]);
  const online = liveData(frames, 'e1');
  let now = fleet.startTime;
  const offlineFrames: Frame[] = [];
  const offline = new Fleet({
    plan,
    links: memoryLinks((_c, f) => offlineFrames.push(f)).links,
    seed: SEED,
    rate: RATE,
    outages: NO_OUTAGES,
    manual: true,
    clock: () => now,
    startTime: fleet.startTime,
  });
  offline.start();
  for (const last = Math.max(...[...online.keys()].map((k) => Number(k.split('@')[1]))); now < last;)
    offline.advance((now += 50));
  const reference = liveData(offlineFrames, 'e1');
  const compared = [...online].filter(([k]) => reference.has(k));
  expect(compared.length).toBeGreaterThan(online.size * 0.8);
  expect(compared.filter(([k, v]) => reference.get(k) !== v)).toEqual([]);
});
