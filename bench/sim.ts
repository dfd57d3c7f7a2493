/**
 * Simulator capacity: one `lianwang sim` process serving N Modbus TCP devices plus one OPC UA
 * server with M machines, models ticking; then concurrent Modbus clients at full speed.
 * Reports requests/s, the simulator's CPU and RSS.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { modbusLoad } from './modbus-load.ts';
import { benchPlantYaml } from './plant.ts';
import { sampleProc } from './proc.ts';

export interface SimBenchResult {
  modbusDevices: number;
  opcuaMachines: number;
  opcuaVariables: number;
  startSeconds: number;
  idleCpuPercent: number;
  idleRssMb: number;
  loadConnections: number;
  loadRequestsPerSecond: number;
  loadRegistersPerSecond: number;
  loadErrors: number;
  loadCpuPercent: number;
  peakRssMb: number;
}

export async function simBench(short: boolean): Promise<SimBenchResult> {
  const modbusDevices = 500;
  const opcuaMachines = 50;
  const extra = 80;
  const basePort = 20000 + Math.floor(Math.random() * 20000);
  const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-bench-sim-'));
  const file = path.join(dir, 'plant.yaml');
  await writeFile(
    file,
    benchPlantYaml({
      modbusDevices,
      opcuaMachines,
      opcuaExtraPoints: extra,
      modbusBasePort: basePort,
      opcuaPort: basePort - 1,
    }),
  );
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    ['bin/lianwang.js', 'sim', file, '--control-port', '0', '--pki', path.join(dir, 'pki')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  try {
    let log = '';
    await new Promise<void>((resolve, reject) => {
      // A deadline keeps the event loop alive and turns a silent stall into a message.
      const deadline = setTimeout(() => reject(new Error(`lianwang sim: not up in 120 s: ${log}`)), 120_000);
      const fail = (err: Error) => {
        clearTimeout(deadline);
        reject(err);
      };
      child.stderr.on('data', (c: Buffer) => {
        log += c.toString();
        if (/devices simulated/.test(log)) {
          clearTimeout(deadline);
          resolve();
        }
      });
      child.once('error', (err) => fail(new Error(`lianwang sim: ${err.message}`)));
      child.once('exit', (code, signal) =>
        fail(new Error(`lianwang sim exited (${code ?? signal ?? '?'}): ${log}`)),
      );
    });
    const startSeconds = (performance.now() - t0) / 1000;
    const pid = child.pid ?? 0;
    const idleMs = short ? 5000 : 20_000;
    const a = await sampleProc(pid);
    await delay(idleMs);
    const b = await sampleProc(pid);
    const connections = 100;
    const quantity = 10;
    const load = await modbusLoad({
      host: '::1',
      ports: Array.from({ length: modbusDevices }, (_, i) => basePort + i),
      connections,
      quantity,
      durationMs: short ? 5000 : 20_000,
    });
    const c = await sampleProc(pid);
    const kindPoints = 25; // reheating-furnace map
    return {
      modbusDevices,
      opcuaMachines,
      opcuaVariables: opcuaMachines * (kindPoints + extra),
      startSeconds,
      idleCpuPercent: ((b.cpuSeconds - a.cpuSeconds) / (idleMs / 1000)) * 100,
      idleRssMb: b.rssMb,
      loadConnections: connections,
      loadRequestsPerSecond: load.requests / load.seconds,
      loadRegistersPerSecond: (load.requests * quantity) / load.seconds,
      loadErrors: load.errors,
      loadCpuPercent: ((c.cpuSeconds - b.cpuSeconds) / load.seconds) * 100,
      peakRssMb: Math.max(b.rssMb, c.rssMb),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
}
