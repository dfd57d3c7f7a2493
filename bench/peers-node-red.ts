/**
 * The Node-RED contender of bench/peers.ts: npm-installs Node-RED and node-red-contrib-modbus at run
 * time (never a project dependency) and runs it with the generated flow (bench/node-red-flow.ts).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../test/helpers/ports.ts';
import { waitFor } from '../test/helpers/wait.ts';
import type { PollTimes, SimPlant } from './harness.ts';
import { nodeRedFlow } from './node-red-flow.ts';
import { type Counters, measure, type PeerRun, stopChild } from './peers-measure.ts';

export const NODE_RED = 'node-red@4';
export const CONTRIB_MODBUS = 'node-red-contrib-modbus@5.23.3'; // ≥ 5.45 fetches outside the registry (DOMAIN.md §3)

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

export async function runNodeRed(
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
