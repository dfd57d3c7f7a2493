/**
 * Independent Modbus clients against the simulator: mbpoll (Debian) and pymodbus read the
 * values the models report, over IPv4 and IPv6, decode CDAB and ABCD words, and write a
 * setpoint the model then follows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError, loadPlantFile } from '../../config/index.ts';
import type { SimDevice } from '../../simulators/device.ts';
import { type Simulation, startSimulation } from '../../simulators/runtime/simulation.ts';
import { run, tool } from '../helpers/tools.ts';

let sim: Simulation;
const port = (configured: number) => String(sim.ports.get(configured));
const device = (id: string): SimDevice => {
  const d = sim.devices.get(`t1/${id}`);
  if (!d) throw new Error(`no device ${id}`);
  return d;
};
const num = (v: unknown) => Number(v);

beforeAll(async () => {
  const plant = await loadPlantFile('test/fixtures/plants/sim-modbus.yaml');
  if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
  // One tick per hour: values stay put while clients read them.
  sim = await startSimulation({ plant: plant.value, ephemeralPorts: true, tickMs: 3_600_000 });
});
afterAll(async () => {
  await sim.stop();
});

/** mbpoll prints `[ref]: value` per register. */
const mbpollValues = (stdout: string) => [...stdout.matchAll(/^\[\d+\]:\s+(\S+)/gm)].map((m) => m[1] ?? '');

describe('mbpoll', () => {
  for (const host of ['127.0.0.1', '::1']) {
    it(`reads input and holding registers over ${host}`, async (ctx) => {
      const mbpoll = tool(ctx, 'mbpoll', 'apt-get install -y mbpoll');
      const furnace = device('furnace');
      // input 0 = state, 1 = fault_code; holding 0–1 = soak_temp_sp float32 ABCD (-B: big-endian words)
      const inputs = await run(mbpoll, [
        '-m',
        'tcp',
        '-p',
        port(2),
        '-a',
        '1',
        '-t',
        '3',
        '-0',
        '-r',
        '0',
        '-c',
        '2',
        '-1',
        host,
      ]);
      expect(inputs.code, inputs.stderr).toBe(0);
      const { MACHINE_STATES } = await import('../../config/index.ts');
      expect(mbpollValues(inputs.stdout).map(Number)).toEqual([
        MACHINE_STATES.indexOf(furnace.machine),
        furnace.faultCode,
      ]);
      const sp = await run(mbpoll, [
        '-m',
        'tcp',
        '-p',
        port(2),
        '-a',
        '1',
        '-t',
        '4:float',
        '-B',
        '-0',
        '-r',
        '0',
        '-1',
        host,
      ]);
      expect(sp.code, sp.stderr).toBe(0);
      expect(Number(mbpollValues(sp.stdout)[0])).toBeCloseTo(num(furnace.values().soak_temp_sp), 1);
    });
  }

  it('decodes a CDAB float (mbpoll default word order) from the power meter', async (ctx) => {
    const mbpoll = tool(ctx, 'mbpoll', 'apt-get install -y mbpoll');
    const r = await run(mbpoll, [
      '-m',
      'tcp',
      '-p',
      port(1),
      '-a',
      '1',
      '-t',
      '3:float',
      '-0',
      '-r',
      '2',
      '-1',
      '::1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(Number(mbpollValues(r.stdout)[0])).toBeCloseTo(num(device('meter').values().voltage_a), 1);
  });

  it('reaches each unit behind a shared port', async (ctx) => {
    const mbpoll = tool(ctx, 'mbpoll', 'apt-get install -y mbpoll');
    const r = await run(mbpoll, [
      '-m',
      'tcp',
      '-p',
      port(3),
      '-a',
      '2',
      '-t',
      '3:float',
      '-B',
      '-0',
      '-r',
      '2',
      '-1',
      '127.0.0.1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(Number(mbpollValues(r.stdout)[0])).toBeCloseTo(num(device('press-b').values().oil_pressure), 3);
  });
});

describe('pymodbus', () => {
  const py = async (ctx: Parameters<typeof tool>[0], configured: number, unit: number, ops: object[]) => {
    const python = tool(ctx, 'python3', 'apt-get install -y python3-pymodbus');
    // Debian's python3 sees python3-pymodbus; a pyenv python3 on PATH does not.
    const exe = python.startsWith('/usr/bin/') ? python : '/usr/bin/python3';
    const r = await run(exe, [
      'test/fixtures/pymodbus_client.py',
      '::1',
      port(configured),
      String(unit),
      JSON.stringify(ops),
    ]);
    if (r.code !== 0 && /No module named 'pymodbus'/.test(r.stderr)) {
      if (process.env.CI === 'true') throw new Error('pymodbus missing: apt-get install -y python3-pymodbus');
      ctx.skip("pymodbus not found: install it with 'apt-get install -y python3-pymodbus'");
    }
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>[];
  };

  it('decodes a float32 CDAB and an int32 ABCD point to the model values', async (ctx) => {
    const meter = device('meter');
    const [voltage, torque] = await py(ctx, 1, 1, [
      { op: 'read_float32', table: 'input', address: 2, order: 'CDAB' },
      { op: 'read_int32', table: 'input', address: 200, order: 'ABCD' },
    ]);
    expect(voltage?.value).toBe(Math.fround(num(meter.values().voltage_a)));
    expect(torque?.value).toBe(meter.values().torque);
    expect(typeof torque?.value).toBe('number');
  });

  it('writes a setpoint that the model takes, and reads it back', async (ctx) => {
    const furnace = device('furnace');
    const target = furnace.values().soak_temp_sp === 1180 ? 1150 : 1180;
    const [write, back] = await py(ctx, 2, 1, [
      { op: 'write_float32', address: 0, value: target, order: 'ABCD' },
      { op: 'read_float32', table: 'holding', address: 0, order: 'ABCD' },
    ]);
    expect(write).toEqual({ ok: true });
    expect(back?.value).toBe(target);
    expect(furnace.values().soak_temp_sp).toBe(target);
  });

  it('answers exception 02 outside the map and 03 for a setpoint out of range', async (ctx) => {
    const [outside, tooHot] = await py(ctx, 2, 1, [
      { op: 'read_raw', table: 'holding', address: 500, count: 1 },
      { op: 'write_float32', address: 0, value: 5000, order: 'ABCD' },
    ]);
    expect(outside?.exception).toBe(2);
    expect(tooHot?.exception).toBe(3);
  });
});
