/**
 * Modbus RTU over a serial line: socat makes a pty pair, the simulator serves two slaves on
 * one end, mbpoll (an independent master) reads them on the other.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatError, loadPlantText } from '../../config/index.ts';
import { type Simulation, startSimulation } from '../../simulators/runtime/simulation.ts';
import { type ManagedProcess, startProcess, untilReady } from '../helpers/process.ts';
import { run, tool } from '../helpers/tools.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const plantFor = (serial: string) => `
region: { id: t, name: 测试, cities: [{ id: c1, name: 测试市 }] }
enterprises:
  - id: t1
    name: 测试企业
    city: c1
    industry: pharma
    lines:
      - id: l1
        devices:
          - { id: meter, kind: power-meter,
              connectivity: { type: modbus-rtu, path: "${serial}", baudRate: 19200, parity: even, unitId: 5 } }
          - { id: belt, kind: conveyor,
              connectivity: { type: modbus-rtu, path: "${serial}", baudRate: 19200, parity: even, unitId: 6 } }
`;

describe('Modbus RTU through a socat pty pair', () => {
  it('serves two slaves on one line to mbpoll', async (ctx) => {
    const socat = tool(ctx, 'socat', 'apt-get install -y socat');
    const mbpoll = tool(ctx, 'mbpoll', 'apt-get install -y mbpoll');
    const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-rtu-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const simEnd = path.join(dir, 'sim');
    const clientEnd = path.join(dir, 'client');
    const pty: ManagedProcess = startProcess('socat', socat, [
      '-d',
      '-d',
      `pty,raw,echo=0,link=${simEnd}`,
      `pty,raw,echo=0,link=${clientEnd}`,
    ]);
    cleanup.push(() => pty.stop());
    await untilReady(pty, () => existsSync(simEnd) && existsSync(clientEnd), { what: 'the pty pair' });

    const plant = loadPlantText(plantFor(simEnd), 'rtu.yaml');
    if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
    const sim: Simulation = await startSimulation({ plant: plant.value, tickMs: 3_600_000 });
    cleanup.push(() => sim.stop());

    const master = (unit: number, ...args: string[]) =>
      run(mbpoll, [
        '-m',
        'rtu',
        '-b',
        '19200',
        '-P',
        'even',
        '-a',
        String(unit),
        '-0',
        '-1',
        '-o',
        '2',
        ...args,
        clientEnd,
      ]);
    const value = (stdout: string) => Number(/^\[\d+\]:\s+(\S+)/m.exec(stdout)?.[1]);

    const voltage = await master(5, '-t', '3:float', '-r', '2');
    expect(voltage.code, voltage.stderr + voltage.stdout).toBe(0);
    expect(value(voltage.stdout)).toBeCloseTo(Number(sim.devices.get('t1/meter')?.values().voltage_a), 1);

    const speed = await master(6, '-t', '3:float', '-B', '-r', '2');
    expect(speed.code, speed.stderr + speed.stdout).toBe(0);
    expect(value(speed.stdout)).toBeCloseTo(Number(sim.devices.get('t1/belt')?.values().belt_speed), 3);

    // An offline slave is silent: the master times out, the other slave still answers.
    sim.faults.inject({ device: 'meter', type: 'offline' });
    const silent = await master(5, '-t', '3', '-r', '0', '-o', '0.3');
    expect(silent.code).not.toBe(0);
    expect(silent.stdout + silent.stderr).toMatch(/timed out|timeout/i);
    expect((await master(6, '-t', '3', '-r', '0')).code).toBe(0);
  });
});
