/**
 * What bench/peers.ts measures of each contender: one process's points, CPU, RSS and poll drift
 * over a window (measure), the result shapes, and stopping a contender's child process.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { type Drift, load1, type PollTimes } from './harness.ts';
import { sampleProc } from './proc.ts';

export interface PeerRun {
  name: string;
  seconds: number;
  pointsReadPerSecond: number;
  pointsDeliveredPerSecond: number;
  cpuPercent: number;
  rssMb: number;
  /** Points delivered per CPU-second of the contender's process (read, for the raw loop). */
  pointsPerCpuSecond: number;
  drift: Drift;
  errors: number;
  /** 1-minute load average at the end of the measurement. */
  load: number;
}

export interface PeersBenchResult {
  devices: number;
  pointsPerCycle: number;
  blocksPerCycle: number;
  raw: PeerRun;
  rawUnpaced: PeerRun;
  lianwang: PeerRun;
  nodeRed: PeerRun | { error: string };
  nodeRedVersions: string;
  nodeRedInstallSeconds: number;
  gatewayNodeOptions: string;
  /** lianwang ÷ Node-RED points per CPU-second (delivered; read-based in parentheses of the table). */
  vsNodeRed: number;
  /** lianwang delivered (and read) points per CPU-second ÷ the paced raw loop's. */
  vsRaw: number;
  vsRawRead: number;
  vsNodeRedRead: number;
}

export interface Counters {
  delivered: number;
  read: number;
}

/** Measures one contender's process over `seconds`: counters, CPU, RSS, drift. */
export async function measure(
  name: string,
  pid: number,
  seconds: number,
  counters: () => Promise<Counters> | Counters,
  times: PollTimes,
  errors: () => Promise<number> | number,
): Promise<PeerRun> {
  times.start();
  const c0 = await counters();
  const e0 = await errors();
  const a = await sampleProc(pid);
  const t0 = performance.now();
  await delay(seconds * 1000);
  const c1 = await counters();
  const b = await sampleProc(pid);
  const s = (performance.now() - t0) / 1000;
  times.stop();
  const cpuSeconds = b.cpuSeconds - a.cpuSeconds;
  const delivered = (c1.delivered - c0.delivered) / s;
  return {
    name,
    seconds: s,
    pointsReadPerSecond: (c1.read - c0.read) / s,
    pointsDeliveredPerSecond: delivered,
    cpuPercent: (cpuSeconds / s) * 100,
    rssMb: b.rssMb,
    pointsPerCpuSecond: cpuSeconds > 0 ? (c1.delivered - c0.delivered) / cpuSeconds : Number.NaN,
    drift: times.drift(1000),
    errors: (await errors()) - e0,
    load: load1(),
  };
}

export async function stopChild(child: ChildProcess, ask: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    ask();
  } catch {
    child.kill('SIGTERM');
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  const term = setTimeout(() => child.kill('SIGTERM'), 1000);
  await exited;
  clearTimeout(timer);
  clearTimeout(term);
}
