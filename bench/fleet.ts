/**
 * Province-scale fleet load (issue 8 part 2). One `lianwang sim --fleet` child process publishes
 * the hebei scenario grown (or cut) to 50,000 connected devices (short: 2,000)
 * through mosquitto:
 *  1. the generator alone, DATA at QoS 0 and at QoS 1: points/s it sustains, its CPU and RSS,
 *     mosquitto's CPU and the messages mosquitto counted ($SYS) against what the fleet reports;
 *  2. into the cloud (buildCloud in this process) with DuckDB and with InfluxDB (influxd child):
 *     points/s stored, ingest CPU/RSS, influxd CPU, the lag (published − stored samples) and its
 *     growth — a cloud that keeps up has a flat lag — then the time of a rates report over the
 *     province ledger (/api/rates, 24 h window) and how long the cloud takes to drain the lag
 *     once the generator stops.
 * Every figure is measured after the start-up ramp (all nodes connected, buffers replayed).
 *
 *   npx tsx bench/fleet.ts [--short] [--seconds n] [--rate r] [--devices n] [--qos 0|1]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { buildCloud, type Cloud } from '../cloud/app.ts';
import { startInfluxd } from '../test/helpers/influxd.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import {
  brokerCounter,
  childPid,
  FleetChild,
  measure,
  messagesOf,
  slope,
  type Window,
} from './fleet-measure.ts';

export interface FleetBenchOptions {
  /** Connected devices to reach (default 50,000; short: the scenario as written). */
  devices?: number;
  /** DDATA per device per second (default 1/3). */
  rate?: number;
  /** Measured seconds per phase (default 60 for the generator, 300 into the cloud; short 8 / 10). */
  seconds?: number;
  /** QoS of DATA into the cloud (default 0). */
  qos?: 0 | 1;
}

export interface GeneratorFigures {
  qos: 0 | 1;
  /** DDATA per device per second offered. */
  rate: number;
  seconds: number;
  pointsPerSecond: number;
  messagesPerSecond: number;
  cpuPercent: number;
  rssMb: number;
  /** Largest scheduler lag seen, ms (≈ the 50 ms tick when keeping up). */
  maxLagMs: number;
  mosquittoCpuPercent: number;
  /** PUBLISH messages mosquitto counted over the window ($SYS), per second. */
  brokerMessagesPerSecond: number;
  /** Seconds from start until every node was up and its start-up buffer replayed. */
  rampSeconds: number;
  devices: number;
  nodes: number;
  /**
   * 1-minute load average at the end of the window: above ~2 on these 2 cores something else
   * competed for the CPU (the figures are then low bounds).
   */
  loadAverage: number;
}

export interface CloudFigures extends GeneratorFigures {
  store: 'duckdb' | 'influx';
  /** buildCloud with the province ledger: store open, ledger loaded. */
  buildSeconds: number;
  storedPerSecond: number;
  ingestCpuPercent: number;
  ingestRssMb: number;
  influxdCpuPercent?: number;
  /** published − stored samples at the start and end of the window. */
  lagStart: number;
  lagEnd: number;
  /** Least-squares slope of the lag over the window, samples/s (≈ 0 when keeping up). */
  lagGrowthPerSecond: number;
  keepsUp: boolean;
  seqGaps: number;
  rebirths: number;
  /** Median of 3 `/api/rates` reports (24 h window, whole ledger), ms. */
  ratesReportMs: number;
  /** After the generator stopped: seconds until stored ≥ published (undefined: not within 120 s). */
  drainSeconds: number | undefined;
  /** Mean store write latency per batch (the cloud's /metrics) and mean rows per batch. */
  storeBatchMs: number;
  storeBatchRows: number;
  /** The cloud process's event-loop delay, p99 (prom-client's monitor). */
  eventLoopP99Ms: number;
}

export interface FleetBenchResult {
  short: boolean;
  devices: number;
  ledgerDevices: number;
  nodes: number;
  rate: number;
  generator: GeneratorFigures[];
  cloud: CloudFigures[];
}

function generatorFigures(w: Window, qos: 0 | 1, rate: number): GeneratorFigures {
  const dt = w.seconds;
  return {
    qos,
    rate,
    seconds: dt,
    pointsPerSecond: (w.gen.samples - w.genFirst.samples) / dt,
    messagesPerSecond: (messagesOf(w.gen) - messagesOf(w.genFirst)) / dt,
    cpuPercent: w.genCpu * 100,
    rssMb: w.genRssMb,
    maxLagMs: w.maxLagMs,
    mosquittoCpuPercent: (w.cpu.mosquitto ?? 0) * 100,
    brokerMessagesPerSecond: w.brokerMessages,
    rampSeconds: w.rampSeconds,
    devices: w.gen.devices.total,
    nodes: w.gen.nodes.total,
    loadAverage: loadavg()[0] ?? 0,
  };
}

export async function fleetBench(short: boolean, opts: FleetBenchOptions = {}): Promise<FleetBenchResult> {
  const o = { ...opts, short };
  const rate = o.rate ?? 1 / 3;
  const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-bench-fleet-'));
  const plantFile = path.join(dir, 'province.yaml');
  const devices = o.devices ?? (o.short ? 2_000 : 50_000);
  const scaleArgs = ['--devices', String(devices)];
  // The plant is written by the fleet command itself (a child: its memory is not this process's).
  const writer = new FleetChild([
    '--fleet',
    'config/plants/hebei.yaml',
    ...scaleArgs,
    '--write-plant',
    plantFile,
  ]);
  if ((await writer.exited) !== 0) throw new Error('writing the scaled plant failed');
  const fleetArgs = (broker: string, qos: 0 | 1, r = rate) => [
    '--fleet',
    plantFile,
    '--broker',
    broker,
    '--rate',
    String(r),
    '--qos',
    String(qos),
    '--seed',
    '2018',
  ];
  const mosquitto = await startMosquitto({ extra: () => 'sys_interval 1\nmax_inflight_messages 0\n' });
  const mosquittoPid = await childPid('mosquitto');
  const broker = await brokerCounter(mosquitto.url);
  const result: FleetBenchResult = {
    short: o.short,
    devices: 0,
    ledgerDevices: 0,
    nodes: 0,
    rate,
    generator: [],
    cloud: [],
  };
  try {
    // Short mode (≤ 60 s, CI): the cloud phases only; they report the generator's figures too.
    // The offered load at QoS 0 and 1, then a saturation run: one report per device per second.
    const phases: [0 | 1, number][] = [
      [0, rate],
      [1, rate],
      [0, 1],
    ];
    for (const [qos, r] of o.short ? [] : phases) {
      const child = new FleetChild(fleetArgs(mosquitto.url, qos, r));
      try {
        const w = await measure(child, o.seconds ?? 60, { mosquitto: mosquittoPid }, broker);
        result.generator.push(generatorFigures(w, qos, r));
      } finally {
        await child.stop();
      }
    }
    const influxd = await startInfluxd();
    const influxdPid = await childPid('influxd');
    try {
      // The offered load for 5 minutes; in full mode, a store that falls behind gets a lighter load
      // next, to find what it sustains.
      const loads: [number, number][] = o.short ? [[rate, o.seconds ?? 5]] : [[rate, o.seconds ?? 300]];
      for (const store of ['duckdb', 'influx'] as const) {
        const plan = [...loads];
        for (let k = 0; k < plan.length; k++) {
          const [r, seconds] = plan[k] as [number, number];
          const qos = o.qos ?? 0;
          const name = `${store}_${result.cloud.length}`;
          const t = performance.now();
          const cloud = await buildCloud({
            mqtt: { broker: mosquitto.url, protocolVersion: 5, clientId: `bench-fleet-${name}` },
            plants: [plantFile],
            dataDir: path.join(dir, name),
            ...(store === 'influx' ? { influx: `${influxd.url}/${name}` } : {}),
            log: pino({ level: 'error' }),
          });
          const buildSeconds = (performance.now() - t) / 1000;
          result.ledgerDevices = cloud.ledger?.devices().length ?? 0;
          try {
            await cloud.ingest.ready();
            result.cloud.push(
              await cloudPhase(cloud, store, buildSeconds, new FleetChild(fleetArgs(mosquitto.url, qos, r)), {
                seconds,
                mosquittoPid,
                influxdPid: store === 'influx' ? influxdPid : undefined,
                broker,
                qos,
                rate: r,
                short: o.short,
              }),
            );
          } finally {
            await cloud.stop();
          }
          if (!o.short && k === 0 && result.cloud.at(-1)?.keepsUp === false) plan.push([r / 3, 120]);
        }
      }
    } finally {
      await influxd.stop();
    }
  } finally {
    await broker.close();
    await mosquitto.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const any = result.generator[0] ?? result.cloud[0];
  result.devices = any?.devices ?? 0;
  result.nodes = any?.nodes ?? 0;
  return result;
}

async function cloudPhase(
  cloud: Cloud,
  store: 'duckdb' | 'influx',
  buildSeconds: number,
  child: FleetChild,
  o: {
    seconds: number;
    mosquittoPid: number | undefined;
    influxdPid: number | undefined;
    broker: { count(): number };
    qos: 0 | 1;
    rate: number;
    short: boolean;
  },
): Promise<CloudFigures> {
  try {
    const lag: [number, number][] = [];
    let stored0 = 0;
    const w = await measure(
      child,
      o.seconds,
      { mosquitto: o.mosquittoPid, influxd: o.influxdPid },
      o.broker,
      {
        onStart: () => (stored0 = cloud.stats().samplesStored),
        // Paired with the status line as it arrives: published (child) vs stored (here) at one moment.
        each: (s, at) => lag.push([at / 1000, s.samples - cloud.stats().samplesStored]),
      },
    );
    const stored = cloud.stats().samplesStored - stored0;
    const metrics = (await cloud.api?.inject({ url: '/metrics' }))?.body ?? '';
    const reports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = await cloud.api?.inject({ url: '/api/rates' });
      if (r?.statusCode !== 200) throw new Error(`/api/rates: HTTP ${r?.statusCode}`);
      reports.push(performance.now() - t);
    }
    await child.stop();
    const published = child.last?.samples ?? 0;
    const t = performance.now();
    let drainSeconds: number | undefined;
    while (performance.now() - t < (o.short ? 5_000 : 120_000)) {
      if (cloud.stats().samplesStored >= published) {
        drainSeconds = (performance.now() - t) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const growth = slope(lag);
    const g = generatorFigures(w, o.qos, o.rate);
    const stats = cloud.stats();
    return {
      ...g,
      store,
      buildSeconds,
      storedPerSecond: stored / w.seconds,
      ingestCpuPercent: w.selfCpu * 100,
      ingestRssMb: w.selfRssMb,
      ...(o.influxdPid ? { influxdCpuPercent: (w.cpu.influxd ?? 0) * 100 } : {}),
      lagStart: lag[0]?.[1] ?? 0,
      lagEnd: lag.at(-1)?.[1] ?? 0,
      lagGrowthPerSecond: growth,
      keepsUp: growth < 0.01 * g.pointsPerSecond,
      seqGaps: stats.seqGaps,
      rebirths: stats.rebirthsRequested,
      ratesReportMs: reports.sort((a, b) => a - b)[1] ?? 0,
      drainSeconds,
      storeBatchMs: metric(metrics, 'lianwang_store_write_latency_ms{stat="mean"}'),
      storeBatchRows:
        metric(metrics, 'lianwang_store_rows_total') /
        Math.max(1, metric(metrics, 'lianwang_store_batches_total')),
      eventLoopP99Ms: metric(metrics, 'lianwang_cloud_nodejs_eventloop_lag_p99_seconds') * 1000,
    };
  } finally {
    await child.stop();
  }
}

const f = (n: number) => Math.round(n).toLocaleString('en');

/** A sample's value from Prometheus text (0 when absent). */
function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1) ?? 0) || 0;
}

export function fleetTable(r: FleetBenchResult): [string, string, string][] {
  const rows: [string, string, string][] = r.generator.map((g) => [
    `fleet: generator → mosquitto, ${f(g.devices)} devices / ${f(g.nodes)} edge nodes, DDATA every ${(1 / g.rate).toFixed(0)} s, QoS ${g.qos}`,
    `${f(g.pointsPerSecond)} points/s (${f(g.messagesPerSecond)} msg/s; mosquitto counted ${f(g.brokerMessagesPerSecond)}/s), ${g.cpuPercent.toFixed(0)}% CPU, ${f(g.rssMb)} MB RSS, max lag ${f(g.maxLagMs)} ms; mosquitto ${g.mosquittoCpuPercent.toFixed(0)}% CPU; ramp ${g.rampSeconds.toFixed(0)} s; load avg ${g.loadAverage.toFixed(1)}`,
    'target ≥ 50,000 devices, ≥ 50,000 points/s',
  ]);
  for (const c of r.cloud) {
    const drained = c.drainSeconds === undefined ? 'not in time' : `in ${c.drainSeconds.toFixed(1)} s`;
    const influxd = c.influxdCpuPercent === undefined ? '' : `, influxd ${c.influxdCpuPercent.toFixed(0)}%`;
    rows.push([
      `fleet: cloud on ${c.store === 'influx' ? 'InfluxDB' : 'DuckDB'} ← ${f(c.devices)} devices (ledger ${f(r.ledgerDevices)}), DDATA every ${(1 / c.rate).toFixed(0)} s, QoS ${c.qos}, ${f(c.seconds)} s`,
      `${f(c.storedPerSecond)} of ${f(c.pointsPerSecond)} points/s stored, lag ${f(c.lagStart)} → ${f(c.lagEnd)} ` +
        `(${c.lagGrowthPerSecond >= 0 ? '+' : ''}${f(c.lagGrowthPerSecond)}/s: ${c.keepsUp ? 'keeps up' : 'falls behind'}), drained ${drained}; ` +
        `CPU: ingest ${c.ingestCpuPercent.toFixed(0)}%${influxd}, generator ${c.cpuPercent.toFixed(0)}%, mosquitto ${c.mosquittoCpuPercent.toFixed(0)}%; ` +
        `ingest ${f(c.ingestRssMb)} MB RSS, event loop p99 ${f(c.eventLoopP99Ms)} ms; store batches ${f(c.storeBatchRows)} rows in ${f(c.storeBatchMs)} ms; ` +
        `seq gaps ${f(c.seqGaps)}, rebirths ${f(c.rebirths)}; /api/rates ${f(c.ratesReportMs)} ms; load avg ${c.loadAverage.toFixed(1)}`,
      'keeps up (flat lag over 5 min); report < 1 s',
    ]);
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      short: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      rate: { type: 'string' },
      devices: { type: 'string' },
      qos: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const r = await fleetBench(values.short, {
    ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
    ...(values.rate ? { rate: Number(values.rate) } : {}),
    ...(values.devices ? { devices: Number(values.devices) } : {}),
    ...(values.qos ? { qos: values.qos === '1' ? 1 : 0 } : {}),
  });
  if (values.json) console.log(JSON.stringify(r, null, 2));
  for (const [a, b, c] of fleetTable(r)) console.log(`${a}\n  ${b}  (${c})`);
}
