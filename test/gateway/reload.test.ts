/** SIGHUP semantics: a new device list is taken without dropping the MQTT session. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatError, loadGatewayFile, loadPlantFile, type ResolvedGateway } from '../../config/index.ts';
import { buildGateway } from '../../gateway/app.ts';
import { gatewayConfigs } from '../../simulators/runtime/emit.ts';
import { startSimulation } from '../../simulators/runtime/simulation.ts';
import { startAedes } from '../helpers/aedes.ts';
import { SparkplugObserver } from '../helpers/sparkplug-subscriber.ts';
import { waitFor } from '../helpers/wait.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

describe('reload', () => {
  it('adds devices with a rebirth on the same connection; other changes are refused', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-reload-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const plant = await loadPlantFile('test/fixtures/plants/sim-modbus.yaml');
    if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
    const sim = await startSimulation({ plant: plant.value, ephemeralPorts: true, tickMs: 500 });
    cleanup.push(() => sim.stop());
    const broker = await startAedes();
    cleanup.push(() => broker.stop());
    const observer = new SparkplugObserver('t1');
    await observer.connect(broker.url, 4);
    cleanup.push(() => observer.close());

    const load = async (ids: string[], brokers = [broker.url]): Promise<ResolvedGateway> => {
      const input = gatewayConfigs(sim, { brokers }).get('t1');
      if (!input) throw new Error('no config');
      input.gateway.devices = input.gateway.devices?.filter((d) => ids.includes(d.id));
      input.polling = { interval: '300ms' };
      input.buffer = { dir: path.join(dir, 'gw') };
      input.http = false;
      await writeFile(path.join(dir, 'gw.yaml'), stringify(input));
      const r = await loadGatewayFile(path.join(dir, 'gw.yaml'));
      if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
      return r.value;
    };
    const gw = buildGateway(await load(['meter', 'furnace']), { log: pino({ level: 'silent' }) });
    await gw.start();
    cleanup.push(() => gw.stop());
    await waitFor(() => observer.count('DBIRTH') >= 2, { what: 'two devices born' });
    expect(observer.count('DBIRTH', 'press-a')).toBe(0);

    expect(await gw.reload(await load(['meter', 'furnace', 'press-a', 'press-b']))).toBe(true);
    await waitFor(
      () => observer.count('DBIRTH', 'press-a') >= 1 && observer.count('DBIRTH', 'press-b') >= 1,
      {
        what: 'the new devices born',
      },
    );
    expect(observer.count('NBIRTH')).toBe(2);
    expect(observer.count('NDEATH')).toBe(0);
    expect(gw.north().connects).toBe(1);
    expect(observer.seqGaps).toEqual([]);
    expect([...gw.states().keys()].sort()).toEqual(['t1/furnace', 't1/meter', 't1/press-a', 't1/press-b']);

    expect(await gw.reload(await load(['meter'], [broker.url, 'mqtt://[::1]:1']))).toBe(false);
  });
});
