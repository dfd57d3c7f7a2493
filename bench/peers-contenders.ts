/**
 * The raw modbus-serial loop (bench/raw-loop.ts, as an IPC child) and the lianwang gateway as
 * contenders of bench/peers.ts, each run alone against the simulator and measured.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../test/helpers/ports.ts';
import { startChild } from './child.ts';
import { configureGateway, PollTimes, type SimPlant } from './harness.ts';
import { type Counters, measure, type PeerRun, stopChild } from './peers-measure.ts';
import type { RawReport } from './raw-loop.ts';

/** The raw loop as a child (IPC): paced or unpaced. */
export async function runRaw(plant: SimPlant, mode: 'paced' | 'unpaced', seconds: number): Promise<PeerRun> {
  const planFile = path.join(plant.dir, 'plan.json');
  await writeFile(planFile, JSON.stringify(plant.devices));
  const script = fileURLToPath(new URL('./raw-loop.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, planFile, mode], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = (cmd: string, answer: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>) => {
        if (m.cmd !== answer) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m);
      };
      const onExit = (code: number | null) => reject(new Error(`raw loop exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
      if (cmd) child.send({ cmd });
    });
  try {
    await ask('', 'ready');
    await delay(mode === 'paced' ? 3000 : 1000);
    // Counters are reset by 'mark'; the report is the whole window (the child keeps its own times).
    await ask('mark', 'marked');
    const childTimes = new PollTimes();
    let report: RawReport | undefined;
    const run = await measure(
      mode === 'paced' ? 'raw modbus-serial loop (1 s)' : 'raw modbus-serial loop (unpaced)',
      child.pid ?? 0,
      seconds,
      async () => {
        report = (await ask('report', 'report')).report as RawReport;
        return { read: report.points, delivered: report.points };
      },
      childTimes,
      () => report?.errors ?? 0,
    );
    return { ...run, drift: report?.drift ?? run.drift };
  } finally {
    await stopChild(child, () => child.send({ cmd: 'stop' }));
  }
}

export async function runLianwang(
  plant: SimPlant,
  brokerUrl: string,
  counters: Counters,
  times: PollTimes,
  seconds: number,
): Promise<{ run: PeerRun; nodeOptions: string }> {
  const httpPort = await freePort();
  await configureGateway(plant.gatewayFile, {
    broker: brokerUrl,
    protocolVersion: 5,
    bufferDir: path.join(plant.dir, 'buffer'),
    httpPort,
  });
  const nodeOptions = process.env.GW_NODE_OPTIONS ?? '';
  const gw = await startChild(['gateway', plant.gatewayFile], /gateway started/, {
    LOG_LEVEL: 'info',
    NODE_OPTIONS: nodeOptions,
  });
  try {
    await delay(5000);
    const read = async () =>
      Number(
        /lianwang_gateway_samples_read_total\{quality="good"\} (\S+)/.exec(
          await (await fetch(`http://[::1]:${httpPort}/metrics`)).text(),
        )?.[1] ?? 0,
      );
    const bad = async () =>
      Number(
        /lianwang_gateway_samples_read_total\{quality="bad"\} (\S+)/.exec(
          await (await fetch(`http://[::1]:${httpPort}/metrics`)).text(),
        )?.[1] ?? 0,
      );
    const run = await measure(
      'lianwang gateway',
      gw.pid,
      seconds,
      async () => ({ delivered: counters.delivered, read: await read() }),
      times,
      bad,
    );
    return { run, nodeOptions };
  } finally {
    await gw.stop();
  }
}
