/**
 * The Modbus driver against the simulator: values equal the models', exceptions and outages
 * mark points bad with a reason, and a hung, garbled or refusing device does not disturb
 * the poll interval of healthy devices.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type CollectDevice, formatError, loadGatewayFile, loadPlantFile } from '../../config/index.ts';
import { createModbusDriver } from '../../gateway/drivers/modbus/driver.ts';
import type { DeviceStatus, Driver, Reading } from '../../gateway/drivers/types.ts';
import { gatewayConfigs } from '../../simulators/runtime/emit.ts';
import { type Simulation, startSimulation } from '../../simulators/runtime/simulation.ts';
import { waitFor } from '../helpers/wait.ts';

let sim: Simulation;
let dir: string;
let devices: CollectDevice[];
const silent = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

beforeAll(async () => {
  const plant = await loadPlantFile('test/fixtures/plants/sim-modbus.yaml');
  if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
  sim = await startSimulation({ plant: plant.value, ephemeralPorts: true, tickMs: 3_600_000 });
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-gw-'));
  const config = gatewayConfigs(sim).get('t1');
  if (!config) throw new Error('no gateway config');
  config.polling = { interval: '200ms', timeout: '150ms', backoffMin: '100ms', backoffMax: '400ms' };
  await writeFile(path.join(dir, 'gw.yaml'), stringify(config));
  const gw = await loadGatewayFile(path.join(dir, 'gw.yaml'));
  if (!gw.ok) throw new Error(gw.errors.map(formatError).join('\n'));
  devices = gw.value.devices;
});
afterAll(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

function collect() {
  const last = new Map<string, Reading[]>();
  const status = new Map<string, DeviceStatus>();
  const driver: Driver = createModbusDriver({
    devices,
    sink: { readings: (d, r) => last.set(d, r), status: (d, s) => status.set(d, s) },
    log: silent,
    timeoutMs: 150,
    backoffMinMs: 100,
    backoffMaxMs: 400,
    maxGap: 16,
    dataDir: dir,
  });
  return { driver, last, status };
}

describe('Modbus driver', () => {
  it('reads every point with the model’s value and source time; devices go online', async () => {
    const { driver, last, status } = collect();
    await driver.start();
    try {
      await waitFor(() => last.size === 5 && [...status.values()].every((s) => s.state === 'online'), {
        what: 'five devices online',
      });
      for (const [key, readings] of last) {
        const model = sim.devices.get(key)?.values() ?? {};
        for (const r of readings) {
          expect(r.good, `${key} ${r.point}`).toBe(true);
          const m = model[r.point];
          if (typeof m === 'number' && typeof r.value === 'number') expect(r.value).toBeCloseTo(m, 2);
          else expect(r.value).toEqual(m);
          expect(Math.abs(r.time - Date.now())).toBeLessThan(5000);
        }
      }
      expect(last.get('t1/meter')?.map((r) => r.point)).toContain('torque');
    } finally {
      await driver.stop();
    }
  });

  it('marks points bad with a reason on exceptions and outages, and recovers', async () => {
    const { driver, last, status } = collect();
    await driver.start();
    try {
      await waitFor(() => status.get('t1/press-a')?.state === 'online', { what: 'press-a online' });
      sim.faults.inject({ device: 'press-a', type: 'exception', exceptionCode: 4 });
      await waitFor(() => status.get('t1/press-a')?.state === 'offline', { what: 'press-a offline' });
      expect(status.get('t1/press-a')?.reason).toMatch(/^exception 04 reading/);
      expect(last.get('t1/press-a')?.every((r) => !r.good && r.value === null)).toBe(true);
      expect(status.get('t1/press-b')?.state).toBe('online');
      sim.faults.clear('press-a');
      sim.faults.inject({ device: 'furnace', type: 'offline' });
      await waitFor(() => status.get('t1/furnace')?.state === 'offline', { what: 'furnace offline' });
      // Refused on reconnect; under load the request in flight may time out first (150 ms here).
      expect(status.get('t1/furnace')?.reason).toMatch(/ECONNREFUSED|reconnecting|timeout after 150ms/);
      sim.faults.clear('furnace');
      await waitFor(
        () => status.get('t1/furnace')?.state === 'online' && status.get('t1/press-a')?.state === 'online',
        {
          what: 'both back online',
        },
      );
    } finally {
      // A failed assertion above must not leave faults behind for the next test.
      sim.faults.clear('press-a');
      sim.faults.clear('furnace');
      await driver.stop();
    }
  });

  it('keeps healthy devices on interval while others hang, garble or refuse', async () => {
    const { driver, status } = collect();
    await driver.start();
    try {
      await waitFor(() => [...status.values()].filter((s) => s.state === 'online').length === 5, {
        what: 'all online',
      });
      sim.faults.inject({ device: 'furnace', type: 'hang' });
      sim.faults.inject({ device: 'press-b', type: 'garbage' });
      sim.faults.inject({ device: 'belt', type: 'offline' }); // its own port: connections refused
      const meter = driver.counters().get('t1/meter') as { intervalsMs: number[]; polls: number } | undefined;
      const before = meter?.polls ?? 0;
      await waitFor(() => (meter?.polls ?? 0) >= before + 15, { what: '15 meter polls', timeoutMs: 10_000 });
      const recent = meter?.intervalsMs.slice(-12) ?? [];
      const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
      expect(Math.abs(mean - 200) / 200).toBeLessThan(0.1);
      expect(status.get('t1/furnace')?.state).toBe('offline');
      expect(status.get('t1/belt')?.state).toBe('offline');
      expect(status.get('t1/meter')?.state).toBe('online');
    } finally {
      sim.faults.clear('furnace');
      sim.faults.clear('press-b');
      sim.faults.clear('belt');
      await driver.stop();
    }
  });
});
