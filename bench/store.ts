/**
 * Store write throughput: N samples (default 100,000) in 5,000-sample writeSamples() calls, one
 * call at a time, into (a) DuckDB in a temp dir, (b) InfluxDB through the store and node-influx,
 * (c) InfluxDB through the Batcher with 2 batches in flight, as ingest uses it, and (d) the same
 * points as raw line protocol POSTed straight to /write: the ceiling the store's overhead is
 * measured against. Each is written twice: fresh rows, then the same rows again (the cost of
 * idempotency when MQTT redelivers).
 *
 *   npx tsx bench/store.ts [--samples 100000] [--batch 5000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Batcher } from '../cloud/store/batcher.ts';
import { createDuckdbStore } from '../cloud/store/duckdb.ts';
import { createInfluxStore } from '../cloud/store/influx.ts';
import { samplePoint } from '../cloud/store/influx-layout.ts';
import { InfluxDB } from 'influx';
import type { Sample, Store } from '../cloud/store/types.ts';
import { startInfluxd } from '../test/helpers/influxd.ts';

export interface StoreBenchRow {
  target: string;
  samples: number;
  batch: number;
  /** Fresh rows. */
  samplesPerSecond: number;
  /** The same rows written again (all duplicates). */
  rewritePerSecond: number;
}

/** 500 devices × 20 metrics × ⌈n / 10,000⌉ seconds, in time order like live ingest. */
export function benchSamples(n: number, t0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000): Sample[] {
  return Array.from({ length: n }, (_, i) => {
    const device = Math.floor(i / 20) % 500;
    return {
      enterprise: `ent-${device % 10}`,
      node: `gw-${device % 25}`,
      device: `dev-${device}`,
      metric: `m${i % 20}`,
      time: t0 + Math.floor(i / 10_000) * 1000 + (device % 1000),
      value: (i % 997) / 7,
      good: true,
      historical: false,
    };
  });
}

async function timed(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

async function writeAll(
  write: (rows: Sample[]) => Promise<void>,
  rows: Sample[],
  batch: number,
): Promise<void> {
  for (let i = 0; i < rows.length; i += batch) await write(rows.slice(i, i + batch));
}

async function benchStore(
  target: string,
  store: Store,
  rows: Sample[],
  batch: number,
  concurrency = 0,
): Promise<StoreBenchRow> {
  await store.open();
  try {
    const run = async (): Promise<void> => {
      if (concurrency === 0) return writeAll((r) => store.writeSamples(r), rows, batch);
      // As ingest does: add() as messages arrive, the batcher cuts batches and keeps N in flight.
      const batcher = new Batcher<Sample>({
        write: (r) => store.writeSamples(r),
        maxRows: batch,
        concurrency,
      });
      const adds: Promise<void>[] = [];
      for (let i = 0; i < rows.length; i += 500) adds.push(batcher.add(rows.slice(i, i + 500)));
      await Promise.all(adds);
      await batcher.close();
    };
    const fresh = await timed(run);
    const again = await timed(run);
    const stored = await store.countSamples({ from: 0, to: Infinity });
    if (stored !== rows.length)
      throw new Error(`${target}: ${stored} samples stored, expected ${rows.length}`);
    return {
      target,
      samples: rows.length,
      batch,
      samplesPerSecond: rows.length / fresh,
      rewritePerSecond: rows.length / again,
    };
  } finally {
    await store.close();
  }
}

/** The same points, serialized by node-influx once up front, POSTed with fetch: no store in the way. */
async function benchRawLineProtocol(url: string, rows: Sample[], batch: number): Promise<StoreBenchRow> {
  const db = 'bench_raw';
  await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE ${db}` }) });
  const serializer = new InfluxDB({ host: 'unused', database: db });
  const bodies: string[] = [];
  for (let i = 0; i < rows.length; i += batch) {
    const points = rows.slice(i, i + batch).map(samplePoint);
    bodies.push(points.map((p) => lineOf(serializer, p)).join('\n'));
  }
  const post = async (): Promise<void> => {
    for (const body of bodies) {
      const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body });
      if (res.status !== 204) throw new Error(`raw /write: ${res.status} ${await res.text()}`);
    }
  };
  const fresh = await timed(post);
  const again = await timed(post);
  return {
    target: 'InfluxDB raw line protocol (pre-serialized, fetch)',
    samples: rows.length,
    batch,
    samplesPerSecond: rows.length / fresh,
    rewritePerSecond: rows.length / again,
  };
}

function lineOf(client: InfluxDB, point: ReturnType<typeof samplePoint>): string {
  const p = client.parsePoint(point, { precision: 'ms' });
  const tags = p.tagsNames.map((k) => `,${escapeKey(k)}=${escapeKey(String(p.tags?.[k]))}`).join('');
  const fields = p.fieldsPairs.map(([k, v]) => `${escapeKey(k)}=${v}`).join(',');
  return `${p.measurement}${tags} ${fields} ${p.castedTimestamp}`;
}

const escapeKey = (s: string): string => s.replace(/[,= ]/g, (c) => `\\${c}`);

export async function storeBench(opts: { samples?: number; batch?: number } = {}): Promise<StoreBenchRow[]> {
  const samples = opts.samples ?? 100_000;
  const batch = opts.batch ?? 5_000;
  const rows = benchSamples(samples);
  const results: StoreBenchRow[] = [];
  const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-bench-store-'));
  try {
    results.push(await benchStore('DuckDB store', createDuckdbStore({ dir }), rows, batch));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const influxd = await startInfluxd();
  try {
    const store = createInfluxStore({ url: `${influxd.url}/bench_store` });
    results.push(await benchStore('InfluxDB store (node-influx, 1 call at a time)', store, rows, batch));
    const batched = createInfluxStore({ url: `${influxd.url}/bench_batcher` });
    results.push(await benchStore('InfluxDB store via Batcher (2 in flight)', batched, rows, batch, 2));
    results.push(await benchRawLineProtocol(influxd.url, rows, batch));
  } finally {
    await influxd.stop();
  }
  return results;
}

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await storeBench({ samples: arg('samples'), batch: arg('batch') });
  const fmt = (n: number): string => Math.round(n).toLocaleString('en');
  console.log(`| target | samples | batch | fresh samples/s | rewrite (duplicates) samples/s |`);
  console.log(`|---|---:|---:|---:|---:|`);
  for (const r of rows)
    console.log(
      `| ${r.target} | ${fmt(r.samples)} | ${fmt(r.batch)} | ${fmt(r.samplesPerSecond)} | ${fmt(r.rewritePerSecond)} |`,
    );
}
