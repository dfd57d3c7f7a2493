/**
 * End-to-end latency: a sample's source time (the gateway's read time, the Sparkplug metric
 * timestamp) → queryable in the embedded DuckDB store. The whole path runs: `lianwang sim` (N
 * Modbus TCP devices × ~100 points) → `lianwang gateway` (1 s polling) → the embedded aedes broker
 * → `buildCloud` (ingest, batcher, DuckDB store, API) in this process.
 *
 * Three vantage points, all against the source time:
 * - **stored**: the store's write is wrapped; when a batch's write resolves (committed: every
 *   later read sees it), each of its samples is done. Every sample counts.
 * - **broker**: a second MQTT subscriber's arrival time (gateway + broker share of the latency).
 * - **API**: a client polls `/api/devices/{e}/{d}/series` for a few devices every 100 ms and
 *   notes when a newer point first shows (includes up to 100 ms of polling granularity).
 *
 *   npx tsx bench/latency.ts [--short] [--devices n] [--seconds n]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import mqtt from 'mqtt';
import pino from 'pino';
import { buildCloud } from '../cloud/app.ts';
import type { Sample } from '../cloud/store/index.ts';
import { startAedes } from '../test/helpers/aedes.ts';
import { freePort } from '../test/helpers/ports.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { decodePayload } from '../wire/sparkplug/index.ts';
import { startChild } from './child.ts';
import { configureGateway, fmt, load1, quantile, type SimPlant, startSimPlant } from './harness.ts';
import { sampleProc } from './proc.ts';

export interface LatencyStats {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LatencyBenchResult {
  devices: number;
  seconds: number;
  pointsStoredPerSecond: number;
  stored: LatencyStats;
  broker: LatencyStats;
  api: LatencyStats;
  apiDevices: number;
  /** Stored-latency p99 per 10 s of source time, with the 1-minute load average sampled then. */
  windows: { p99Ms: number; load: number }[];
  /** This process: aedes + ingest + DuckDB store + API + the two measuring clients. */
  cloudCpuPercent: number;
  gatewayCpuPercent: number;
  load: number;
}

export interface LatencyBenchOptions {
  /** Modbus TCP devices of ~100 points at 1 s (default 100: 10,000 points/s). */
  devices?: number;
  /** Measurement after the warm-up (default 30 s short, 180 s full). */
  seconds?: number;
}

const WINDOW_MS = 10_000;

function stats(values: number[]): LatencyStats {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.length ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
  };
}

export async function latencyBench(short: boolean, o: LatencyBenchOptions = {}): Promise<LatencyBenchResult> {
  const devices = o.devices ?? 100;
  const seconds = o.seconds ?? (short ? 30 : 180);
  const apiDevices = Math.min(3, devices);
  const broker = await startAedes();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lianwang-bench-latency-'));
  let plant: SimPlant | undefined;
  let cloud: Awaited<ReturnType<typeof buildCloud>> | undefined;
  let gw: Awaited<ReturnType<typeof startChild>> | undefined;
  let sub: mqtt.MqttClient | undefined;
  try {
    plant = await startSimPlant(devices, broker.url);
    const polled = plant.devices.slice(0, apiDevices).map((d) => d.id);
    cloud = await buildCloud({
      mqtt: { broker: broker.url, protocolVersion: 4, clientId: 'bench-latency' },
      plants: [plant.plantFile],
      dataDir,
      log: pino({ level: 'warn' }),
    });
    await cloud.ingest.ready();
    const api = cloud.api;
    if (!api) throw new Error('latency bench: the cloud has no API');

    // From `from` on, every committed live sample is timed (historical ones are replays, not live).
    let from = Infinity;
    let until = Infinity;
    const stored: number[] = [];
    const byWindow = new Map<number, number[]>();
    const store = cloud.store;
    const write = store.writeSamples.bind(store);
    store.writeSamples = async (rows: readonly Sample[]) => {
      await write(rows);
      const now = Date.now();
      for (const s of rows) {
        if (s.historical || s.time < from || s.time >= until) continue;
        stored.push(now - s.time);
        const w = Math.floor((s.time - from) / WINDOW_MS);
        const list = byWindow.get(w);
        if (list) list.push(now - s.time);
        else byWindow.set(w, [now - s.time]);
      }
    };

    const brokerLatency: number[] = [];
    sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'bench-latency-probe' });
    sub.on('message', (_t, payload) => {
      const now = Date.now();
      for (const m of decodePayload(payload).metrics)
        if (m.timestamp !== undefined && m.timestamp >= from && m.timestamp < until)
          brokerLatency.push(now - m.timestamp);
    });
    await sub.subscribeAsync('spBv1.0/bench/DDATA/#', { qos: 0 });

    const httpPort = await freePort();
    await configureGateway(plant.gatewayFile, {
      broker: broker.url,
      protocolVersion: 4,
      bufferDir: path.join(plant.dir, 'buffer'),
      httpPort,
    });
    gw = await startChild(['gateway', plant.gatewayFile], /gateway started/, {
      LOG_LEVEL: 'info',
      NODE_OPTIONS: process.env.GW_NODE_OPTIONS ?? '',
    });
    const c = cloud;
    await waitFor(() => c.stats().samplesStored > 0, { what: 'samples in the store', timeoutMs: 60_000 });
    await delay(5000); // births, JIT, every device polling

    // The API client: the newest point of a few devices, every 100 ms.
    const apiLatency: number[] = [];
    const newest = new Map<string, number>();
    let polling = true;
    const pollApi = async () => {
      while (polling) {
        const t = Date.now();
        for (const device of polled) {
          const res = await api.inject({
            method: 'GET',
            url: `/api/devices/bench/${device}/series?window=10s&limit=1`,
          });
          if (res.statusCode !== 200) continue;
          const series = res.json<{ points: { time: number }[] }[]>();
          const latest = Math.max(...series.flatMap((s) => s.points.map((p) => p.time)));
          const seen = Date.now();
          if (latest > (newest.get(device) ?? 0)) {
            if (newest.has(device) && latest >= from && latest < until) apiLatency.push(seen - latest);
            newest.set(device, latest);
          }
        }
        await delay(Math.max(0, 100 - (Date.now() - t)));
      }
    };
    const poller = pollApi();

    const cpu0 = process.cpuUsage();
    const g0 = await sampleProc(gw.pid);
    const stored0 = cloud.stats().samplesStored;
    const t0 = performance.now();
    from = Date.now();
    const loads: number[] = [];
    for (let t = 0; t < seconds * 1000; t += WINDOW_MS) {
      await delay(Math.min(WINDOW_MS, seconds * 1000 - t));
      loads.push(load1());
    }
    until = Date.now();
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const g1 = await sampleProc(gw.pid);
    const stored1 = cloud.stats().samplesStored;
    // Samples read before `until` may still be on their way: give them a moment to land.
    await delay(3000);
    polling = false;
    await poller;
    return {
      devices,
      seconds: s,
      pointsStoredPerSecond: (stored1 - stored0) / s,
      stored: stats(stored),
      broker: stats(brokerLatency),
      api: stats(apiLatency),
      apiDevices,
      windows: loads.map((load, w) => ({ p99Ms: stats(byWindow.get(w) ?? []).p99Ms, load })),
      cloudCpuPercent: ((cpu.user + cpu.system) / 1e6 / s) * 100,
      gatewayCpuPercent: ((g1.cpuSeconds - g0.cpuSeconds) / s) * 100,
      load: load1(),
    };
  } finally {
    await gw?.stop();
    await sub?.endAsync();
    await cloud?.stop();
    await plant?.stop();
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const ms = (l: LatencyStats) =>
  `p50 ${fmt(l.p50Ms)} ms, p99 ${fmt(l.p99Ms)} ms, max ${fmt(l.maxMs)} ms (${fmt(l.count)} samples)`;

function window(r: LatencyBenchResult, pick: (...n: number[]) => number): string {
  const valid = r.windows.filter((w) => Number.isFinite(w.p99Ms));
  const p99 = pick(...valid.map((w) => w.p99Ms));
  const w = valid.find((x) => x.p99Ms === p99);
  return w ? `${fmt(w.p99Ms)} ms (load ${w.load.toFixed(1)})` : 'n/a';
}

export function latencyTable(r: LatencyBenchResult): [string, string, string][] {
  return [
    [
      `latency: source time → committed in the embedded DuckDB store (${r.devices} devices × ~100 points @ 1 s, gateway → aedes → cloud)`,
      `${ms(r.stored)}; ${fmt(r.pointsStoredPerSecond)} points/s stored, cloud process ${r.cloudCpuPercent.toFixed(0)}% CPU (load ${r.load.toFixed(1)})`,
      'target p99 ≤ 1.5 s',
    ],
    [
      'latency: p99 per 10 s window (load then)',
      `best ${window(r, Math.min)}, worst ${window(r, Math.max)}`,
      'the machine is shared: compare with the load',
    ],
    ['latency: source time → MQTT subscriber (gateway + broker share)', ms(r.broker), ''],
    [
      `latency: source time → visible through the API (${r.apiDevices} devices polled every 100 ms)`,
      ms(r.api),
      '',
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
  const r = await latencyBench(process.argv.includes('--short'), {
    ...(devices === undefined ? {} : { devices }),
    ...(seconds === undefined ? {} : { seconds }),
  });
  console.error(JSON.stringify(r, null, 2));
  for (const [a, b, c] of latencyTable(r)) console.log(`${a}\n  ${b}${c ? `  (${c})` : ''}`);
}
