/**
 * The worked example of docs/rates.md, computed by hand there and checked here, plus the
 * edge cases of DOMAIN.md §1. Buckets are 1 minute; the window is the 10 buckets
 * [08:00, 08:10) and `now` is 08:10:30, so the live bucket is [08:09, 08:10) and the
 * bucket holding `now` ([08:10, 08:11)) is incomplete and never counted.
 */
import { describe, expect, it } from 'vitest';
import { formatError } from '../../config/load/errors.ts';
import { loadPlantText } from '../../config/load/plant.ts';
import { Ledger } from '../ledger/ledger.ts';
import { UnregisteredDevices } from '../ledger/unregistered.ts';
import { createRatesEngine, type RatesService } from './engine.ts';
import type { RateRow, RatesQuery } from './types.ts';
import type { RatesError } from './window.ts';

const W = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0); // 08:00 UTC, bucket 0 of the example
const NOW = T0 + 10 * W + 30_000;
const WINDOW: RatesQuery = { from: T0, to: T0 + 10 * W };
const at = (bucket: number, offsetMs = 0) => T0 + bucket * W + offsetMs;
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

const UA = "connectivity: { type: opcua, endpoint: 'opc.tcp://[::1]:4840' }";
const EXAMPLE = `region:
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
          - { id: a1, kind: reheating-furnace, digital: true, ${UA} }
          - { id: a2, kind: reheating-furnace, digital: true, ${UA} }
          - { id: a3, kind: rolling-mill-stand, digital: true, ${UA} }
          - { id: a4, kind: conveyor, digital: false, ${UA} }
          - { id: a5, kind: rolling-mill-stand, digital: true }
  - id: B
    name: 乙装备
    city: baoding
    industry: equipment
    leading: true
    lines:
      - id: l1
        devices:
          - { id: b1, kind: cnc-machining-centre, digital: true, ${UA} }
          - { id: b2, kind: cnc-machining-centre, digital: true, ${UA} }
      - id: l2
        devices:
          - { id: b3, kind: hydraulic-press, digital: true, ${UA} }
  - id: C
    name: 丙制药
    city: tangshan
    industry: pharma
    lines:
      - id: l1
        devices:
          - { id: c1, kind: tablet-press, digital: true, ${UA} }
`;

async function ledgerOf(yaml: string): Promise<Ledger> {
  const r = loadPlantText(yaml, 'example.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return Ledger.fromPlants([r.value]);
}

async function example(): Promise<RatesService> {
  const engine = createRatesEngine({ ledger: await ledgerOf(EXAMPLE), clock: () => NOW });
  const feed = (ent: string, node: string, dev: string, buckets: number[]) => {
    for (const b of buckets) engine.sample(ent, node, dev, at(b, 15_000));
  };
  // Session events, deliberately out of order: an old NDEATH of gw-a arrives after its
  // NBIRTH (gw-a stays up); gw-b2's NBIRTH arrives after its later NDEATH (it stays down).
  engine.event({ time: at(0), type: 'NBIRTH', enterprise: 'A', node: 'gw-a' });
  engine.event({ time: at(-1), type: 'NDEATH', enterprise: 'A', node: 'gw-a' });
  engine.event({ time: at(3, 10_000), type: 'NDEATH', enterprise: 'B', node: 'gw-b2' });
  engine.event({ time: at(0), type: 'NBIRTH', enterprise: 'B', node: 'gw-b2' });
  engine.event({ time: at(0), type: 'NBIRTH', enterprise: 'B', node: 'gw-b' });
  engine.event({ time: at(2), type: 'DDEATH', enterprise: 'B', node: 'gw-b', device: 'b3' });

  feed('A', 'gw-a', 'a1', range(0, 9)); // 10/10
  feed('A', 'gw-a', 'a2', range(0, 4)); // 5/10 = exactly θ
  feed('A', 'gw-a', 'a3', [...range(0, 3), 10]); // 4/10; bucket 10 is still filling
  feed('A', 'gw-a', 'a4', range(0, 9)); // not digital
  // a5: no gateway configured, never seen
  feed('B', 'gw-b', 'b1', [7, 8, 9]); // live data first …
  feed('B', 'gw-b', 'b1', [6, 5]); // … then the edge buffer's backlog, newest first
  feed('B', 'gw-b2', 'b2', range(0, 2)); // 3/10, then its gateway died
  feed('B', 'gw-b', 'b3', range(0, 1)); // 2/10, then DDEATH
  feed('C', 'gw-c', 'c1', range(0, 9)); // 10/10
  feed('C', 'gw-c', 'ghost', range(0, 9)); // not in the ledger
  return engine;
}

const pick = (r: RateRow) => ({
  id: r.id,
  devices: r.window.devices,
  digital: r.window.digital,
  networked: r.window.networked,
  networkedDigital: r.window.networkedDigital,
  networkedRate: r.window.networkedRate,
  deviceNetworkedRate: r.window.deviceNetworkedRate,
  digitizationRate: r.window.digitizationRate,
  meanOnlineFraction: r.window.meanOnlineFraction,
});

describe('the worked example of docs/rates.md', () => {
  it('enterprise rows: exactly θ counts, non-digital only in the device rate, never-seen in the denominator', async () => {
    const r = (await example()).report(WINDOW, NOW);
    expect(r.window).toEqual({ from: T0, to: T0 + 10 * W, widthMs: W, buckets: 10, theta: 0.5 });
    expect(r.enterprises.map(pick)).toEqual([
      {
        id: 'A',
        devices: 5,
        digital: 4,
        networked: 3, // a1, a2 (exactly 0.5), a4 (not digital)
        networkedDigital: 2, // a1, a2
        networkedRate: 2 / 4,
        deviceNetworkedRate: 3 / 5,
        digitizationRate: 4 / 5,
        meanOnlineFraction: (10 + 5 + 4 + 0) / 40,
      },
      {
        id: 'B',
        devices: 3,
        digital: 3,
        networked: 1, // b1: 5 buckets, 2 of them delivered late and out of order
        networkedDigital: 1,
        networkedRate: 1 / 3,
        deviceNetworkedRate: 1 / 3,
        digitizationRate: 1,
        meanOnlineFraction: (5 + 3 + 2) / 30,
      },
      {
        id: 'C', // the unregistered "ghost" adds nothing
        devices: 1,
        digital: 1,
        networked: 1,
        networkedDigital: 1,
        networkedRate: 1,
        deviceNetworkedRate: 1,
        digitizationRate: 1,
        meanOnlineFraction: 1,
      },
    ]);
  });

  it('cities, industries and the province add counts (not means of enterprise ratios)', async () => {
    const r = (await example()).report(WINDOW, NOW);
    const tangshan = r.cities.find((c) => c.id === 'tangshan');
    // A + C: 3 of 5 digital devices networked = 0.6 (the mean of 0.5 and 1 would be 0.75).
    expect(tangshan && pick(tangshan)).toMatchObject({ devices: 6, digital: 5, networkedDigital: 3 });
    expect(tangshan?.window.networkedRate).toBe(0.6);
    expect(tangshan?.name).toBe('唐山市');
    expect(r.cities.map((c) => [c.id, c.window.networkedRate])).toEqual([
      ['tangshan', 0.6],
      ['baoding', 1 / 3],
    ]);
    expect(r.industries.map((i) => [i.id, i.name, i.window.networkedRate])).toEqual([
      ['steel', '钢铁', 0.5],
      ['equipment', '装备', 1 / 3],
      ['pharma', '医药', 1],
      ['building-materials', '建材', null], // unfiltered: every industry has a row
      ['photovoltaic', '光伏', null],
      ['other', '其他', null],
    ]);
    expect(pick(r.province)).toEqual({
      id: 'hebei',
      devices: 9,
      digital: 8,
      networked: 5,
      networkedDigital: 4,
      networkedRate: 0.5,
      deviceNetworkedRate: 5 / 9,
      digitizationRate: 8 / 9,
      meanOnlineFraction: (19 + 10 + 10) / 80,
    });
  });

  it('live: the latest complete bucket, not the one still filling', async () => {
    const r = (await example()).report(WINDOW, NOW);
    expect(r.liveBucket).toBe(at(9));
    // Online in bucket 9: a1, a4, b1, c1. a3 reported at 08:10:15 — the incomplete bucket.
    expect(r.province.live).toMatchObject({ devices: 9, digital: 8, networked: 4, networkedDigital: 3 });
    expect(r.province.live.networkedRate).toBe(3 / 8);
    expect(r.enterprises[0]?.live.networkedRate).toBe(1 / 4);
    expect(r.enterprises[0]?.live.meanOnlineFraction).toBe(1 / 4);
  });

  it('target check: leading enterprises of key industries against 50%', async () => {
    const r = (await example()).report(WINDOW, NOW);
    expect(r.target).toEqual({
      threshold: 0.5,
      met: 1,
      total: 2, // C is not a leading enterprise
      entries: [
        {
          enterprise: 'A',
          name: '甲钢铁',
          industry: 'steel',
          city: 'tangshan',
          networkedRate: 0.5,
          meets: true,
        },
        {
          enterprise: 'B',
          name: '乙装备',
          industry: 'equipment',
          city: 'baoding',
          networkedRate: 1 / 3,
          meets: false,
        },
      ],
    });
  });

  it('enterprise detail: every device with availability, reason, last seen and node', async () => {
    const engine = await example();
    const b = engine.enterprise('B', WINDOW, NOW);
    expect(b?.row.window.networkedRate).toBe(1 / 3);
    expect(b?.lines.map((l) => [l.id, l.devices.map((d) => d.id)])).toEqual([
      ['l1', ['b1', 'b2']],
      ['l2', ['b3']],
    ]);
    const devices = Object.fromEntries(b?.lines.flatMap((l) => l.devices).map((d) => [d.id, d]) ?? []);
    expect(devices.b1).toMatchObject({ onlineBuckets: 5, buckets: 10, onlineFraction: 0.5, networked: true });
    expect(devices.b1).toMatchObject({ online: true, lastSeen: at(9, 15_000), node: 'gw-b' });
    expect(devices.b1?.reason).toBeUndefined();
    expect(devices.b2).toMatchObject({ online: false, reason: 'gateway_down', node: 'gw-b2' });
    expect(devices.b3).toMatchObject({
      online: false,
      reason: 'device_unreachable',
      lastSeen: at(1, 15_000),
    });
    const a = engine.enterprise('A', WINDOW, NOW);
    const reasons = a?.lines[0]?.devices.map((d) => [d.id, d.online, d.reason ?? null]);
    expect(reasons).toEqual([
      ['a1', true, null],
      ['a2', false, 'device_unreachable'], // gw-a is up (its late, older NDEATH was ignored)
      ['a3', false, 'device_unreachable'],
      ['a4', true, null],
      ['a5', false, 'never_connected'],
    ]);
    expect(engine.enterprise('nope', WINDOW, NOW)).toBeUndefined();
  });

  it('unregistered devices are listed apart', async () => {
    const engine = await example();
    expect(engine.unregistered.list()).toEqual([
      { enterprise: 'C', node: 'gw-c', device: 'ghost', firstSeen: at(0, 15_000), lastSeen: at(9, 15_000) },
    ]);
  });
});

describe('queries', () => {
  it('a filter narrows every level', async () => {
    const engine = await example();
    const steel = engine.report({ ...WINDOW, industry: 'steel' }, NOW);
    expect(steel.enterprises.map((e) => e.id)).toEqual(['A']);
    expect(steel.cities.map((c) => c.id)).toEqual(['tangshan']);
    expect(steel.industries.map((c) => c.id)).toEqual(['steel']);
    expect(steel.province.window.networkedRate).toBe(0.5);
    expect(steel.target.total).toBe(1);
    const tangshan = engine.report({ ...WINDOW, city: 'tangshan' }, NOW);
    expect(tangshan.enterprises.map((e) => e.id)).toEqual(['A', 'C']);
    expect(tangshan.industries.map((c) => c.id)).toEqual(['steel', 'pharma']);
    expect(tangshan.province.window.networkedRate).toBe(0.6);
    expect(engine.report({ ...WINDOW, enterprise: 'B' }, NOW).province.window.devices).toBe(3);
  });

  it('θ per query: at 0.6, a2 (0.5) is no longer networked', async () => {
    const r = (await example()).report({ ...WINDOW, theta: 0.6 }, NOW);
    expect(r.window.theta).toBe(0.6);
    expect(r.enterprises[0]?.window.networkedRate).toBe(1 / 4);
  });

  it('late data corrects a past bucket: the same window reports more once it arrives', async () => {
    const engine = await example();
    expect(engine.report(WINDOW, NOW).enterprises[0]?.window.networkedDigital).toBe(2);
    expect(engine.sample('A', 'gw-a', 'a3', at(4, 59_999))).toBe(at(4)); // a3: 4 → 5 of 10
    expect(engine.sample('A', 'gw-a', 'a3', at(4))).toBeUndefined(); // same bucket again
    expect(engine.report(WINDOW, NOW).enterprises[0]?.window.networkedDigital).toBe(3);
  });

  it('default window: the 24 h ending with the latest complete bucket', async () => {
    const r = (await example()).report({}, NOW);
    expect(r.window.to).toBe(at(10));
    expect(r.window.from).toBe(at(10) - 86_400_000);
    expect(r.window.buckets).toBe(1440);
    expect(r.enterprises[0]?.window.networkedRate).toBe(0); // 10 of 1,440 buckets is far below θ
  });

  it('rejects an empty or reversed window, an over-long one and a bad θ with a code', async () => {
    const engine = await example();
    const code = (q: RatesQuery) => {
      try {
        engine.report(q, NOW);
      } catch (err) {
        expect(err).toBeInstanceOf(RangeError);
        return (err as RatesError).code;
      }
      return 'no error';
    };
    expect(code({ from: at(5), to: at(5, 59_000) })).toBe('bad_window'); // both round to 08:05
    expect(code({ from: at(6), to: at(5) })).toBe('bad_window');
    expect(code({ from: Number.NaN })).toBe('bad_window');
    expect(code({ from: T0 - 401 * 86_400_000, to: T0 })).toBe('window_too_long');
    expect(code({ theta: 1.5 })).toBe('bad_theta');
  });

  it('unregistered devices beyond the bound are not kept in the index either', async () => {
    const ledger = await ledgerOf(EXAMPLE);
    const engine = createRatesEngine({
      ledger,
      unregistered: new UnregisteredDevices(ledger, { max: 1 }),
      clock: () => NOW,
    });
    expect(engine.sample('C', 'gw', 'ghost-1', at(1))).toBe(at(1));
    expect(engine.sample('C', 'gw', 'ghost-2', at(1))).toBeUndefined();
    expect(engine.availability.stats().devices).toBe(1);
    expect(engine.unregistered.dropped).toBe(1);
  });

  it('ignores samples stamped too far in the future, and node-level metrics', async () => {
    const engine = await example();
    expect(engine.sample('A', 'gw-a', 'a5', NOW + 10 * 60_000)).toBeUndefined();
    expect(engine.stats().futureSamples).toBe(1);
    expect(engine.sample('A', 'gw-a', '', at(9))).toBeUndefined();
    expect(engine.availability.lastSeen('A', 'a5')).toBeUndefined();
  });
});

describe('edge cases', () => {
  it('an empty ledger reports null ratios, not NaN', async () => {
    const ledger = await ledgerOf(
      'region: { id: r, name: 空省, cities: [{ id: c, name: 空市 }] }\nenterprises: []\n',
    );
    const r = createRatesEngine({ ledger }).report(WINDOW, NOW);
    expect(r.province.window).toEqual({
      devices: 0,
      digital: 0,
      networked: 0,
      networkedDigital: 0,
      networkedRate: null,
      deviceNetworkedRate: null,
      digitizationRate: null,
      meanOnlineFraction: null,
    });
    expect(r.province.live.networkedRate).toBeNull();
    expect(r.enterprises).toEqual([]);
    expect(r.target).toEqual({ threshold: 0.5, met: 0, total: 0, entries: [] });
    expect(JSON.stringify(r)).not.toContain('NaN');
  });

  it('a leading enterprise without digital devices has no rate and does not meet the target', async () => {
    const yaml = EXAMPLE.replace(/digital: true/g, 'digital: false');
    const r = createRatesEngine({ ledger: await ledgerOf(yaml), target: 0.4 }).report(WINDOW, NOW);
    expect(r.target.threshold).toBe(0.4);
    expect(r.target.entries.map((e) => [e.enterprise, e.networkedRate, e.meets])).toEqual([
      ['A', null, false],
      ['B', null, false],
    ]);
  });

  it('ledger edits show up in the next report (the denominator follows the ledger)', async () => {
    const ledger = await ledgerOf(EXAMPLE);
    const engine = createRatesEngine({ ledger, clock: () => NOW });
    for (const b of range(0, 9)) engine.sample('C', 'gw-c', 'ghost', at(b));
    expect(engine.report(WINDOW, NOW).enterprises[2]?.window.devices).toBe(1);
    await ledger.putDevice({
      enterprise: 'C',
      line: 'l1',
      id: 'ghost',
      kind: 'tablet-press',
      digital: true,
      keyProcess: false,
      connectivity: 'opcua',
    });
    // Registered now: its history (kept while it was unregistered) counts at once.
    expect(engine.report(WINDOW, NOW).enterprises[2]?.window).toMatchObject({
      devices: 1 + 1,
      networkedDigital: 1,
    });
    expect(engine.unregistered.list()).toEqual([]);
    await ledger.deleteDevice('A', 'a5');
    expect(engine.report(WINDOW, NOW).enterprises[0]?.window).toMatchObject({ devices: 4, digital: 3 });
  });
});
