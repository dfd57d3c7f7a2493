/**
 * Ingest vs raw InfluxDB, same influxd, same run. The raw ceiling: the samples as line
 * protocol POSTed to /write in 5,000-line batches, four in flight (as ingest's batcher). lianwang: the same samples
 * as Sparkplug DDATA (100 metrics per message) queued at mosquitto for ingest's persistent
 * session, then drained by `buildCloud` (the full host application: decode, aliases, seq,
 * availability, batcher, store) until all are durable. Ratio = ingest / raw points per second.
 *
 *   npx tsx bench/ingest.ts [--short]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import pino from 'pino';
import { buildCloud } from '../cloud/app.ts';
import { SparkplugType as T } from '../wire/sparkplug/index.ts';
import { startInfluxd } from '../test/helpers/influxd.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { EdgeScript } from '../test/helpers/sparkplug-frames.ts';
import { waitFor } from '../test/helpers/wait.ts';

export interface IngestBenchResult {
  samples: number;
  rawPointsPerSecond: number;
  ingestPointsPerSecond: number;
  ratio: number;
  ingestCpuPercent: number;
}

const METRICS_PER_MESSAGE = 100;
const DEVICES = 50;

function lineProtocol(device: number, metric: number, time: number, value: number): string {
  return `telemetry,device=dev-${device},enterprise=bench,metric=m${metric},node=gw-${device % 5} good=true,historical=false,value=${value} ${time}`;
}

async function rawWrite(url: string, db: string, lines: string[]): Promise<number> {
  await fetch(`${url}/query?q=${encodeURIComponent(`CREATE DATABASE ${db}`)}`, { method: 'POST' });
  const batches: string[] = [];
  for (let i = 0; i < lines.length; i += 5000) batches.push(lines.slice(i, i + 5000).join('\n'));
  const start = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const body = batches[next++];
      const r = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body });
      if (r.status !== 204) throw new Error(`raw write: HTTP ${r.status} ${await r.text()}`);
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  return (performance.now() - start) / 1000;
}

export async function ingestBench(short: boolean): Promise<IngestBenchResult> {
  const messages = short ? 1000 : 5000;
  const samples = messages * METRICS_PER_MESSAGE;
  const influxd = await startInfluxd();
  const mosquitto = await startMosquitto({ extra: () => 'max_inflight_messages 0\n' });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lianwang-bench-ingest-'));
  try {
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    const lines: string[] = [];
    for (let i = 0; i < messages; i++) {
      for (let m = 0; m < METRICS_PER_MESSAGE; m++)
        lines.push(lineProtocol(i % DEVICES, m, t0 + i * 10, i + m / 100));
    }
    const rawSeconds = await rawWrite(influxd.url, 'raw', lines);

    const open = () =>
      buildCloud({
        mqtt: { broker: mosquitto.url, protocolVersion: 5, clientId: 'bench-ingest' },
        plants: ['config/plants/demo.yaml'],
        dataDir,
        influx: `${influxd.url}/ingest`,
        log: pino({ level: 'warn' }),
      });
    // Create the persistent session, then queue the whole stream at the broker while ingest is away.
    let cloud = await open();
    await cloud.ingest.ready();
    await cloud.stop();
    const metrics = Object.fromEntries(
      Array.from({ length: METRICS_PER_MESSAGE }, (_, m) => [`m${m}`, T.Double]),
    );
    const nodes = Array.from(
      { length: 5 },
      (_, n) =>
        new EdgeScript(
          'bench',
          `gw-${n}`,
          Array.from({ length: DEVICES / 5 }, (_, d) => ({ id: `dev-${d * 5 + n}`, metrics })),
        ),
    );
    const pub = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 5, clientId: 'bench-pub' });
    let births = 0;
    for (const gw of nodes) {
      await pub.publishAsync(gw.nbirth(t0).topic, gw.nbirth(t0).payload, { qos: 1 });
      gw.seq = 1;
      for (const d of gw.devices) {
        const f = gw.dbirth(d.id, t0);
        await pub.publishAsync(f.topic, f.payload, { qos: 1 });
        births += METRICS_PER_MESSAGE;
      }
    }
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < messages; i++) {
      const device = i % DEVICES;
      const gw = nodes[device % 5];
      if (!gw) continue;
      const values = Array.from({ length: METRICS_PER_MESSAGE }, (_, m) => ({
        metric: `m${m}`,
        time: t0 + i * 10,
        value: i + m / 100,
      }));
      const f = gw.ddata(`dev-${device}`, values);
      pending.push(pub.publishAsync(f.topic, f.payload, { qos: 1 }));
      if (pending.length >= 500) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    await pub.endAsync();

    // Timed from the moment the cloud is built (store open, availability restored): connecting
    // and draining the queued stream is what is measured.
    cloud = await open();
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await waitFor(() => cloud.stats().samplesStored >= samples + births, {
      what: `${samples} samples through ingest`,
      timeoutMs: 600_000,
      intervalMs: 20,
    });
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await cloud.stop();
    const rawPointsPerSecond = samples / rawSeconds;
    const ingestPointsPerSecond = (samples + births) / seconds;
    return {
      samples,
      rawPointsPerSecond,
      ingestPointsPerSecond,
      ratio: ingestPointsPerSecond / rawPointsPerSecond,
      ingestCpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
    };
  } finally {
    await mosquitto.stop();
    await influxd.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function ingestTable(r: IngestBenchResult): [string, string, string][] {
  const f = (n: number) => Math.round(n).toLocaleString('en');
  return [
    [
      `cloud: ingest → InfluxDB vs raw line protocol (${f(r.samples)} points, same influxd)`,
      `${f(r.ingestPointsPerSecond)} vs ${f(r.rawPointsPerSecond)} points/s = ${(r.ratio * 100).toFixed(0)}% (ingest ${r.ingestCpuPercent.toFixed(0)}% CPU)`,
      'target ≥ 70%',
    ],
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await ingestBench(process.argv.includes('--short'));
  for (const [a, b, c] of ingestTable(r)) console.log(`${a}\n  ${b}  (${c})`);
}
