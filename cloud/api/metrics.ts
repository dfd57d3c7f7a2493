/**
 * HTTP metrics of the API, added to the process's registry (ctx.registry). Labelled by the
 * route *template* (`/api/enterprises/:id`), never the raw URL, so ids and scanners probing
 * random paths cannot grow the label set; unknown paths share `unmatched`, dashboard files `static`.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const LABELS = ['method', 'route', 'status'] as const;
type Label = (typeof LABELS)[number];

export interface HttpMetrics {
  requests: Counter<Label>;
  duration: Histogram<Label>;
  streamClients: Gauge;
  observe(method: string, route: string, status: number, seconds: number): void;
}

// A registry outlives one app (tests and reloads build the API again on the same registry):
// reuse a metric already registered under the name instead of failing on the duplicate.
function reuse<T>(
  registry: Registry,
  name: string,
  kind: abstract new (...args: never[]) => T,
  make: () => T,
): T {
  const existing = registry.getSingleMetric(name);
  if (existing === undefined) return make();
  if (existing instanceof kind) return existing;
  throw new Error(`metric ${name} is already registered with another type`);
}

export function httpMetrics(registry: Registry): HttpMetrics {
  const requests = reuse(
    registry,
    'lianwang_api_requests_total',
    Counter,
    () =>
      new Counter({
        name: 'lianwang_api_requests_total',
        help: 'HTTP requests answered by the API, by method, route template and status.',
        labelNames: LABELS,
        registers: [registry],
      }),
  );
  const duration = reuse(
    registry,
    'lianwang_api_request_duration_seconds',
    Histogram,
    () =>
      new Histogram({
        name: 'lianwang_api_request_duration_seconds',
        help: 'Time from request received to response sent, by method, route template and status.',
        labelNames: LABELS,
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
        registers: [registry],
      }),
  );
  const streamClients = reuse(
    registry,
    'lianwang_api_stream_clients',
    Gauge,
    () =>
      new Gauge({
        name: 'lianwang_api_stream_clients',
        help: 'Clients connected to the live stream (/api/stream).',
        registers: [registry],
      }),
  );
  return {
    requests,
    duration,
    streamClients,
    observe(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
  };
}
