/**
 * The edge bundle (build/edge.ts): built into a temp dir, copied to another one outside the
 * repository (no node_modules there or above it), and run there with plain `node gateway.js
 * <file>` — cwd the copy, an environment without NODE_PATH or NODE_OPTIONS — against simulated
 * Modbus TCP, Modbus RTU (a socat pty pair, when socat is installed) and OPC UA devices and an
 * aedes broker reached through a proxy the test cuts. Checked: births and the models' values at the
 * observer, the LevelDB disk queue through an uplink cut (the native addon loads from
 * native/), /health and /metrics, and NDEATH plus exit code 0 on SIGTERM.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatError, loadPlantText } from '../../config/index.ts';
import { GatewayFile } from '../../config/model/gateway.ts';
import { gatewayConfigs } from '../../simulators/runtime/emit.ts';
import { type Simulation, startSimulation } from '../../simulators/runtime/simulation.ts';
import { type AedesServer, startAedes } from '../helpers/aedes.ts';
import { requireBinary } from '../helpers/binaries.ts';
import { type ManagedProcess, startProcess, untilReady } from '../helpers/process.ts';
import { CuttableProxy } from '../helpers/proxy.ts';
import { SparkplugObserver } from '../helpers/sparkplug-subscriber.ts';
import { run } from '../helpers/tools.ts';
import { waitFor } from '../helpers/wait.ts';

const plantText = (serial: string | undefined) => `
region: { id: t, name: 测试, cities: [{ id: c1, name: 测试市 }] }
enterprises:
  - id: t1
    name: 测试企业
    city: c1
    industry: equipment
    lines:
      - id: l1
        devices:
          - { id: meter, kind: power-meter, connectivity: { type: modbus-tcp, host: '::1', port: 1, unitId: 1 } }
          - { id: press, kind: hydraulic-press, connectivity: { type: modbus-tcp, host: '::1', port: 1, unitId: 2 } }
          - { id: cnc, kind: cnc-machining-centre,
              connectivity: { type: opcua, endpoint: 'opc.tcp://[::1]:2', securityMode: SignAndEncrypt,
                              securityPolicy: Basic256Sha256 } }
${serial ? `          - { id: belt, kind: conveyor, connectivity: { type: modbus-rtu, path: '${serial}', baudRate: 38400, unitId: 3 } }` : ''}
`;

interface Health {
  mqtt: { connected: boolean; pointsReplayed: number };
  queue: { entries: number; appended: number; droppedEntries: number };
  devices: Record<string, { state: string; reason?: string }>;
}

const cleanup: (() => Promise<unknown>)[] = [];
let dir: string;
let box: string;
let sim: Simulation;
let broker: AedesServer;
let uplink: CuttableProxy;
let rtuClientEnd: string | undefined;
const observer = new SparkplugObserver('t1');
/** Per device: the model's values at each tick, to compare samples at their source time. */
const history = new Map<string, { t: number; values: Readonly<Record<string, unknown>> }[]>();

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-edge-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));

  // `npm run build` is `tsx build/edge.ts`; build elsewhere, copy, delete the build: nothing may
  // point back at the build directory or the repository.
  const built = path.join(dir, 'build');
  const b = await run(
    process.execPath,
    ['--import', 'tsx', 'build/edge.ts', '--outdir', built, '--targets', 'host'],
    60_000,
  );
  expect(b.code, b.stderr + b.stdout).toBe(0);
  expect(b.stdout).toMatch(/gateway\.js .* MB/);
  box = path.join(dir, 'box');
  await cp(built, box, { recursive: true });
  await rm(built, { recursive: true });

  const socat = requireBinary('socat', 'apt-get install -y socat');
  let serial: string | undefined;
  if (socat.found) {
    serial = path.join(dir, 'tty-sim');
    rtuClientEnd = path.join(dir, 'tty-gw');
    const pty = startProcess('socat', socat.path, [
      `pty,raw,echo=0,link=${serial}`,
      `pty,raw,echo=0,link=${rtuClientEnd}`,
    ]);
    cleanup.push(() => pty.stop());
    const [a, c] = [serial, rtuClientEnd];
    await untilReady(pty, () => existsSync(a) && existsSync(c), { what: 'the pty pair' });
  }
  const plant = loadPlantText(plantText(serial), 'edge.yaml');
  if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
  sim = await startSimulation({
    plant: plant.value,
    ephemeralPorts: true,
    tickMs: 250,
    pkiDir: path.join(dir, 'sim-pki'),
  });
  cleanup.push(() => sim.stop());
  for (const d of sim.devices.values()) {
    const list = [{ t: Date.now(), values: d.values() }];
    history.set(d.device.id, list);
    // First listener: the OPC UA server stamps the tick's values in its own listener, after this one.
    d.prependListener('tick', () => list.push({ t: Date.now(), values: d.values() }));
  }

  broker = await startAedes();
  cleanup.push(() => broker.stop());
  uplink = new CuttableProxy({ host: '::1', port: broker.port });
  await uplink.restore();
  cleanup.push(() => uplink.cut());
  await observer.connect(broker.url, 4);
  cleanup.push(() => observer.close());
}, 90_000);

afterAll(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

/** The gateway file, written outside the bundle's directory; the buffer dir is relative to the cwd. */
async function gatewayFile(): Promise<string> {
  const input = gatewayConfigs(sim, { brokers: [uplink.url] }).get('t1');
  if (!input) throw new Error('no gateway config');
  for (const d of input.gateway.devices ?? [])
    if (d.connectivity?.type === 'modbus-rtu' && rtuClientEnd) d.connectivity.path = rtuClientEnd;
  input.mqtt = { brokers: [uplink.url], protocolVersion: 4, reconnectMin: '100ms', reconnectMax: '400ms' };
  // A generous timeout: RTU through a pty, with the simulator in this busy test process.
  input.polling = { interval: '300ms', timeout: '1s', backoffMin: '100ms', backoffMax: '500ms' };
  input.buffer = { dir: 'state/buffer' };
  input.http = { host: '::1', port: 0 };
  GatewayFile.parse(input);
  const file = path.join(dir, 'etc', 'gateway.yaml');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, stringify(input));
  return file;
}

/** The model value in effect when a sample was read: the last tick at or before t, or the one before. */
function modelValues(device: string, t: number): unknown[] {
  const h = history.get(device) ?? [];
  let i = h.length - 1;
  while (i > 0 && (h[i]?.t ?? 0) > t) i--;
  return [h[i]?.values, h[i - 1]?.values];
}

function mismatches(device: string): string[] {
  const wrong: string[] = [];
  for (const [key, byTime] of observer.samples) {
    const [d, point] = key.split('|') as [string, string];
    if (d !== device) continue;
    for (const [t, value] of byTime) {
      const candidates = modelValues(device, t).map(
        (v) => (v as Record<string, unknown> | undefined)?.[point],
      );
      const ok = candidates.some((m) =>
        typeof m === 'number' && typeof value === 'number'
          ? Math.abs(m - value) <= Math.max(1e-3, Math.abs(m) * 1e-5)
          : m === value,
      );
      if (!ok) wrong.push(`${key} at ${t}: ${String(value)}, model ${candidates.map(String).join(' or ')}`);
    }
  }
  return wrong;
}

describe('edge bundle: node gateway.js from a directory without node_modules', () => {
  let gw: ManagedProcess;
  /** Everything the gateway wrote (the process helper keeps only a tail). */
  const output: string[] = [];
  const text = () => output.join('');
  let healthUrl = '';
  const health = async () => (await (await fetch(`${healthUrl}/health`)).json()) as Health;
  const devices = () => [...sim.devices.values()].map((d) => d.device.id);

  it('holds the bundle, its source map and the native prebuilds, and nothing resolves above it', async () => {
    for (const f of ['gateway.js', 'gateway.js.map', 'package.json', 'THIRD-PARTY-NOTICES.txt'])
      expect(existsSync(path.join(box, f)), f).toBe(true);
    const target = `${process.platform}-${process.arch}`;
    for (const pkg of ['classic-level', '@serialport/bindings-cpp'])
      expect(existsSync(path.join(box, 'native', pkg, 'prebuilds', target)), pkg).toBe(true);
    for (let d = box; ; d = path.dirname(d)) {
      expect(existsSync(path.join(d, 'node_modules')), `${d}/node_modules`).toBe(false);
      if (d === path.dirname(d)) break;
    }
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const v = await run(process.execPath, [path.join(box, 'gateway.js'), '--version']);
    expect(v.stdout.trim()).toBe(pkg.version);
  });

  it('publishes births and the models’ values from Modbus TCP, RTU and OPC UA', async () => {
    const file = await gatewayFile();
    gw = startProcess('gateway.js', process.execPath, [path.join(box, 'gateway.js'), file], {
      cwd: box,
      // Only what a systemd unit would pass: no NODE_PATH, no NODE_OPTIONS (vitest's loaders).
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LOG_LEVEL: 'info' },
    });
    cleanup.push(() => gw.stop());
    gw.child.stdout?.on('data', (chunk: string) => output.push(chunk));
    gw.child.stderr?.on('data', (chunk: string) => output.push(chunk));

    const all = devices();
    await untilReady(
      gw,
      // An idle machine's values hold still (report by exception): only the meter's always move.
      () => all.every((d) => observer.count('DBIRTH', d) >= 1) && observer.count('DDATA', 'meter') >= 5,
      { what: `births of ${all.join(', ')} and the meter's data`, timeoutMs: 30_000 },
    );
    healthUrl = /"url":"(http:[^"]+)"/.exec(text())?.[1] ?? '';
    expect(healthUrl).not.toBe('');
    const nbirth = observer.messages.find((m) => m.type === 'NBIRTH');
    expect(nbirth?.seq).toBe(0);
    expect(nbirth?.metrics.map((m) => m.name)).toEqual(
      expect.arrayContaining(['bdSeq', 'Node Control/Rebirth']),
    );
    expect(observer.seqGaps).toEqual([]);
    expect(observer.errors).toEqual([]);
    for (const d of all) expect(mismatches(d), d).toEqual([]);
    const h = await health();
    // A DBIRTH per device proved each was reached; none may have been lost since (a busy machine may
    // time out one poll: degraded).
    for (const d of all) expect(h.devices[`t1/${d}`]?.state, JSON.stringify(h.devices)).not.toBe('offline');
    const metrics = await (await fetch(`${healthUrl}/metrics`)).text();
    expect(metrics).toMatch(/^lianwang_gateway_mqtt_connected 1$/m);
  }, 45_000);

  it('queues on disk (LevelDB, native) while the uplink is cut and replays after', async () => {
    const cutAt = Date.now();
    await uplink.cut();
    await waitFor(
      async () => {
        const s = await health();
        return !s.mqtt.connected && s.queue.entries >= 10;
      },
      { what: 'readings queued on disk' },
    );
    expect(existsSync(path.join(box, 'state', 'buffer', 'queue', 'CURRENT'))).toBe(true);
    await uplink.restore();
    await waitFor(
      async () => {
        const s = await health();
        return s.mqtt.connected && s.queue.entries === 0;
      },
      { what: 'the backlog replayed', timeoutMs: 20_000 },
    );
    const h = await health();
    expect(h.mqtt.pointsReplayed).toBeGreaterThan(0);
    expect(h.queue.droppedEntries).toBe(0);
    await waitFor(
      () =>
        observer.messages.some(
          (m) => m.type === 'DDATA' && m.metrics.some((x) => x.isHistorical && (x.timestamp ?? 0) > cutAt),
        ),
      { what: 'historical DDATA from the outage' },
    );
    expect(observer.errors).toEqual([]);
  }, 40_000);

  it('stops on SIGTERM with NDEATH and exit code 0, having logged no error', async () => {
    const deaths = observer.count('NDEATH');
    gw.child.kill('SIGTERM');
    const exit = await gw.exited;
    expect(exit, gw.tail()).toEqual({ code: 0, signal: null });
    await waitFor(() => observer.count('NDEATH') > deaths, { what: 'NDEATH' });
    expect(text()).not.toMatch(/native module|No native build|prebuild|Dynamic require|Cannot find module/i);
    const errors = text()
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l));
    expect(errors).toEqual([]);
  }, 20_000);
});
