/**
 * The fleet without a broker (memory links, virtual clock): the plan, the scaled scenario,
 * Sparkplug rules over every frame through device and gateway outages, rebirth on NCMD, and
 * determinism — a seed and a start time replay byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { loadPlantFile, loadPlantText, type Plant } from '../../config/index.ts';
import {
  ALIAS_BASE,
  Fleet,
  type Frame,
  memoryLinks,
  NO_OUTAGES,
  type OutageConfig,
  planFleet,
  scalePlant,
} from '../../simulators/fleet/index.ts';
import { withSeq } from '../../simulators/fleet/node.ts';
import {
  decodePayload,
  encodePayload,
  NODE_CONTROL_REBIRTH,
  SparkplugType,
  topic,
} from '../../wire/sparkplug/index.ts';
import { checkSparkplug } from './sparkplug-check.ts';

const T0 = Date.UTC(2026, 0, 5, 8);
const STRESS: OutageConfig = {
  device: { everyMs: 40_000, forMs: 8_000 },
  gateway: { everyMs: 90_000, forMs: 15_000 },
  flakyShare: 0.1,
  flakyFactor: 5,
};

async function oracle(): Promise<Plant> {
  const r = await loadPlantFile('test/fixtures/plants/oracle.yaml');
  if (!r.ok) throw new Error('oracle.yaml does not load');
  return r.value;
}

function run(plant: Plant, seed: number, seconds: number, outages: OutageConfig = STRESS) {
  const frames: (Frame & { at: number })[] = [];
  let now = T0;
  const broker = memoryLinks((_c, f) => frames.push({ ...f, at: now }));
  const fleet = new Fleet({
    plan: planFleet(plant),
    links: broker.links,
    seed,
    rate: 1,
    outages,
    manual: true,
    clock: () => now,
  });
  fleet.start();
  const until = (s: number) => {
    for (; now < T0 + s * 1000;) fleet.advance((now += 100));
  };
  until(seconds);
  return { frames, fleet, broker, until, now: () => now };
}

describe('fleet plan', () => {
  it('publishes connected devices only, one node per enterprise or per n devices, aliases unique per node', async () => {
    const plant = await oracle();
    const plan = planFleet(plant);
    expect(plan.nodes.map((n) => [n.group, n.node, n.devices.map((d) => d.id)])).toEqual([
      ['e1', 'gw-1', ['a1', 'a2', 'a3', 'a4']],
      ['e2', 'gw-1', ['b1', 'b2', 'b3']],
    ]);
    expect(plan).toMatchObject({ ledgerDevices: 9, devices: 7 });
    const small = planFleet(plant, { nodeSize: 3 });
    expect(small.nodes.map((n) => `${n.group}/${n.node}:${n.devices.length}`)).toEqual([
      'e1/gw-1:3',
      'e1/gw-2:1',
      'e2/gw-1:3',
    ]);
    for (const n of plan.nodes) {
      const aliases = n.devices.flatMap((d) => d.metrics.map((_m, i) => d.aliasBase + i));
      expect(new Set(aliases).size).toBe(aliases.length);
      expect(Math.min(...aliases)).toBe(ALIAS_BASE);
    }
  });

  it('scales the scenario deterministically and writes a plant file the cloud loads to the same ledger', async () => {
    const one = await scalePlant('config/plants/hebei.yaml', { scale: 1 });
    expect(one.connected).toBe(10_235);
    const few = await scalePlant('config/plants/hebei.yaml', { devices: 1500 });
    expect(few.connected).toBeGreaterThanOrEqual(1500);
    expect(few.connected).toBeLessThan(1500 * 1.15);
    const again = loadPlantText(few.text, 'again.yaml');
    if (!again.ok) throw new Error('scaled plant does not reload');
    const ids = (p: Plant) =>
      p.enterprises.flatMap((e) =>
        e.lines.flatMap((l) => l.devices.map((d) => `${e.id}/${d.id}:${d.connectivity.type}`)),
      );
    expect(ids(again.value)).toEqual(ids(few.plant));
    expect((await scalePlant('config/plants/hebei.yaml', { devices: 1500 })).text).toBe(few.text);
    await expect(scalePlant('test/fixtures/plants/oracle.yaml', { scale: 2 })).rejects.toThrow(/scenario/);
  });
});

describe('offline fleet', () => {
  it('keeps the Sparkplug rules through device and gateway outages; never-connected devices stay silent', async () => {
    const plant = (await scalePlant('config/plants/hebei.yaml', { devices: 300 })).plant;
    const { frames, fleet } = run(plant, 3, 240);
    expect(checkSparkplug(frames)).toEqual([]);
    const s = fleet.stats();
    expect(s.gatewayOutages).toBeGreaterThan(0);
    expect(s.deviceOutages).toBeGreaterThan(0);
    expect(s.historicalPoints).toBeGreaterThan(0);
    const types = new Set(frames.map((f) => f.topic.split('/')[2]));
    expect([...types].sort()).toEqual(['DBIRTH', 'DDATA', 'DDEATH', 'NBIRTH', 'NDEATH']);
    const silent = plant.enterprises.flatMap((e) =>
      e.lines.flatMap((l) =>
        l.devices.filter((d) => d.connectivity.type === 'none').map((d) => `${e.id}/${d.id}`),
      ),
    );
    const published = new Set(
      frames
        .filter((f) => f.topic.split('/').length === 5)
        .map((f) => `${f.topic.split('/')[1]}/${f.topic.split('/')[4]}`),
    );
    expect(silent.length).toBeGreaterThan(0);
    expect(silent.filter((k) => published.has(k))).toEqual([]);
    expect(published.size).toBe(planFleet(plant).devices);
  });

  it('an injected gateway outage: Will NDEATH, data buffered, new bdSeq, historical DDATA from the outage', async () => {
    const { frames, fleet, until, now } = run(await oracle(), 1, 10, NO_OUTAGES);
    const mark = frames.length;
    fleet.gatewayOutage('e2/gw-1');
    const cut = now();
    until(20);
    const back = now();
    fleet.restoreGateway('e2/gw-1');
    until(25);
    const after = frames
      .slice(mark)
      .filter((f) => f.topic.includes('/e2/') || f.topic.startsWith('spBv1.0/e2/'));
    expect(after[0]?.topic).toBe(topic.ndeath('e2', 'gw-1'));
    expect(after.filter((f) => f.at < back).length).toBe(1); // nothing but the Will while down
    const births = after.filter((f) => f.topic === topic.nbirth('e2', 'gw-1'));
    expect(
      births.map((f) => Number(decodePayload(f.payload).metrics.find((m) => m.name === 'bdSeq')?.value)),
    ).toEqual([1]);
    const historical = after
      .filter((f) => f.topic.includes('/DDATA/'))
      .flatMap((f) => decodePayload(f.payload).metrics.filter((m) => m.isHistorical));
    expect(historical.length).toBeGreaterThan(0);
    for (const m of historical) {
      expect(m.name).toBeTypeOf('string');
      expect(m.timestamp).toBeGreaterThanOrEqual(cut);
      expect(m.timestamp).toBeLessThanOrEqual(back);
    }
    // Every device reported during the outage at 1/s: ≥ 9 seconds of each, delivered late.
    const perDevice = new Set(
      after
        .filter(
          (f) => f.topic.includes('/DDATA/') && decodePayload(f.payload).metrics.some((m) => m.isHistorical),
        )
        .map((f) => f.topic.split('/')[4]),
    );
    expect([...perDevice].sort()).toEqual(['b1', 'b2', 'b3']);
    expect(checkSparkplug(frames)).toEqual([]);
  });

  it('answers NCMD Node Control/Rebirth with NBIRTH (same bdSeq) and every DBIRTH', async () => {
    const { frames, broker, until } = run(await oracle(), 1, 5, NO_OUTAGES);
    const mark = frames.length;
    broker.command('lianwang-fleet-e1-gw-1', {
      topic: topic.ncmd('e1', 'gw-1'),
      payload: Buffer.from(
        encodePayload({
          metrics: [{ name: NODE_CONTROL_REBIRTH, datatype: SparkplugType.Boolean, value: true }],
        }),
      ),
    });
    until(6);
    const births = frames
      .slice(mark)
      .filter((f) => /BIRTH/.test(f.topic))
      .map((f) => f.topic.split('/').slice(2).join('/'));
    expect(births.slice(0, 5)).toEqual([
      'NBIRTH/gw-1',
      'DBIRTH/gw-1/a1',
      'DBIRTH/gw-1/a2',
      'DBIRTH/gw-1/a3',
      'DBIRTH/gw-1/a4',
    ]);
    expect(checkSparkplug(frames)).toEqual([]);
  });

  it('is deterministic: the same seed and start replay byte for byte, another seed differs', async () => {
    const plant = (await scalePlant('config/plants/hebei.yaml', { devices: 200 })).plant;
    const a = run(plant, 42, 120).frames;
    const b = run(plant, 42, 120).frames;
    const c = run(plant, 43, 120).frames;
    expect(b.length).toBe(a.length);
    expect(b.every((f, i) => f.topic === a[i]?.topic && f.payload.equals(a[i].payload))).toBe(true);
    const same = c.filter((f, i) => f.topic === a[i]?.topic && f.payload.equals(a[i].payload)).length;
    expect(same).toBeLessThan(a.length / 2);
  });

  it('a buffered payload plus the seq field is exactly what encodePayload writes with seq', () => {
    const metrics = [
      { name: 'x', alias: 100, datatype: SparkplugType.Float, value: 1.5, timestamp: T0, isHistorical: true },
      { alias: 101, datatype: SparkplugType.UInt64, value: 7n, timestamp: T0 },
    ];
    for (const seq of [0, 1, 127, 128, 200, 255]) {
      const body = encodePayload({ timestamp: T0, metrics }, { omitDatatypes: true });
      const whole = encodePayload({ timestamp: T0, metrics, seq }, { omitDatatypes: true });
      expect(withSeq(body, seq).equals(Buffer.from(whole))).toBe(true);
    }
  });
});
