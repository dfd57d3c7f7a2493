/**
 * The cloud process's Prometheus metrics: ingest counters by reason, store batching and
 * latency, pending samples. Read at scrape time from the components' own counters (collect
 * callbacks), so the hot path only increments plain numbers.
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { IngestStats } from './ingest/types.ts';

export interface StoreWriteStats {
  batches: number;
  rows: number;
  failures: number;
  lastLatencyMs: number;
  avgLatencyMs: number;
  lastBatchRows: number;
}

export interface MetricSources {
  ingest(): IngestStats | undefined;
  store(): StoreWriteStats | undefined;
  byType(): Record<string, number>;
}

export function cloudRegistry(src: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lianwang_cloud_' });
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        collect(this);
      },
    });
  gauge('lianwang_ingest_messages_total', 'MQTT messages received, by Sparkplug type', ['type'], (g) => {
    for (const [type, n] of Object.entries(src.byType())) g.set({ type }, n);
  });
  gauge('lianwang_ingest_samples_total', 'Samples decoded from accepted messages', [], (g) =>
    g.set(src.ingest()?.samples ?? 0),
  );
  gauge('lianwang_ingest_samples_stored_total', 'Samples durable in the store', [], (g) =>
    g.set(src.ingest()?.samplesStored ?? 0),
  );
  gauge('lianwang_ingest_rejected_total', 'Messages rejected, by reason', ['reason'], (g) => {
    for (const [reason, n] of Object.entries(src.ingest()?.rejected ?? {})) g.set({ reason }, n);
  });
  gauge(
    'lianwang_ingest_dropped_metrics_total',
    'Metrics dropped from accepted messages, by reason',
    ['reason'],
    (g) => {
      for (const [reason, n] of Object.entries(src.ingest()?.dropped ?? {})) g.set({ reason }, n);
    },
  );
  gauge('lianwang_ingest_seq_gaps_total', 'Sparkplug seq gaps past the reorder window', [], (g) =>
    g.set(src.ingest()?.seqGaps ?? 0),
  );
  gauge('lianwang_ingest_rebirths_requested_total', 'Rebirth NCMDs sent', [], (g) =>
    g.set(src.ingest()?.rebirthsRequested ?? 0),
  );
  gauge('lianwang_ingest_pending_samples', 'Samples waiting to become durable', [], (g) =>
    g.set(src.ingest()?.pending ?? 0),
  );
  gauge('lianwang_store_batches_total', 'Store write batches', [], (g) => g.set(src.store()?.batches ?? 0));
  gauge('lianwang_store_rows_total', 'Rows written to the store', [], (g) => g.set(src.store()?.rows ?? 0));
  gauge('lianwang_store_write_failures_total', 'Failed store writes (retried)', [], (g) =>
    g.set(src.store()?.failures ?? 0),
  );
  gauge('lianwang_store_write_latency_ms', 'Store write latency, last and mean', ['stat'], (g) => {
    const s = src.store();
    g.set({ stat: 'last' }, s?.lastLatencyMs ?? 0);
    g.set({ stat: 'mean' }, s?.avgLatencyMs ?? 0);
  });
  gauge('lianwang_store_batch_rows', 'Rows in the latest store batch', [], (g) =>
    g.set(src.store()?.lastBatchRows ?? 0),
  );
  return registry;
}
