/**
 * Simulators → gateway → broker (embedded aedes over MQTT 3.1.1, mosquitto over MQTT 5, both
 * on [::1]) → a Sparkplug observer: births, aliases, seq continuity, values equal to the
 * models' at their source time, rebirth on NCMD, and bdSeq matching in NBIRTH and NDEATH.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError, loadGatewayFile, loadPlantFile } from '../../config/index.ts';
import { stringify } from 'yaml';
import { GatewayFile } from '../../config/model/gateway.ts';
import { buildGateway, type Gateway } from '../../gateway/app.ts';
import { gatewayConfigs } from '../../simulators/runtime/emit.ts';
import { type Simulation, startSimulation } from '../../simulators/runtime/simulation.ts';
import { startAedes } from '../helpers/aedes.ts';
import { mosquittoBinary, startMosquitto } from '../helpers/mosquitto.ts';
import { type SkipContext, ServerSlot } from '../helpers/servers.ts';
import { SparkplugObserver } from '../helpers/sparkplug-subscriber.ts';
import { waitFor } from '../helpers/wait.ts';

let sim: Simulation;
/** Per device: the model's values at each tick, to compare samples at their source time. */
const history = new Map<string, { t: number; values: Readonly<Record<string, unknown>> }[]>();

beforeAll(async () => {
  const plant = await loadPlantFile('test/fixtures/plants/sim-modbus.yaml');
  if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
  sim = await startSimulation({ plant: plant.value, ephemeralPorts: true, tickMs: 250 });
  for (const d of sim.devices.values()) {
    const id = d.device.id;
    history.set(id, [{ t: Date.now(), values: d.values() }]);
    d.on('tick', () => history.get(id)?.push({ t: Date.now(), values: d.values() }));
  }
});
afterAll(async () => {
  await sim.stop();
});

async function gatewayFor(sim: Simulation, broker: string, protocolVersion: 4 | 5, dir: string) {
  const input = gatewayConfigs(sim, { brokers: [broker] }).get('t1');
  if (!input) throw new Error('no gateway config');
  input.mqtt = { brokers: [broker], protocolVersion, reconnectMin: '100ms', reconnectMax: '500ms' };
  input.polling = { interval: '300ms', timeout: '250ms', backoffMin: '100ms', backoffMax: '500ms' };
  input.buffer = { dir };
  input.http = false;
  GatewayFile.parse(input);
  const file = path.join(dir, 'gateway.yaml');
  await writeFile(file, stringify(input));
  const loaded = await loadGatewayFile(file);
  if (!loaded.ok) throw new Error(loaded.errors.map(formatError).join('\n'));
  return loaded.value;
}

/** The model value in effect when a sample was read: the last tick at or before t (or the one before). */
function modelValues(device: string, t: number): Readonly<Record<string, unknown>>[] {
  const h = history.get(device) ?? [];
  let i = h.length - 1;
  while (i > 0 && (h[i]?.t ?? 0) > t) i--;
  return [h[i]?.values ?? {}, h[i - 1]?.values ?? {}];
}

const brokers = [
  { name: 'aedes (MQTT 3.1.1)', version: 4 as const, start: () => startAedes(), binary: undefined },
  { name: 'mosquitto (MQTT 5)', version: 5 as const, start: () => startMosquitto(), binary: mosquittoBinary },
];

for (const b of brokers) {
  describe(`end to end through ${b.name}`, () => {
    const slot = new ServerSlot(b.start, b.binary);
    const observer = new SparkplugObserver('t1');
    let gw: Gateway | undefined;
    let dir: string;
    beforeAll(async () => {
      await slot.open();
      dir = await mkdtemp(path.join(tmpdir(), 'lianwang-e2e-'));
    });
    afterAll(async () => {
      await gw?.stop().catch(() => undefined);
      await observer.close();
      await slot.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('delivers births and every sample with the model’s value at its source time', async (ctx: SkipContext) => {
      const broker = slot.get(ctx);
      await observer.connect(broker.url, b.version);
      gw = buildGateway(await gatewayFor(sim, broker.url, b.version, dir), {
        log: pino({ level: 'silent' }),
      });
      await gw.start();
      await waitFor(() => observer.count('DBIRTH') >= 4 && observer.count('DDATA') >= 20, {
        what: 'births and data',
        timeoutMs: 15_000,
      });
      const nbirth = observer.messages.find((m) => m.type === 'NBIRTH');
      expect(nbirth?.seq).toBe(0);
      expect(nbirth?.metrics.map((m) => m.name)).toEqual(
        expect.arrayContaining(['bdSeq', 'Node Control/Rebirth']),
      );
      expect(observer.seqGaps).toEqual([]);
      const dbirth = observer.messages.find((m) => m.type === 'DBIRTH' && m.device === 'meter');
      expect(dbirth?.metrics.find((m) => m.name === 'voltage_a')?.properties?.engUnit?.value).toBe('V');
      let compared = 0;
      for (const [key, byTime] of observer.samples) {
        const [device, point] = key.split('|') as [string, string];
        for (const [t, value] of byTime) {
          const candidates = modelValues(device, t).map((v) => v[point]);
          const match = candidates.some((m) =>
            typeof m === 'number' && typeof value === 'number'
              ? Math.abs(m - value) <= Math.max(1e-3, Math.abs(m) * 1e-6)
              : m === value,
          );
          expect(
            match,
            `${key} at ${t}: got ${String(value)}, model ${candidates.map(String).join(' or ')}`,
          ).toBe(true);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(100);
      // Live DATA carries aliases, not names (data buffered before the first connect is replayed
      // as historical, with names too, so a host that never saw its birth can still place it).
      const live = observer.messages.filter(
        (m) => m.type === 'DDATA' && !m.metrics.some((x) => x.isHistorical),
      );
      expect(live.length).toBeGreaterThan(10);
      for (const m of live)
        expect(m.metrics.every((x) => x.name === undefined && x.alias !== undefined)).toBe(true);
      const historical = observer.messages.filter(
        (m) => m.type === 'DDATA' && m.metrics.some((x) => x.isHistorical),
      );
      for (const m of historical)
        expect(m.metrics.every((x) => x.isHistorical && x.name !== undefined)).toBe(true);
    });

    it('answers a rebirth command with NBIRTH and every DBIRTH', async () => {
      const before = observer.count('NBIRTH');
      const births = observer.count('DBIRTH');
      await observer.rebirth('t1-gw');
      await waitFor(() => observer.count('NBIRTH') === before + 1 && observer.count('DBIRTH') >= births + 4, {
        what: 'rebirth',
      });
      expect(observer.seqGaps).toEqual([]);
    });

    it('publishes NDEATH with the NBIRTH’s bdSeq on a graceful stop', async () => {
      await gw?.stop();
      gw = undefined;
      await waitFor(() => observer.count('NDEATH') >= 1, { what: 'NDEATH' });
      const birth = observer.messages.filter((m) => m.type === 'NBIRTH').at(-1);
      const death = observer.messages.find((m) => m.type === 'NDEATH');
      const bdSeq = (m: typeof birth) => m?.metrics.find((x) => x.name === 'bdSeq')?.value;
      expect(bdSeq(death)).toBe(bdSeq(birth));
      expect(typeof bdSeq(birth)).toBe('bigint');
    });
  });
}

describe('plain-JSON mode', () => {
  it('publishes one JSON object per poll on lianwang/{enterprise}/{device}/data', async () => {
    const broker = await startAedes();
    const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-json-'));
    const { connectMqtt } = await import('../helpers/mqtt.ts');
    const sub = await connectMqtt(broker.url, 4);
    const got: { topic: string; data: Record<string, unknown> }[] = [];
    sub.on('message', (topic, payload) =>
      got.push({ topic, data: JSON.parse(payload.toString()) as Record<string, unknown> }),
    );
    await sub.subscribeAsync('lianwang/#', { qos: 1 });
    const resolved = await gatewayFor(sim, broker.url, 4, dir);
    resolved.config.sparkplug.mode = 'json';
    const gw = buildGateway(resolved, { log: pino({ level: 'silent' }) });
    try {
      await gw.start();
      await waitFor(() => got.filter((m) => m.topic === 'lianwang/t1/meter/data').length >= 3, {
        what: 'JSON data',
      });
      const m = got.find((x) => x.topic === 'lianwang/t1/meter/data')?.data as {
        device: string;
        values: Record<string, unknown>;
        times: Record<string, number>;
      };
      expect(m.device).toBe('meter');
      const t = m.times.voltage_a ?? 0;
      const candidates = modelValues('meter', t).map((v) => v.voltage_a);
      expect(
        candidates.some((c) => typeof c === 'number' && Math.abs(c - Number(m.values.voltage_a)) < 1e-3),
      ).toBe(true);
      expect(got.some((x) => x.topic === 'lianwang/t1/meter/status')).toBe(true);
    } finally {
      await gw.stop();
      await sub.endAsync();
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
