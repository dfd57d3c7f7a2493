/**
 * The IPv6-only rig (docs/ipv6.md): an OT network of namespaces (test/helpers/netns.ts), the
 * simulated machines in `plant` and the gateway in `edge`, each a real `lianwang` process started
 * with `ip netns exec`, and on the host side — this process — the embedded aedes broker on `::`,
 * the real cloud (ingest → DuckDB store → rates → API, driven through `inject`) and a Sparkplug
 * observer. `close()` undoes everything, newest first, also after a failure half-way.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildCloud, type Cloud } from '../../cloud/app.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../cloud/broker/embedded.ts';
import { createOtNetwork, type OtNetwork, PLANT_ADDRESS } from '../helpers/netns.ts';
import { type ManagedProcess, startProcess, untilReady } from '../helpers/process.ts';
import { SparkplugObserver } from '../helpers/sparkplug-subscriber.ts';

export const ENTERPRISE = 'v6plant';
export const NODE = 'v6-gw';
/** Power meters: their float32 signals move on every simulator tick (500 ms), so every poll is reported. */
export const METERS = ['meter-1', 'meter-2', 'meter-3'];
export const CONTINUOUS = [
  'voltage_a',
  'voltage_b',
  'voltage_c',
  'current_a',
  'current_b',
  'current_c',
  'active_power',
];
export const DEVICES = [...METERS, 'press-1', 'cnc-1'];
export const POLL_MS = 1000;
/** Cloud bucket width: short, so that a 10 s cut spans whole buckets of the KPI. */
export const WIDTH_MS = 5000;
/** The gateway's local /health and /metrics, inside the edge namespace only. */
const OPS_PORT = 9100;

const REPO = path.resolve(import.meta.dirname, '../..');

/**
 * Three power meters behind two Modbus TCP ports (two unit ids on 502), a hydraulic press, and a
 * CNC machining centre on OPC UA — all at the plant namespace's address, written both with and
 * without brackets, as plant files in the field are.
 */
function plantYaml(): string {
  const modbus = (port: number, unitId: number, bracketed = false) =>
    `{ type: modbus-tcp, host: '${bracketed ? `[${PLANT_ADDRESS}]` : PLANT_ADDRESS}', port: ${port}, unitId: ${unitId} }`;
  return `# Written by test/netns/rig.ts: an IPv6-only plant cell (docs/ipv6.md).
region:
  id: v6
  name: IPv6 测试区
  cities: [{ id: c1, name: 测试市 }]
enterprises:
  - id: ${ENTERPRISE}
    name: IPv6 测试企业
    city: c1
    industry: equipment
    lines:
      - id: l1
        devices:
          - { id: meter-1, kind: power-meter, connectivity: ${modbus(502, 1)} }
          - { id: meter-2, kind: power-meter, connectivity: ${modbus(502, 2)} }
          - { id: meter-3, kind: power-meter, connectivity: ${modbus(5020, 1, true)} }
          - { id: press-1, kind: hydraulic-press, connectivity: ${modbus(5020, 2)} }
          - id: cnc-1
            kind: cnc-machining-centre
            connectivity: { type: opcua, endpoint: 'opc.tcp://[${PLANT_ADDRESS}]:4840' }
`;
}

/**
 * The gateway: brokers by the host's ULA in brackets; a 2 s MQTT keepalive, so a dead uplink is
 * noticed within ~3 s and readings go to the disk queue (with the default 30 s, a short cut would
 * pass unnoticed inside TCP's retransmissions and nothing would be stored and forwarded).
 */
function gatewayYaml(broker: string, dir: string): string {
  return `# Written by test/netns/rig.ts (docs/ipv6.md).
gateway: { group: ${ENTERPRISE}, node: ${NODE}, plant: plant.yaml, enterprise: ${ENTERPRISE} }
mqtt:
  brokers: ['${broker}']
  protocolVersion: 4
  keepalive: 2s
  connectTimeout: 2s
  reconnectMin: 200ms
  reconnectMax: 1s
buffer: { dir: '${path.join(dir, 'gateway-buffer')}' }
polling: { interval: ${POLL_MS}ms, timeout: 800ms }
http: { host: '::1', port: ${OPS_PORT} }
`;
}

export interface V6Rig {
  net: OtNetwork;
  dir: string;
  broker: EmbeddedBroker;
  cloud: Cloud;
  observer: SparkplugObserver;
  sim: ManagedProcess;
  gateway: ManagedProcess;
  /** The gateway's /metrics, fetched inside the edge namespace: `name{labels}` → value. */
  metrics(): Promise<Map<string, number>>;
  /** What a TCP connect from inside a namespace ends with: 'connected' or an error code. */
  probe(ns: string, host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

export async function startV6Rig(): Promise<V6Rig> {
  const cleanup: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-ipv6-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const net = await createOtNetwork();
    cleanup.push(() => net.close());

    // Host side: the broker on `::` answers at the host's end of the uplink.
    const broker = await startEmbeddedBroker({ host: '::', port: 0 });
    cleanup.push(() => broker.close());
    const observer = new SparkplugObserver(ENTERPRISE);
    await observer.connect(broker.url, 4);
    cleanup.push(() => observer.close());

    const plantFile = path.join(dir, 'plant.yaml');
    await writeFile(plantFile, plantYaml());
    const gatewayFile = path.join(dir, 'gateway.yaml');
    await writeFile(gatewayFile, gatewayYaml(`mqtt://[${net.host.address}]:${broker.port}`, dir));

    const cloud = await buildCloud({
      mqtt: { broker: broker.url, hostId: 'ipv6-test', clientId: 'ipv6-test-cloud', protocolVersion: 4 },
      plants: [plantFile],
      dataDir: path.join(dir, 'cloud'),
      widthMs: WIDTH_MS,
      log: pino({ level: 'silent' }),
    });
    cleanup.push(() => cloud.stop());
    await cloud.ingest.ready();

    const lianwang = (ns: string, name: string, args: string[]) => {
      const proc = startProcess(
        name,
        'ip',
        net.execArgs(ns, process.execPath, [path.join(REPO, 'bin/lianwang.js'), ...args]),
        { cwd: REPO },
      );
      cleanup.push(() => proc.stop());
      return proc;
    };
    const sim = lianwang(net.plant.ns, 'simulators (plant namespace)', [
      'sim',
      plantFile,
      '--bind',
      PLANT_ADDRESS,
      '--pki',
      path.join(dir, 'sim-pki'),
    ]);
    await untilReady(sim, () => sim.tail().includes('devices simulated'), {
      what: 'the simulators to listen',
      timeoutMs: 60_000,
    });
    const gateway = lianwang(net.edge.ns, 'gateway (edge namespace)', ['gateway', gatewayFile]);

    const nodeIn = async (ns: string, code: string) => {
      const r = await net.run(ns, process.execPath, ['-e', code], 10_000);
      if (r.code !== 0) throw new Error(`node -e in ${ns}: ${r.stderr.trim()}`);
      return r.stdout;
    };
    return {
      net,
      dir,
      broker,
      cloud,
      observer,
      sim,
      gateway,
      async metrics() {
        const text = await nodeIn(
          net.edge.ns,
          `fetch('http://[::1]:${OPS_PORT}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`,
        );
        return parseMetrics(text);
      },
      async probe(ns, host, port) {
        const code = `const s = require('net').connect({ host: ${JSON.stringify(host)}, port: ${port} });
s.setTimeout(3000, () => { console.log('timeout'); s.destroy(); });
s.on('connect', () => { console.log('connected'); s.destroy(); });
s.on('error', (e) => console.log(e.code));`;
        return (await nodeIn(ns, code)).trim();
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Prometheus text → `name{labels}` → value (comments skipped). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s+(\S+)$/.exec(line);
    if (m?.[1] && m[2]) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** Sum of every series of a metric, e.g. `lianwang_gateway_poll_errors_total` over devices and kinds. */
export function total(metrics: ReadonlyMap<string, number>, name: string): number {
  let sum = 0;
  for (const [key, value] of metrics) if (key === name || key.startsWith(`${name}{`)) sum += value;
  return sum;
}
