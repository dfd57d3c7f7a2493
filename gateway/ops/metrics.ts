/** Prometheus metrics of a gateway, collected from its parts on each scrape (prom-client). */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Gateway } from '../app.ts';

export function gatewayRegistry(gw: Gateway): Registry {
  const registry = new Registry();
  // The event-loop delay monitor samples with a libuv timer: every 10 ms by default, 100 wakeups a
  // second of an otherwise event-driven process; every 100 ms still sees any stall (a late tick).
  collectDefaultMetrics({
    register: registry,
    prefix: 'lianwang_gateway_process_',
    eventLoopMonitoringPrecision: 100,
  });
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        collect(this);
      },
    });

  gauge(
    'lianwang_gateway_device_state',
    'Device state (1 for the current state)',
    ['device', 'state'],
    (g) => {
      for (const [device, s] of gw.states()) g.set({ device, state: s.state }, 1);
    },
  );
  gauge('lianwang_gateway_polls_total', 'Polls started per device', ['device'], (g) => {
    for (const [device, c] of gw.counters()) g.set({ device }, c.polls);
  });
  gauge(
    'lianwang_gateway_poll_errors_total',
    'Failed requests per device and kind',
    ['device', 'kind'],
    (g) => {
      for (const [device, c] of gw.counters())
        for (const [kind, n] of Object.entries(c.errors)) g.set({ device, kind }, n);
    },
  );
  gauge('lianwang_gateway_poll_duration_seconds', 'Duration of the last poll', ['device'], (g) => {
    for (const [device, c] of gw.counters()) g.set({ device }, c.lastDurationMs / 1000);
  });
  gauge(
    'lianwang_gateway_poll_interval_seconds',
    'Mean actual interval between polls (recent)',
    ['device'],
    (g) => {
      for (const [device, c] of gw.counters()) {
        const list = (c as { intervalsMs?: number[] }).intervalsMs ?? [];
        if (list.length) g.set({ device }, list.reduce((a, b) => a + b, 0) / list.length / 1000);
      }
    },
  );
  gauge(
    'lianwang_gateway_samples_read_total',
    'Samples read from devices (good and bad)',
    ['quality'],
    (g) => {
      const s = gw.sampleCounts();
      g.set({ quality: 'good' }, s.good);
      g.set({ quality: 'bad' }, s.bad);
    },
  );
  gauge('lianwang_gateway_samples_suppressed_total', 'Samples held back by report-by-exception', [], (g) => {
    g.set(gw.suppressed());
  });
  gauge('lianwang_gateway_mqtt_connected', '1 when connected to a broker', [], (g) =>
    g.set(gw.north().connected ? 1 : 0),
  );
  gauge('lianwang_gateway_published_total', 'Messages acknowledged by the broker, by type', ['type'], (g) => {
    for (const [type, n] of Object.entries(gw.north().published)) g.set({ type }, n);
  });
  gauge(
    'lianwang_gateway_points_total',
    'Points published live / queued to disk / replayed / not published (Bad, device dead north)',
    ['path'],
    (g) => {
      const n = gw.north();
      g.set({ path: 'published' }, n.pointsPublished);
      g.set({ path: 'queued' }, n.pointsQueued);
      g.set({ path: 'replayed' }, n.pointsReplayed);
      g.set({ path: 'dead' }, n.pointsDead);
    },
  );
  gauge(
    'lianwang_gateway_commands_total',
    'Device commands (Sparkplug DCMD) by result: written, failed, rejected',
    ['result'],
    (g) => {
      const c = gw.commands();
      g.set({ result: 'written' }, c.written);
      g.set({ result: 'failed' }, c.failed);
      g.set({ result: 'rejected' }, c.rejected);
    },
  );
  gauge('lianwang_gateway_queue_entries', 'Entries in the store-and-forward queue', [], (g) =>
    g.set(gw.queue().entries),
  );
  gauge('lianwang_gateway_queue_bytes', 'Bytes in the store-and-forward queue', [], (g) =>
    g.set(gw.queue().bytes),
  );
  gauge('lianwang_gateway_queue_dropped_total', 'Queue entries dropped by the bounds', ['reason'], (g) => {
    const q = gw.queue();
    g.set({ reason: 'age' }, q.droppedByAge);
    g.set({ reason: 'size' }, q.droppedBySize);
  });
  return registry;
}
