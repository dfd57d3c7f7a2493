/**
 * The cloud process, wired: store (InfluxDB or embedded DuckDB) ← batcher ← ingest (the
 * Sparkplug host application) → rates engine → HTTP API. `buildCloud()` is the app factory
 * (tests drive it in-process); `lianwang cloud` only turns flags into its options.
 *
 * On start the rates engine is restored from the store — the newest availability snapshot and
 * what was written after it, or without one every online mark and link event of the restore
 * window (snapshots.ts) — so a restart reports the same rates it reported before.
 */
import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { loadPlantFile } from '../config/load/plant.ts';
import { formatError } from '../config/load/errors.ts';
import type { Plant } from '../config/load/resolve.ts';
import { buildApi } from './api/index.ts';
import { startIngest, type Ingest, type IngestConfig } from './ingest/host.ts';
import { Coalescer } from './ingest/coalesce.ts';
import type { IngestStats } from './ingest/types.ts';
import { Ledger } from './ledger/index.ts';
import { cloudRegistry } from './metrics.ts';
import { createRatesEngine, type RatesService } from './rates/index.ts';
import { restoreAvailability, type RestoreStats, Snapshotter } from './snapshots.ts';
import {
  Batcher,
  openStore,
  parseRetention,
  type LinkEvent,
  type OnlineMark,
  type Sample,
  type Store,
} from './store/index.ts';

export type CloudRole = 'all' | 'tracker' | 'worker';

export interface CloudOptions {
  /** MQTT broker and the ingest's session settings. */
  mqtt: Omit<IngestConfig, 'store' | 'track'>;
  role?: CloudRole;
  /** Plant files: the ledger (not needed by a worker). */
  plants?: string[];
  dataDir: string;
  /** InfluxDB URL; absent = the embedded DuckDB store in dataDir. */
  influx?: string;
  /** How long the store keeps data, an InfluxQL duration (default 90d; INF = forever). */
  retention?: string;
  /** HTTP API: where to listen; absent = no listener (tests use `api.inject`). A worker has none. */
  http?: { host: string; port: number };
  /** Serve the API over HTTPS with this certificate chain and key (PEM); absent = plain HTTP. */
  https?: { cert: Buffer; key: Buffer; ca?: Buffer };
  widthMs?: number;
  theta?: number;
  target?: number;
  /** How far back availability is restored on start (default 35 days). */
  restoreMs?: number;
  /** How often the availability snapshot is written (default 5 min; 0 = never, restarts read every mark). */
  snapshotEveryMs?: number;
  /** On start, marks and events written since the snapshot's time minus this are loaded (default 2 min). */
  snapshotMarginMs?: number;
  readToken?: string;
  adminToken?: string;
  staticDir?: string;
  log: Logger;
}

export interface Cloud {
  readonly store: Store;
  readonly ingest: Ingest;
  readonly rates: RatesService | undefined;
  readonly ledger: Ledger | undefined;
  readonly api: FastifyInstance | undefined;
  /** http://[::1]:port/ (https:// with `https`) when listening. */
  readonly url: string | undefined;
  /** Writes the availability snapshot (undefined for a worker, which has no rates engine). */
  readonly snapshots: Snapshotter | undefined;
  /** How the rates engine was restored on start. */
  readonly restored: RestoreStats | undefined;
  stats(): IngestStats;
  /**
   * Stops everything, writing a last availability snapshot first; `{ snapshot: false }` skips
   * it, leaving the last periodic one as the restart point (what a crash leaves: tests).
   */
  stop(opts?: { snapshot?: boolean }): Promise<void>;
}

export class CloudConfigError extends Error {}

async function loadPlants(files: readonly string[]): Promise<Plant[]> {
  const plants: Plant[] = [];
  const errors: string[] = [];
  for (const f of files) {
    const r = await loadPlantFile(f);
    if (r.ok) plants.push(r.value);
    else errors.push(...r.errors.map(formatError));
  }
  if (errors.length) throw new CloudConfigError(errors.join('\n'));
  return plants;
}

function retentionOf(text: string): { literal: string; ms: number } {
  try {
    return parseRetention(text);
  } catch (err) {
    throw new CloudConfigError(`retention: ${(err as Error).message}`);
  }
}

export async function buildCloud(o: CloudOptions): Promise<Cloud> {
  const role = o.role ?? 'all';
  const log = o.log.child({ name: 'cloud' });
  const tracks = role !== 'worker';
  const stores = role !== 'tracker';
  const widthMs = o.widthMs ?? 60_000;
  const maxFutureMs = o.mqtt.maxFutureMs ?? 5 * 60_000;
  if (tracks && !o.plants?.length)
    throw new CloudConfigError('expected at least one plant file (--plant) for the ledger');
  const plants = tracks ? await loadPlants(o.plants ?? []) : [];
  const retention = retentionOf(o.retention ?? '90d');
  const store = await openStore({
    dataDir: o.dataDir,
    retention: retention.literal,
    ...(o.influx ? { influx: o.influx } : {}),
    log: o.log.child({ name: 'cloud:store' }),
  });
  const storeLog = log.child({ name: 'cloud:store' });

  const ledger = tracks ? await Ledger.fromPlants(plants, { dataDir: o.dataDir }) : undefined;
  for (const issue of ledger?.replayIssues ?? []) log.warn({ issue }, 'ledger edit no longer applies');
  const rates = ledger
    ? createRatesEngine({
        ledger,
        widthMs,
        ...(o.theta === undefined ? {} : { theta: o.theta }),
        ...(o.target === undefined ? {} : { target: o.target }),
        maxFutureMs,
      })
    : undefined;
  let snapshots: Snapshotter | undefined;
  let restored: RestoreStats | undefined;
  if (rates) {
    const to = Date.now() + widthMs;
    // Nothing older than the store keeps, even where the snapshot still has it.
    const from = to - Math.min(o.restoreMs ?? 35 * 86_400_000, retention.ms);
    restored = await restoreAvailability(store, rates, {
      widthMs,
      from,
      to,
      ...(o.snapshotMarginMs === undefined ? {} : { marginMs: o.snapshotMarginMs }),
      log: storeLog,
    });
    log.info({ ...restored, ms: Math.round(restored.ms) }, 'availability restored from the store');
    snapshots = new Snapshotter({
      store,
      rates,
      widthMs,
      everyMs: o.snapshotEveryMs ?? 5 * 60_000,
      log: storeLog,
    });
    snapshots.start();
  }

  const batcher = new Batcher<Sample>({
    write: (rows) => store.writeSamples(rows),
    name: store.location,
    concurrency: store.kind === 'influx' ? 4 : 1,
    maxDelayMs: 100,
    log: storeLog,
  });
  const marks = new Coalescer<OnlineMark>((rows) => store.writeOnline(rows, widthMs));
  const events = new Coalescer<LinkEvent>((rows) => store.writeEvents(rows));
  const updates = new EventEmitter();
  const ingest = startIngest(
    { ...o.mqtt, maxFutureMs, store: stores, track: tracks },
    {
      samples: (rows) => batcher.add(rows),
      marks: (rows) => {
        updates.emit('update');
        return marks.add(rows);
      },
      events: (rows) => {
        updates.emit('update');
        return events.add(rows);
      },
      ...(rates ? { feed: rates } : {}),
      gate: () => (batcher.full ? batcher.waitForDrain() : undefined),
      pending: () => batcher.pending,
    },
    o.log.child({ name: 'cloud:ingest' }),
  );

  const registry = cloudRegistry({
    ingest: () => ingest.stats(),
    store: () => batcher.stats,
    byType: () => ingest.dispatcher.byType,
  });
  let api: FastifyInstance | undefined;
  let url: string | undefined;
  if (rates && ledger) {
    api = await buildApi(
      {
        rates,
        ledger,
        store,
        unregistered: () => rates.unregistered.list(),
        nodes: () => ingest.nodes(),
        ingest: () => ingest.stats(),
        registry,
        health: async () => ({
          // A count over an empty range: a real round trip to the store, nearly free.
          store: (await store.countSamples({ from: 0, to: 1 }).then(
            () => true,
            () => false,
          ))
            ? 'ok'
            : 'down',
          broker: ingest.connected ? 'connected' : 'disconnected',
          pending: batcher.pending,
        }),
        events: updates,
      },
      {
        logger: o.log,
        ...(o.readToken ? { readToken: o.readToken } : {}),
        ...(o.adminToken ? { adminToken: o.adminToken } : {}),
        ...(o.staticDir ? { staticDir: o.staticDir } : {}),
        ...(o.https ? { https: o.https } : {}),
      },
    );
    if (o.http) {
      await api.listen({ host: o.http.host, port: o.http.port });
      const addr = api.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : o.http.port;
      const host = o.http.host === '::' || o.http.host === '0.0.0.0' ? '::1' : o.http.host;
      url = `${o.https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    }
  }

  return {
    store,
    ingest,
    rates,
    ledger,
    api,
    url,
    snapshots,
    restored,
    stats: () => ingest.stats(),
    async stop(opts = {}) {
      await api?.close();
      await ingest.stop();
      await batcher
        .close()
        .catch((err: unknown) => log.error({ err: (err as Error).message }, 'samples left unwritten'));
      await marks.close().catch(() => undefined);
      await events.close().catch(() => undefined);
      // After the last marks and events: the snapshot a restart starts from is the final state.
      await snapshots?.stop({ final: opts.snapshot ?? true });
      await store.close();
    },
  };
}
