/** The simulator's control API over HTTP, and `lianwang sim fault|clear` against it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError, loadPlantFile } from '../../config/index.ts';
import { type ControlServer, startControlServer } from '../../simulators/control/http.ts';
import { type Simulation, startSimulation } from '../../simulators/runtime/simulation.ts';
import { run } from '../helpers/tools.ts';

let sim: Simulation;
let control: ControlServer;

beforeAll(async () => {
  const plant = await loadPlantFile('test/fixtures/plants/sim-modbus.yaml');
  if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
  sim = await startSimulation({ plant: plant.value, ephemeralPorts: true, tickMs: 100 });
  control = await startControlServer(sim, { port: 0 });
});
afterAll(async () => {
  await control.close();
  await sim.stop();
});

const api = async (method: string, route: string, body?: unknown) => {
  const res = await fetch(`${control.url}${route}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
};

describe('control API', () => {
  it('binds loopback IPv6 and lists the devices with their addresses', async () => {
    expect(control.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const { status, body } = await api('GET', '/devices');
    expect(status).toBe(200);
    const devices = body as { device: string; protocol: string; address: string; reachable: boolean }[];
    expect(devices.map((d) => d.device).sort()).toEqual([
      't1/belt',
      't1/furnace',
      't1/meter',
      't1/press-a',
      't1/press-b',
    ]);
    const meter = devices.find((d) => d.device === 't1/meter');
    expect(meter).toMatchObject({ protocol: 'modbus-tcp', reachable: true });
    expect(meter?.address).toBe(`[::1]:${sim.ports.get(1)}#1`);
  });

  it('injects, lists and clears faults; the ground truth follows', async () => {
    const created = await api('POST', '/faults', {
      device: 'press-a',
      fault: 'exception',
      exceptionCode: 6,
      for: '10m',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      device: 't1/press-a',
      spec: { type: 'exception', exceptionCode: 6 },
    });
    expect((await api('GET', '/faults')).body).toHaveLength(1);
    expect((await api('DELETE', '/faults?device=t1/press-a')).body).toEqual({ cleared: 1 });
    const truth = (await api('GET', '/ground-truth')).body as {
      device: string;
      reachable: boolean;
      cause: string;
    }[];
    expect(truth.filter((e) => e.device === 't1/press-a').map((e) => [e.reachable, e.cause])).toEqual([
      [true, 'simulation started'],
      [false, 'exception'],
      [true, 'all faults cleared'],
    ]);
  });

  it('rejects bad requests with a coded error naming the field', async () => {
    expect(await api('POST', '/faults', { device: 'press-a', fault: 'melt' })).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request' } },
    });
    expect(await api('POST', '/faults', { device: 'nope', fault: 'hang' })).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown_device', message: 'no device "nope" in the plant' } },
    });
    expect(await api('POST', '/faults', { device: 'meter', fault: 'hang', for: 'soon' })).toMatchObject({
      status: 400,
    });
    expect((await api('GET', '/nowhere')).status).toBe(404);
    const big = await fetch(`${control.url}/faults`, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(big.status).toBe(413);
  });
});

describe('lianwang sim fault|clear', () => {
  it('injects and clears through the control API', async () => {
    const fault = await run('node', [
      'bin/lianwang.js',
      'sim',
      'fault',
      'meter',
      'slow',
      '--latency',
      '50',
      '--for',
      '5m',
      '--control',
      control.url,
    ]);
    expect(fault.code, fault.stderr).toBe(0);
    expect(sim.devices.get('t1/meter')?.fault('slow')).toEqual({ type: 'slow', latencyMs: 50 });
    const clear = await run('node', ['bin/lianwang.js', 'sim', 'clear', 'meter', '--control', control.url]);
    expect(clear.code, clear.stderr).toBe(0);
    expect(sim.devices.get('t1/meter')?.faults.size).toBe(0);
  });

  it('says so when no simulator is listening', async () => {
    const r = await run('node', [
      'bin/lianwang.js',
      'sim',
      'fault',
      'meter',
      'hang',
      '--control',
      'http://[::1]:9',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot reach the simulator's control API at http://[::1]:9");
  });
});

describe('--emit-gateway-config', () => {
  it('writes one valid gateway file per enterprise with the served addresses', async () => {
    const { gatewayConfigs } = await import('../../simulators/runtime/emit.ts');
    const { GatewayFile } = await import('../../config/model/gateway.ts');
    const configs = gatewayConfigs(sim, { brokers: ['mqtt://[::1]:1883'] });
    expect([...configs.keys()]).toEqual(['t1']);
    const parsed = GatewayFile.parse(configs.get('t1'));
    expect(parsed.gateway).toMatchObject({ group: 't1', node: 't1-gw' });
    const meter = parsed.gateway.devices?.find((d) => d.id === 'meter');
    expect(meter?.connectivity).toMatchObject({
      type: 'modbus-tcp',
      host: '::1',
      port: sim.ports.get(1),
      unitId: 1,
    });
    expect(meter?.points?.map((p) => p.name)).toEqual(['torque']);
    expect(parsed.gateway.devices?.map((d) => d.id).sort()).toEqual([
      'belt',
      'furnace',
      'meter',
      'press-a',
      'press-b',
    ]);
  });
});

describe('--emit-gateway-config with the plant referenced', () => {
  it('references devices by id and overrides only their address; the gateway loader resolves it', async () => {
    const { gatewayConfigs } = await import('../../simulators/runtime/emit.ts');
    const { loadGatewayFile } = await import('../../config/index.ts');
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { stringify } = await import('yaml');
    const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-emit-'));
    try {
      const plantRef = path.relative(dir, path.resolve('test/fixtures/plants/sim-modbus.yaml'));
      const config = gatewayConfigs(sim, { plantRef }).get('t1');
      expect(config?.gateway.devices?.find((d) => d.id === 'meter')).toEqual({
        id: 'meter',
        connectivity: { type: 'modbus-tcp', host: '::1', port: sim.ports.get(1), unitId: 1 },
      });
      await writeFile(path.join(dir, 't1.yaml'), stringify(config));
      const loaded = await loadGatewayFile(path.join(dir, 't1.yaml'));
      if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
      const meter = loaded.value.devices.find((d) => d.device.id === 'meter');
      expect(meter?.connectivity).toMatchObject({ port: sim.ports.get(1) });
      expect(meter?.points.map((p) => p.point.name)).toContain('torque');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
