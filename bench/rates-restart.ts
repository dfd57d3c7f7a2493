/**
 * The restart phase of bench/rates.ts: a running engine's availability (and link status) is
 * written as a snapshot to a real store, followed by the online marks of the minutes after it
 * (what a crash leaves: the snapshot is up to 5 minutes old, plus the 2-minute margin); then a
 * fresh engine is restored from that store as `lianwang cloud` does on start
 * (cloud/snapshots.ts restoreAvailability), and its report is checked against the original.
 * Stores: DuckDB in a temp directory and, when influxd is installed, InfluxDB 1.x on [::1].
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Ledger } from '../cloud/ledger/ledger.ts';
import { createRatesEngine, type RatesService } from '../cloud/rates/engine.ts';
import { captureSnapshot, restoreAvailability } from '../cloud/snapshots.ts';
import { silentLog } from '../cloud/store/common.ts';
import { createDuckdbStore } from '../cloud/store/duckdb.ts';
import { createInfluxStore } from '../cloud/store/influx.ts';
import type { OnlineMark, Store } from '../cloud/store/types.ts';
import { findBinary } from '../test/helpers/binaries.ts';
import { startInfluxd } from '../test/helpers/influxd.ts';

export interface RestartBenchRow {
  store: 'duckdb' | 'influx';
  /** Snapshot rows (runs of a device, up to 16,000 characters each) and links written. */
  snapshotRows: number;
  snapshotLinks: number;
  /** Capturing the snapshot from the index (encoding), then writing it. */
  captureMs: number;
  writeMs: number;
  /** Marks written after the snapshot (the restore reads them back). */
  marksAfter: number;
  /** Restore: every row read (snapshot rows, links, marks, events) and the time to a ready engine. */
  rowsRead: number;
  restoreMs: number;
  /** restoreAvailability's own split of it. */
  phases: { readSnapshot: number; runs: number; readSince: number; apply: number };
  /** The restored engine's 30-day report equals the original's (province and every enterprise). */
  identical: boolean;
  /** Set when the restore did not start from the snapshot: why. */
  fallback?: string;
}

export interface RestartBenchOptions {
  ledger: Ledger;
  /** The engine whose state is persisted (its index already loaded). */
  engine: RatesService;
  widthMs: number;
  /** The report window compared before and after. */
  from: number;
  to: number;
  /** Minutes of marks after the snapshot (default 7). */
  minutesAfter?: number;
  /** Skip InfluxDB (also skipped when influxd is not installed). */
  duckdbOnly?: boolean;
}

export async function restartBench(o: RestartBenchOptions): Promise<RestartBenchRow[]> {
  const rows: RestartBenchRow[] = [];
  const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-bench-restart-'));
  try {
    rows.push(await onStore('duckdb', createDuckdbStore({ dir }), o));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (!o.duckdbOnly && findBinary('influxd')) {
    const influxd = await startInfluxd({ timeoutMs: 60_000 });
    try {
      rows.push(await onStore('influx', createInfluxStore({ url: `${influxd.url}/bench_restart` }), o));
    } finally {
      await influxd.stop();
    }
  }
  return rows;
}

async function onStore(
  kind: RestartBenchRow['store'],
  store: Store,
  o: RestartBenchOptions,
): Promise<RestartBenchRow> {
  await store.open();
  try {
    const w = o.widthMs;
    let t = performance.now();
    const snapshot = await captureSnapshot(o.engine);
    const captureMs = performance.now() - t;
    t = performance.now();
    await store.writeRunsSnapshot(w, snapshot);
    const writeMs = performance.now() - t;

    // The minutes after the snapshot: every device seen in the index marks each bucket (live data).
    const minutes = o.minutesAfter ?? 7;
    const last = Math.floor(Date.now() / w) * w;
    const marks: OnlineMark[] = [];
    for (const [enterprise, device] of o.engine.availability.devices())
      for (let k = minutes; k > 0; k--) marks.push({ enterprise, device, bucket: last - k * w });
    for (let i = 0; i < marks.length; i += 50_000) await store.writeOnline(marks.slice(i, i + 50_000), w);
    for (const m of marks) o.engine.availability.mark(m.enterprise, m.device, m.bucket);

    const fresh = createRatesEngine({ ledger: o.ledger, widthMs: w, clock: () => o.to });
    t = performance.now();
    const restored = await restoreAvailability(store, fresh, {
      widthMs: w,
      from: 0,
      to: Date.now() + w,
      log: silentLog,
    });
    const restoreMs = performance.now() - t;

    const q = { from: o.from, to: o.to };
    const a = o.engine.report(q, o.to + 1);
    const b = fresh.report(q, o.to + 1);
    const identical =
      restored.source === 'snapshot' &&
      JSON.stringify([a.province, a.enterprises]) === JSON.stringify([b.province, b.enterprises]);
    return {
      store: kind,
      snapshotRows: snapshot.rows.length,
      snapshotLinks: snapshot.links.length,
      captureMs,
      writeMs,
      marksAfter: marks.length,
      rowsRead: restored.rowsRead,
      restoreMs,
      phases: restored.phases,
      identical,
      ...(restored.fallback === undefined ? {} : { fallback: restored.fallback }),
    };
  } finally {
    await store.close();
  }
}
