/**
 * kill -9 of the gateway during an uplink outage, then a restart: what the first process read
 * and queued on disk before it died is delivered after the uplink returns, in order.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatError, loadPlantFile } from '../../config/index.ts';
import { gatewayConfigs } from '../../simulators/runtime/emit.ts';
import { type Simulation, startSimulation } from '../../simulators/runtime/simulation.ts';
import { mosquittoBinary, startMosquitto } from '../helpers/mosquitto.ts';
import { type ManagedProcess, startProcess } from '../helpers/process.ts';
import { CuttableProxy } from '../helpers/proxy.ts';
import { SparkplugObserver } from '../helpers/sparkplug-subscriber.ts';
import { tool } from '../helpers/tools.ts';
import { waitFor } from '../helpers/wait.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

describe('gateway crash', () => {
  it('kill -9 during an outage loses nothing that was queued', async (ctx) => {
    tool(ctx, mosquittoBinary.name, mosquittoBinary.installHint);
    const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-crash-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const uplink = new CuttableProxy({ host: '::1', port: broker.port });
    await uplink.restore();
    cleanup.push(() => uplink.cut());
    const plant = await loadPlantFile('test/fixtures/plants/sim-modbus.yaml');
    if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
    const sim: Simulation = await startSimulation({ plant: plant.value, ephemeralPorts: true, tickMs: 100 });
    cleanup.push(() => sim.stop());
    const observer = new SparkplugObserver('t1');
    await observer.connect(broker.url, 5);
    cleanup.push(() => observer.close());

    const input = gatewayConfigs(sim, { brokers: [uplink.url] }).get('t1');
    if (!input) throw new Error('no config');
    input.mqtt = { brokers: [uplink.url], protocolVersion: 5, reconnectMin: '100ms', reconnectMax: '300ms' };
    input.polling = { interval: '200ms', timeout: '150ms' };
    input.buffer = { dir: path.join(dir, 'gw') };
    input.http = false;
    const file = path.join(dir, 'gw.yaml');
    await writeFile(file, stringify(input));
    const gateway = (): ManagedProcess =>
      startProcess('gateway', process.execPath, ['bin/lianwang.js', 'gateway', file], {
        env: { ...process.env, LOG_LEVEL: 'warn' },
      });

    let gw = gateway();
    cleanup.push(() => gw.stop());
    await waitFor(() => observer.count('DDATA') >= 5, {
      what: 'live data from the gateway',
      timeoutMs: 20_000,
    });
    const cutAt = Date.now();
    await uplink.cut();
    await waitFor(() => Date.now() - cutAt > 1500, { what: 'readings to queue', intervalMs: 100 });
    gw.child.kill('SIGKILL');
    await gw.exited;
    const killedAt = Date.now();
    gw = gateway();
    await waitFor(() => Date.now() - killedAt > 3000, {
      what: 'the restarted gateway to queue',
      intervalMs: 100,
    });
    const restoredAt = Date.now();
    await uplink.restore();
    await waitFor(
      () => [...(observer.samples.get('meter|voltage_a')?.keys() ?? [])].some((t) => t > restoredAt),
      { what: 'live data after the outage', timeoutMs: 20_000 },
    );
    await waitFor(() => observer.count('DDATA') > 0, { what: 'replay' });
    await gw.stop();

    const times = [...(observer.samples.get('meter|voltage_a')?.keys() ?? [])].sort((a, b) => a - b);
    const during = (from: number, to: number) => times.filter((t) => t > from && t < to).length;
    // Read by the first process after the cut and queued before kill -9: delivered.
    expect(during(cutAt, killedAt)).toBeGreaterThanOrEqual(4);
    // Read by the second process before the uplink returned: delivered too.
    expect(during(killedAt, restoredAt)).toBeGreaterThanOrEqual(3);
    // Nothing missing inside each process's life: no gap longer than a few poll intervals.
    const gaps = times.slice(1).map((t, i) => [times[i] ?? 0, t] as const);
    const longGaps = gaps.filter(([a, b]) => b - a > 1000 && !(a < killedAt && b > killedAt));
    expect(longGaps).toEqual([]);
    expect(observer.errors).toEqual([]);
  });
});
