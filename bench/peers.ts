/**
 * The gateway next to what a user would pick instead, same simulator, same poll set, same broker:
 *
 * - **raw ceiling**: a bare modbus-serial block-read loop (bench/raw-loop.ts), no decoding, no
 *   publishing — paced at the same 1 s interval (points per CPU-second: the ceiling the gateway is
 *   held against), then unpaced (how fast the simulator answers);
 * - **lianwang**: `lianwang gateway` polling the plant, Sparkplug B to mosquitto;
 * - **Node-RED** 4 with node-red-contrib-modbus, installed from npm into a temp directory at run time
 *   (never a project dependency), with a generated flow: per device a modbus-client, per block the
 *   gateway plans a modbus-read (1 s) → a function node decoding that block's points (same codecs)
 *   → json → mqtt out (QoS 1) to the same mosquitto.
 *
 * Each contender runs alone (one after the other) against the one simulator. Points delivered are
 * counted by a subscriber; CPU and RSS from /proc of the contender's process; poll-interval drift
 * from the read times (metric timestamps, or the time the function node ran). Ratios, never asserted:
 * lianwang points per CPU-second ÷ Node-RED's (target ≥ 5×) and ÷ the raw loop's (target ≥ 60%).
 *
 *   npx tsx bench/peers.ts [--short] [--devices n] [--seconds n]
 *
 * NODE_RED_DIR=<dir> reuses a directory where node-red and node-red-contrib-modbus are installed
 * (skips the ~20 s install while iterating); GW_NODE_OPTIONS sets the gateway child's Node options.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import mqtt from 'mqtt';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { freePort } from '../test/helpers/ports.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { decodePayload } from '../wire/sparkplug/index.ts';
import { startChild } from './child.ts';
import {
  configureGateway,
  type Drift,
  fmt,
  load1,
  pct,
  PollTimes,
  type SimPlant,
  startSimPlant,
} from './harness.ts';
import { nodeRedFlow } from './node-red-flow.ts';
import { sampleProc } from './proc.ts';
import type { RawReport } from './raw-loop.ts';

export const NODE_RED = 'node-red@4';
export const CONTRIB_MODBUS = 'node-red-contrib-modbus@5.23.3'; // ≥ 5.45 fetches outside the registry (DOMAIN.md §3)

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

export interface PeersBenchOptions {
  /** Modbus TCP devices of ~100 points (default 100: 10,000 points/s at 1 s). */
  devices?: number;
  /** Measurement per contender (default 10 s short, 60 s full), after a 5 s warm-up. */
  seconds?: number;
}

interface Counters {
  delivered: number;
  read: number;
}

/** Measures one contender's process over `seconds`: counters, CPU, RSS, drift. */
async function measure(
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

/** The raw loop as a child (IPC): paced or unpaced. */
async function runRaw(plant: SimPlant, mode: 'paced' | 'unpaced', seconds: number): Promise<PeerRun> {
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

async function stopChild(child: ChildProcess, ask: () => void): Promise<void> {
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

/** npm-installs Node-RED and the Modbus nodes into a fresh temp directory (or reuses NODE_RED_DIR). */
export async function installNodeRed(): Promise<{
  dir: string;
  seconds: number;
  versions: string;
  owned: boolean;
}> {
  const t0 = performance.now();
  let dir = process.env.NODE_RED_DIR;
  const owned = !dir;
  if (!dir) {
    dir = await mkdtemp(path.join(tmpdir(), 'lianwang-bench-node-red-'));
    await writeFile(path.join(dir, 'package.json'), '{ "name": "node-red-bench", "private": true }\n');
    const npm = spawn(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', NODE_RED, CONTRIB_MODBUS],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    npm.stdout.on('data', (c: Buffer) => (log += c.toString()));
    npm.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const code = await new Promise<number | null>((resolve) => {
      npm.once('error', () => resolve(null));
      npm.once('exit', resolve);
    });
    if (code !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`npm install ${NODE_RED} ${CONTRIB_MODBUS} failed (${code}): ${log.slice(-2000)}`);
    }
  }
  const version = async (pkg: string) =>
    (
      JSON.parse(await readFile(path.join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  const versions = `node-red ${await version('node-red')}, node-red-contrib-modbus ${await version('node-red-contrib-modbus')}`;
  return { dir, seconds: (performance.now() - t0) / 1000, versions, owned };
}

async function runNodeRed(
  plant: SimPlant,
  nodeRedDir: string,
  brokerPort: number,
  counters: Counters,
  times: PollTimes,
  seconds: number,
): Promise<PeerRun> {
  const userDir = path.join(plant.dir, 'node-red');
  await mkdir(userDir, { recursive: true });
  // Node-RED finds node modules in <userDir>/node_modules: link the installation's.
  await symlink(path.join(nodeRedDir, 'node_modules'), path.join(userDir, 'node_modules'), 'dir');
  await writeFile(path.join(userDir, 'flows.json'), JSON.stringify(nodeRedFlow(plant.devices, brokerPort)));
  const port = await freePort();
  const settings = path.join(userDir, 'settings.cjs');
  await writeFile(
    settings,
    `module.exports = ${JSON.stringify({
      uiPort: port,
      uiHost: '::1',
      httpAdminRoot: false,
      httpNodeRoot: false,
      flowFile: 'flows.json',
      credentialSecret: false,
      logging: { console: { level: 'info', metrics: false, audit: false } },
      telemetry: { enabled: false },
      diagnostics: { enabled: false, ui: false },
      externalModules: { autoInstall: false },
    })};\n`,
  );
  const red = spawn(
    process.execPath,
    [path.join(nodeRedDir, 'node_modules/node-red/red.js'), '--userDir', userDir, '--settings', settings],
    { cwd: userDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  let log = '';
  const onData = (c: Buffer) => (log = (log + c.toString()).slice(-20_000));
  red.stdout.on('data', onData);
  red.stderr.on('data', onData);
  const exited = new Promise<void>((_, reject) =>
    red.once('exit', (code) => reject(new Error(`Node-RED exited (${code}): ${log.slice(-2000)}`))),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([
      exited,
      waitFor(() => /Started flows/.test(log) && counters.delivered > 0, {
        what: 'Node-RED started and publishing',
        timeoutMs: 60_000,
        intervalMs: 200,
      }).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; Node-RED said: ${log.slice(-1500)}`);
      }),
    ]);
    await delay(5000); // warm-up: every client connected, JIT
    const errors = () => (log.match(/\[(error|warn)\]/g) ?? []).length;
    return await measure(
      'Node-RED + node-red-contrib-modbus',
      red.pid ?? 0,
      seconds,
      () => ({ ...counters }),
      times,
      errors,
    );
  } finally {
    await stopChild(red, () => red.kill('SIGTERM'));
  }
}

async function runLianwang(
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

export async function peersBench(short: boolean, o: PeersBenchOptions = {}): Promise<PeersBenchResult> {
  const devices = o.devices ?? 100;
  const seconds = o.seconds ?? (short ? 10 : 60);
  // Installed first: npm's CPU would disturb the measurements. Without it (no registry), the other
  // contenders still run and the Node-RED row says why it is missing.
  const nodeRed = await installNodeRed().catch((err: unknown) => ({
    dir: '',
    seconds: 0,
    versions: `${NODE_RED}, ${CONTRIB_MODBUS}`,
    owned: false,
    error: (err as Error).message,
  }));
  let broker: Awaited<ReturnType<typeof startMosquitto>> | undefined;
  let plant: SimPlant | undefined;
  let subscriber: mqtt.MqttClient | undefined;
  try {
    broker = await startMosquitto();
    subscriber = await mqtt.connectAsync(broker.url, { protocolVersion: 5 }, false);
    plant = await startSimPlant(devices, broker.url);
    const lw: Counters = { delivered: 0, read: 0 };
    const nr: Counters = { delivered: 0, read: 0 };
    const lwTimes = new PollTimes();
    const nrTimes = new PollTimes();
    subscriber.on('message', (topic, payload) => {
      if (topic.startsWith('spBv1.0/')) {
        const p = decodePayload(payload);
        lw.delivered += p.metrics.length;
        let first = Infinity;
        for (const m of p.metrics) if (m.timestamp !== undefined && m.timestamp < first) first = m.timestamp;
        if (first < Infinity) lwTimes.add(topic, first);
      } else {
        const m = JSON.parse(payload.toString()) as { t: number; n: number };
        nr.delivered += m.n;
        nr.read += m.n;
        nrTimes.add(topic, m.t);
      }
    });
    await subscriber.subscribeAsync(['spBv1.0/bench/DDATA/#', 'nodered/#'], { qos: 0 });

    const raw = await runRaw(plant, 'paced', seconds);
    const rawUnpaced = await runRaw(plant, 'unpaced', short ? 5 : 20);
    const { run: lianwang, nodeOptions } = await runLianwang(plant, broker.url, lw, lwTimes, seconds);
    let nodeRedRun: PeerRun | { error: string };
    try {
      if ('error' in nodeRed) throw new Error(nodeRed.error);
      nodeRedRun = await runNodeRed(plant, nodeRed.dir, broker.port, nr, nrTimes, seconds);
    } catch (err) {
      nodeRedRun = { error: (err as Error).message.slice(0, 500) };
    }
    const blocksPerCycle = plant.devices.reduce((n, d) => n + d.blocks.length, 0);
    const nrPpc = 'error' in nodeRedRun ? Number.NaN : nodeRedRun.pointsPerCpuSecond;
    const lwReadPpc = (lianwang.pointsReadPerSecond / lianwang.cpuPercent) * 100;
    return {
      devices,
      pointsPerCycle: plant.pointsPerCycle,
      blocksPerCycle,
      raw,
      rawUnpaced,
      lianwang,
      nodeRed: nodeRedRun,
      nodeRedVersions: nodeRed.versions,
      nodeRedInstallSeconds: nodeRed.seconds,
      gatewayNodeOptions: nodeOptions,
      vsNodeRed: lianwang.pointsPerCpuSecond / nrPpc,
      vsNodeRedRead: lwReadPpc / nrPpc,
      vsRaw: lianwang.pointsPerCpuSecond / raw.pointsPerCpuSecond,
      vsRawRead: lwReadPpc / raw.pointsPerCpuSecond,
    };
  } finally {
    await subscriber?.endAsync();
    await plant?.stop();
    await broker?.stop();
    if (nodeRed.owned) await rm(nodeRed.dir, { recursive: true, force: true });
  }
}

const cost = (r: PeerRun) =>
  `${r.cpuPercent.toFixed(0)}% CPU, ${r.rssMb.toFixed(0)} MB RSS, ${fmt(r.pointsPerCpuSecond)} points/CPU-s`;
const drift = (r: PeerRun) =>
  `drift p50 ${pct(r.drift.meanP50)} p99 ${pct(r.drift.meanP99)}, jitter p99 ${pct(r.drift.jitterP99)}`;

export function peersTable(r: PeersBenchResult): [string, string, string][] {
  const scale = `${r.devices} devices, ${fmt(r.pointsPerCycle)} points in ${fmt(r.blocksPerCycle)} block reads @ 1 s`;
  const nr = r.nodeRed;
  return [
    [
      `peers: raw modbus-serial block-read loop, no processing (${scale})`,
      `${fmt(r.raw.pointsReadPerSecond)} points/s; ${cost(r.raw)}; ${drift(r.raw)} (load ${r.raw.load.toFixed(1)})`,
      'the ceiling',
    ],
    [
      'peers: raw loop unpaced (simulator-bound)',
      `${fmt(r.rawUnpaced.pointsReadPerSecond)} points/s; ${cost(r.rawUnpaced)} (load ${r.rawUnpaced.load.toFixed(1)})`,
      '',
    ],
    [
      `peers: lianwang gateway → Sparkplug → mosquitto (same poll set)`,
      `${fmt(r.lianwang.pointsReadPerSecond)} read, ${fmt(r.lianwang.pointsDeliveredPerSecond)} delivered points/s; ${cost(r.lianwang)}; ${drift(r.lianwang)} (load ${r.lianwang.load.toFixed(1)})`,
      '',
    ],
    [
      `peers: Node-RED → JSON → mosquitto (${r.nodeRedVersions})`,
      'error' in nr
        ? `failed: ${nr.error.split('\n')[0] ?? ''}`
        : `${fmt(nr.pointsDeliveredPerSecond)} delivered points/s; ${cost(nr)}; ${drift(nr)} (load ${nr.load.toFixed(1)})`,
      '',
    ],
    [
      'peers: lianwang ÷ Node-RED, points per CPU-second',
      Number.isFinite(r.vsNodeRed)
        ? `${r.vsNodeRed.toFixed(1)}× delivered (${r.vsNodeRedRead.toFixed(1)}× read)`
        : 'n/a (no Node-RED figure)',
      'target ≥ 5×',
    ],
    [
      'peers: lianwang ÷ raw loop, points per CPU-second',
      `${pct(r.vsRaw, 0)} delivered (${pct(r.vsRawRead, 0)} read)`,
      'target ≥ 60%',
    ],
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? undefined : Number(process.argv[i + 1]);
  };
  const devices = arg('--devices');
  const seconds = arg('--seconds');
  const r = await peersBench(process.argv.includes('--short'), {
    ...(devices === undefined ? {} : { devices }),
    ...(seconds === undefined ? {} : { seconds }),
  });
  console.error(JSON.stringify(r, null, 2));
  for (const [a, b, c] of peersTable(r)) console.log(`${a}\n  ${b}${c ? `  (${c})` : ''}`);
}
