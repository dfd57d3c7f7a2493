/**
 * Every fault type as a Modbus client sees it (modbus-serial, the library gateways build on),
 * and the ground-truth log matching a fault timeline.
 */
import modbusSerial from 'modbus-serial';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatError, loadPlantText } from '../../config/index.ts';
import { type Simulation, startSimulation } from '../../simulators/runtime/simulation.ts';
import { waitFor } from '../helpers/wait.ts';
import { readFile } from 'node:fs/promises';

// modbus-serial is CommonJS with an ES-style `export default` in its typings: under NodeNext
// the class is the module's `default` property (the package sets module.exports.default too).
const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

let sim: Simulation;
const clients: ModbusRTU[] = [];

async function client(configured: number, unit: number, timeoutMs = 400): Promise<ModbusRTU> {
  const c = new ModbusRTU();
  await c.connectTCP('::1', { port: sim.ports.get(configured) ?? 0 });
  c.setID(unit);
  c.setTimeout(timeoutMs);
  clients.push(c);
  return c;
}
const modbusCode = (err: unknown) => (err as { modbusCode?: number }).modbusCode;
const failure = async (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err as Error & { modbusCode?: number; code?: string },
  );

beforeAll(async () => {
  const base = await readFile('test/fixtures/plants/sim-modbus.yaml', 'utf8');
  const timeline = `
faults:
  - { at: 1s, device: meter, fault: offline, for: 1s }
  - { at: 3s, device: meter, fault: hang, for: 500ms }
`;
  const plant = loadPlantText(base + timeline, 'sim-modbus.yaml');
  if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
  sim = await startSimulation({ plant: plant.value, ephemeralPorts: true, tickMs: 50 });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close(() => undefined);
  for (const d of ['furnace', 'press-a']) sim.faults.clear(d);
});
afterAll(async () => {
  await sim.stop();
});

describe('Modbus faults seen by a client', () => {
  it('hang: the request times out, the connection stays open', async () => {
    const c = await client(2, 1, 300);
    sim.faults.inject({ device: 'furnace', type: 'hang' });
    const err = await failure(c.readInputRegisters(0, 2));
    expect(err?.message).toMatch(/Timed out/i);
    expect(c.isOpen).toBe(true);
  });

  it('exception 04 and 06, and bad-status as 04', async () => {
    const c = await client(2, 1);
    sim.faults.inject({ device: 'furnace', type: 'exception', exceptionCode: 6 });
    expect(modbusCode(await failure(c.readInputRegisters(0, 2)))).toBe(6);
    sim.faults.clear('furnace');
    sim.faults.inject({ device: 'furnace', type: 'bad-status' });
    expect(modbusCode(await failure(c.readInputRegisters(0, 2)))).toBe(4);
    sim.faults.clear('furnace');
    expect((await c.readInputRegisters(0, 2)).data).toHaveLength(2);
  });

  it('offline on its own port: connections are refused until it returns', async () => {
    const c = await client(2, 1);
    sim.faults.inject({ device: 'furnace', type: 'offline' });
    await waitFor(() => !c.isOpen, { what: 'the server to drop the connection', timeoutMs: 2000 });
    const refused = await failure(client(2, 1));
    expect(refused?.code ?? refused?.message).toMatch(/ECONNREFUSED/);
    sim.faults.clear('furnace', 'offline');
    await waitFor(async () => Boolean(await client(2, 1).catch(() => undefined)), {
      what: 'the port to listen again',
    });
  });

  it('offline behind a shared port: 0x0B for that unit, the other unit still answers', async () => {
    const a = await client(3, 1);
    const b = await client(3, 2);
    sim.faults.inject({ device: 'press-a', type: 'offline' });
    expect(modbusCode(await failure(a.readInputRegisters(0, 2)))).toBe(0x0b);
    expect((await b.readInputRegisters(0, 2)).data).toHaveLength(2);
  });

  it('slow: answers arrive after the added latency', async () => {
    const c = await client(2, 1, 2000);
    sim.faults.inject({ device: 'furnace', type: 'slow', latencyMs: 300 });
    const t0 = performance.now();
    await c.readInputRegisters(0, 2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('garbage: the client gets no value', async () => {
    sim.faults.inject({ device: 'furnace', type: 'garbage' });
    for (let i = 0; i < 3; i++) {
      const c = await client(2, 1, 300);
      const err = await failure(c.readInputRegisters(0, 4));
      expect(err).toBeInstanceOf(Error);
    }
  });

  it('value faults: stuck values freeze, NaN floats, out-of-range values', async () => {
    const furnace = sim.devices.get('t1/furnace');
    if (!furnace) throw new Error('no furnace');
    sim.faults.inject({ device: 'furnace', type: 'nan' });
    const c = await client(2, 1);
    const words = (await c.readInputRegisters(4, 2)).data; // preheat_temp float32 ABCD
    const buf = Buffer.alloc(4);
    buf.writeUInt16BE(words[0] ?? 0, 0);
    buf.writeUInt16BE(words[1] ?? 0, 2);
    expect(buf.readFloatBE(0)).toBeNaN();
    sim.faults.clear('furnace');
    sim.faults.inject({ device: 'furnace', type: 'out-of-range' });
    expect(Number(furnace.values().soak_temp)).toBeGreaterThan(1400);
    sim.faults.clear('furnace');
    sim.faults.inject({ device: 'furnace', type: 'stuck' });
    const frozen = { ...furnace.values() };
    const t = sim.clock.now;
    await waitFor(() => sim.clock.now > t + 500, { what: 'ten ticks' });
    expect(furnace.values()).toEqual(frozen);
  });

  it('restart: connections drop, the port serves again after downMs', async () => {
    const c = await client(2, 1);
    sim.faults.inject({ device: 'furnace', type: 'restart', downMs: 300 });
    await waitFor(() => !c.isOpen, { what: 'the restart to drop the connection', timeoutMs: 2000 });
    await waitFor(async () => Boolean(await client(2, 1).catch(() => undefined)), {
      what: 'the port to serve again',
    });
    const truth = sim.truth.entries.filter((e) => e.device === 't1/furnace').slice(-2);
    expect(truth.map((e) => [e.reachable, e.cause])).toEqual([
      [false, 'server restarting'],
      [true, 'server restarted'],
    ]);
  });
});

describe('ground truth', () => {
  it('follows the plant timeline: meter offline 1s→2s, hung 3s→3.5s (simulated time)', async () => {
    await waitFor(() => sim.clock.now > 3700, { what: 'the timeline to play', timeoutMs: 10_000 });
    const of = (key: string) =>
      sim.truth.entries.filter((e) => e.device === key).map((e) => [e.reachable, e.cause]);
    expect(of('t1/meter')).toEqual([
      [true, 'simulation started'],
      [false, 'offline'],
      [true, 'offline cleared'],
      [false, 'hang'],
      [true, 'hang cleared'],
    ]);
    const [down, up] = sim.truth.entries.filter((e) => e.device === 't1/meter').slice(1, 3);
    expect((up?.sim ?? 0) - (down?.sim ?? 0)).toBeGreaterThanOrEqual(1);
    expect((up?.sim ?? 0) - (down?.sim ?? 0)).toBeLessThan(1.2);
    expect(sim.truth.reachableIntervals('t1/meter')).toHaveLength(3);
  });
});
