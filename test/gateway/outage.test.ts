/**
 * Store-and-forward through an uplink outage: the gateway reaches mosquitto through a proxy
 * that the test cuts (connections dropped, new ones refused) while the gateway polls; the
 * readings go to the disk queue, and once the broker is reachable again they are replayed in
 * order as historical data. The observer, connected to the broker directly, ends up with
 * exactly the samples the gateway forwarded. (Broker restarts are in the chaos suite.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatError, loadGatewayFile, loadPlantFile } from '../../config/index.ts';
import { buildGateway, type Gateway } from '../../gateway/app.ts';
import { gatewayConfigs } from '../../simulators/runtime/emit.ts';
import { type Simulation, startSimulation } from '../../simulators/runtime/simulation.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../helpers/mosquitto.ts';
import { CuttableProxy } from '../helpers/proxy.ts';
import { SparkplugObserver } from '../helpers/sparkplug-subscriber.ts';
import { tool } from '../helpers/tools.ts';
import { waitFor } from '../helpers/wait.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

describe('broker outage', () => {
  it('loses no sample: queued on disk, replayed in order after the broker returns', async (ctx) => {
    tool(ctx, mosquittoBinary.name, mosquittoBinary.installHint);
    const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-outage-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const broker: Mosquitto = await startMosquitto();
    cleanup.push(() => broker.stop());
    const uplink = new CuttableProxy({ host: '::1', port: broker.port });
    await uplink.restore();
    cleanup.push(() => uplink.cut());

    const plant = await loadPlantFile('test/fixtures/plants/sim-modbus.yaml');
    if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
    const sim: Simulation = await startSimulation({ plant: plant.value, ephemeralPorts: true, tickMs: 250 });
    cleanup.push(() => sim.stop());

    const observer = new SparkplugObserver('t1');
    await observer.connect(broker.url, 5);
    cleanup.push(() => observer.close());

    const input = gatewayConfigs(sim, { brokers: [uplink.url] }).get('t1');
    if (!input) throw new Error('no config');
    input.mqtt = { brokers: [uplink.url], protocolVersion: 5, reconnectMin: '100ms', reconnectMax: '400ms' };
    input.polling = { interval: '300ms', timeout: '250ms' };
    input.buffer = { dir: path.join(dir, 'gw') };
    input.http = false;
    await writeFile(path.join(dir, 'gw.yaml'), stringify(input));
    const loaded = await loadGatewayFile(path.join(dir, 'gw.yaml'));
    if (!loaded.ok) throw new Error(loaded.errors.map(formatError).join('\n'));
    const gw: Gateway = buildGateway(loaded.value, { log: pino({ level: 'silent' }) });
    await gw.start();
    cleanup.push(() => gw.stop());

    await waitFor(() => observer.count('DDATA') >= 10, { what: 'live data' });
    await uplink.cut();
    const down = Date.now();
    await waitFor(() => gw.queue().entries >= 20 && Date.now() - down > 2000, {
      what: 'readings queued on disk',
    });
    expect(gw.north().connected).toBe(false);
    await uplink.restore();
    await waitFor(() => gw.north().connected && gw.queue().entries === 0, {
      what: 'the backlog replayed',
      timeoutMs: 20_000,
    });
    expect(gw.north().pointsReplayed).toBeGreaterThan(0);

    await gw.stop();
    // The gateway counts by `<enterprise>/<device>|<point>`; Sparkplug names the device only.
    const forwarded = new Map([...gw.sampleCounts().forwarded].map(([k, n]) => [k.replace(/^t1\//, ''), n]));
    await waitFor(() => [...forwarded].every(([key, n]) => (observer.samples.get(key)?.size ?? 0) >= n), {
      what: 'every forwarded sample at the observer',
      timeoutMs: 10_000,
    }).catch((err: unknown) => {
      const missing = [...forwarded]
        .filter(([key, n]) => (observer.samples.get(key)?.size ?? 0) < n)
        .map(([key, n]) => `${key}: ${observer.samples.get(key)?.size ?? 0}/${n}`);
      throw new Error(
        `${(err as Error).message}; missing: ${missing.slice(0, 3).join(', ')}; north ${JSON.stringify(gw.north())}; queue ${JSON.stringify(gw.queue())}; observer errors ${observer.errors.slice(0, 3).join(' / ')}; meter msgs ${observer.messages
          .filter((m) => m.device === 'meter')
          .map((m) => m.type + (m.metrics.some((x) => x.isHistorical) ? 'h' : '') + m.metrics.length)
          .join(',')}; other ${observer.messages
          .filter((m) => m.device === 'furnace')
          .map((m) => m.type + (m.metrics.some((x) => x.isHistorical) ? 'h' : '') + m.metrics.length)
          .join(',')}; meter times ${[...(observer.samples.get('meter|voltage_a')?.keys() ?? [])].join(',')}`,
      );
    });
    for (const [key, n] of forwarded) expect(observer.samples.get(key)?.size, key).toBe(n);
    expect(gw.queue().droppedEntries).toBe(0);

    // The backlog arrived in order, per device.
    const historical = observer.messages.filter(
      (m) => m.type === 'DDATA' && m.metrics.some((x) => x.isHistorical),
    );
    expect(historical.length).toBeGreaterThan(5);
    const lastTime = new Map<string, number>();
    for (const m of historical) {
      const t = Math.min(...m.metrics.map((x) => x.timestamp ?? 0));
      expect(t, `${m.device} replayed out of order`).toBeGreaterThanOrEqual(
        lastTime.get(m.device ?? '') ?? 0,
      );
      lastTime.set(m.device ?? '', t);
    }
  });
});
