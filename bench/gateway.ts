/**
 * Gateway throughput: the simulator serves N Modbus TCP devices of ~100 points each, one
 * `lianwang gateway` polls them at 1 Hz and publishes Sparkplug B to mosquitto; the benchmark
 * counts the metrics that arrive and samples the gateway's CPU, RSS and poll intervals.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import mqtt from 'mqtt';
import { parse, stringify } from 'yaml';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { freePort } from '../test/helpers/ports.ts';
import { decodePayload } from '../wire/sparkplug/index.ts';
import { startChild } from './child.ts';
import { benchPlantYaml } from './plant.ts';
import { sampleProc } from './proc.ts';

export interface GatewayBenchResult {
  devices: number;
  pointsPerDevice: number;
  seconds: number;
  pointsReadPerSecond: number;
  pointsDeliveredPerSecond: number;
  gatewayCpuPercent: number;
  gatewayRssMb: number;
  /** V8 heap in use at the end (from the gateway's /metrics): RSS minus this is GC headroom. */
  gatewayHeapUsedMb: number;
  /** RSS samples (MB) taken every `sampleSeconds` during the measurement. */
  rssSamplesMb: number[];
  pollIntervalDriftP50: number;
  pollIntervalDriftP99: number;
  /** NODE_OPTIONS the gateway ran with. */
  nodeOptions: string;
}

/**
 * The heap limits docs/gateway.md recommends for a gateway of this size (~50,000 Modbus points): old
 * space capped at 128 MB (≈ 3× the live heap, so an outage or a replay has room) and a 4 MB semi-space
 * (a smaller young generation; scavenges stay cheap at this allocation rate). node-opcua alone keeps
 * ~60 MB live, so an OPC UA gateway gets 192 MB. GW_NODE_OPTIONS overrides both.
 */
export const GATEWAY_NODE_OPTIONS = '--max-old-space-size=128 --max-semi-space-size=4';
export const OPCUA_GATEWAY_NODE_OPTIONS = '--max-old-space-size=192 --max-semi-space-size=4';

export interface GatewayBenchOptions {
  /** Modbus TCP devices (default 500) with `modbusExtra` float32 points beyond the kind's map. */
  modbusDevices?: number;
  modbusExtra?: number;
  /** OPC UA machines on one simulated server, with `opcuaExtra` variables beyond the kind's map. */
  opcuaMachines?: number;
  opcuaExtra?: number;
  /** Measure this long instead of 10 s (short) / 60 s (full), sampling RSS every `sampleSeconds`. */
  seconds?: number;
  sampleSeconds?: number;
}

export async function gatewayBench(short: boolean, o: GatewayBenchOptions = {}): Promise<GatewayBenchResult> {
  const modbusDevices = o.modbusDevices ?? 500;
  const opcuaMachines = o.opcuaMachines ?? 0;
  const devices = modbusDevices + opcuaMachines;
  const extra = o.modbusExtra ?? 85; // + the kind's map ≈ 100 points per device
  const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-bench-gw-'));
  const broker = await startMosquitto();
  const basePort = 20000 + Math.floor(Math.random() * 20000);
  await writeFile(
    path.join(dir, 'plant.yaml'),
    benchPlantYaml({
      modbusDevices,
      opcuaMachines,
      opcuaExtraPoints: o.opcuaExtra ?? 0,
      modbusExtraPoints: extra,
      modbusBasePort: basePort,
      opcuaPort: basePort - 1,
    }),
  );
  const sim = await startChild(
    [
      'sim',
      path.join(dir, 'plant.yaml'),
      '--control-port',
      '0',
      '--ephemeral-ports',
      '--emit-gateway-config',
      dir,
      '--broker',
      broker.url,
    ],
    /wrote .*bench\.yaml/,
  );
  const subscriber = await mqtt.connectAsync(broker.url, { protocolVersion: 5 }, false);
  let metrics = 0;
  subscriber.on('message', (_t, payload) => {
    metrics += decodePayload(payload).metrics.length;
  });
  await subscriber.subscribeAsync('spBv1.0/bench/DDATA/#', { qos: 0 });
  const gwFile = path.join(dir, 'bench.yaml');
  const config = parse(await readFile(gwFile, 'utf8')) as Record<string, unknown>;
  const httpPort = await freePort();
  Object.assign(config, {
    mqtt: { brokers: [broker.url], protocolVersion: 5 },
    buffer: { dir: path.join(dir, 'buffer') },
    http: { host: '::1', port: httpPort },
  });
  await writeFile(gwFile, stringify(config));
  const nodeOptions =
    process.env.GW_NODE_OPTIONS ?? (opcuaMachines > 0 ? OPCUA_GATEWAY_NODE_OPTIONS : GATEWAY_NODE_OPTIONS);
  const gw = await startChild(['gateway', gwFile], /gateway started/, {
    LOG_LEVEL: 'info',
    NODE_OPTIONS: nodeOptions,
  });
  try {
    await delay(5000); // warm-up: connections, births, JIT
    const seconds = o.seconds ?? (short ? 10 : 60);
    const a = await sampleProc(gw.pid);
    const m0 = metrics;
    const read0 = await samplesRead(httpPort);
    const rssSamplesMb: number[] = [];
    const step = (o.sampleSeconds ?? seconds) * 1000;
    for (let t = 0; t < seconds * 1000; t += step) {
      await delay(Math.min(step, seconds * 1000 - t));
      rssSamplesMb.push((await sampleProc(gw.pid)).rssMb);
    }
    const b = await sampleProc(gw.pid);
    const read1 = await samplesRead(httpPort);
    const drift = await intervalDrift(httpPort);
    const heapUsed = Number(
      /^lianwang_gateway_process_nodejs_heap_size_used_bytes (\S+)/m.exec(await metricsText(httpPort))?.[1] ??
        0,
    );
    return {
      devices,
      pointsPerDevice: Math.round((read1 - read0) / seconds / devices),
      seconds,
      pointsReadPerSecond: (read1 - read0) / seconds,
      pointsDeliveredPerSecond: (metrics - m0) / seconds,
      gatewayCpuPercent: ((b.cpuSeconds - a.cpuSeconds) / seconds) * 100,
      gatewayRssMb: b.rssMb,
      gatewayHeapUsedMb: heapUsed / 2 ** 20,
      rssSamplesMb,
      pollIntervalDriftP50: drift.p50,
      pollIntervalDriftP99: drift.p99,
      nodeOptions,
    };
  } finally {
    await gw.stop();
    await sim.stop();
    await subscriber.endAsync();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://[::1]:${port}/metrics`)).text();
}

async function samplesRead(port: number): Promise<number> {
  const text = await metricsText(port);
  return Number(/lianwang_gateway_samples_read_total\{quality="good"\} (\S+)/.exec(text)?.[1] ?? 0);
}

/** |actual − configured| / configured of each device's mean recent poll interval (1 s). */
async function intervalDrift(port: number): Promise<{ p50: number; p99: number }> {
  const text = await metricsText(port);
  const drifts = [...text.matchAll(/lianwang_gateway_poll_interval_seconds\{device="[^"]+"\} (\S+)/g)]
    .map((m) => Math.abs(Number(m[1]) - 1))
    .sort((x, y) => x - y);
  const q = (p: number) => drifts[Math.min(drifts.length - 1, Math.floor(p * drifts.length))] ?? Number.NaN;
  return { p50: q(0.5), p99: q(0.99) };
}

// `npx tsx bench/gateway.ts [--short] [--seconds n] [--sample n] [--devices n | --opcua n]`: this benchmark alone, as JSON.
// GW_NODE_OPTIONS replaces the Node options the gateway child runs with (GATEWAY_NODE_OPTIONS).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? undefined : Number(process.argv[i + 1]);
  };
  const seconds = arg('--seconds');
  const sampleSeconds = arg('--sample');
  const modbusDevices = arg('--devices');
  const opcuaMachines = arg('--opcua');
  const result = await gatewayBench(process.argv.includes('--short'), {
    ...(seconds === undefined ? {} : { seconds }),
    ...(sampleSeconds === undefined ? {} : { sampleSeconds }),
    ...(modbusDevices === undefined ? {} : { modbusDevices }),
    // The OPC UA row of bench/run.ts: machines × ~100 monitored items, no Modbus.
    ...(opcuaMachines === undefined ? {} : { modbusDevices: 0, opcuaMachines, opcuaExtra: 75 }),
  });
  console.log(JSON.stringify(result, null, 2));
}
