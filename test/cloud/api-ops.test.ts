/** Operations endpoints: the generated OpenAPI document, Prometheus metrics and health. */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { api, fakes } from './api-fakes.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(opts: Parameters<typeof api>[0] = {}) {
  const built = await api(opts);
  app = built.app;
  return built;
}

describe('OpenAPI, metrics, health', () => {
  it('generates an OpenAPI 3.1 document listing every route with its schemas', async () => {
    const { app } = await start();
    const res = await app.inject('/api/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
      components: { schemas: Record<string, unknown> };
    }>();
    expect(doc.openapi).toBe('3.1.0');
    const listed = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(listed.sort()).toEqual(
      [
        'GET /api/rates',
        'GET /api/rates/trend',
        'GET /api/enterprises/{id}',
        'GET /api/devices/{enterprise}/{device}/series',
        'GET /api/devices/{key}/series',
        'GET /api/ledger',
        'PUT /api/ledger/enterprises/{id}',
        'PUT /api/ledger/devices/{enterprise}/{id}',
        'DELETE /api/ledger/devices/{enterprise}/{id}',
        'GET /api/unregistered',
        'GET /api/nodes',
        'GET /api/stream',
        'GET /health',
        'GET /metrics',
        'GET /api/openapi.json',
      ].sort(),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'RatesReport',
        'RatesTrend',
        'RateRow',
        'Ratios',
        'EnterpriseDetail',
        'ErrorResponse',
      ]),
    );
    const rates = doc.paths['/api/rates']?.get;
    expect(Object.keys(rates?.responses ?? {})).toEqual(expect.arrayContaining(['200', '4XX', '5XX']));
    expect(rates?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/health']?.get?.security).toEqual([]);
    // Every reference resolves inside the document (no leftover fastify `Name#` references).
    const refs = [...res.body.matchAll(/"\$ref":"([^"]*)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(20);
    for (const r of new Set(refs)) {
      expect(r).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas).toHaveProperty(String(r).split('/').pop() ?? '');
    }
  });

  it('serves Prometheus text with HTTP counts and latency by route template and status', async () => {
    const { app } = await start();
    await app.inject('/api/enterprises/ts-steel');
    await app.inject('/api/enterprises/nobody');
    await app.inject('/no/such/path');
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain(
      'lianwang_api_requests_total{method="GET",route="/api/enterprises/:id",status="200"} 1',
    );
    expect(res.body).toContain(
      'lianwang_api_requests_total{method="GET",route="/api/enterprises/:id",status="404"} 1',
    );
    expect(res.body).toContain('lianwang_api_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(res.body).toMatch(
      /lianwang_api_request_duration_seconds_count\{method="GET",route="\/api\/enterprises\/:id",status="200"\} 1/,
    );
    expect(res.body).not.toContain('nobody');
  });

  it('reuses its metrics when a second app is built on the same registry', async () => {
    const f = fakes();
    const first = await api({}, f);
    await first.app.inject('/health');
    await first.app.close();
    ({ app } = await api({}, f));
    await app.inject('/health');
    expect(await f.registry.getSingleMetricAsString('lianwang_api_requests_total')).toContain(
      'route="/health",status="200"} 2',
    );
  });

  it('reports health: 200 ok, 200 degraded without broker, 503 with a coded error when the store is down', async () => {
    const f = fakes();
    ({ app } = await api({ readToken: 'r' }, f));
    const ok = await app.inject('/health');
    expect([ok.statusCode, ok.json()]).toEqual([
      200,
      { status: 'ok', store: 'ok', broker: 'connected', storeKind: 'duckdb' },
    ]);
    f.health = { store: 'ok', broker: 'disconnected', ingest: { pending: 3 } };
    const degraded = await app.inject('/health');
    expect([degraded.statusCode, degraded.json()]).toEqual([
      200,
      {
        status: 'degraded',
        store: 'ok',
        broker: 'disconnected',
        ingest: { pending: 3 },
        storeKind: 'duckdb',
      },
    ]);
    f.health = { store: 'down', broker: 'connected' };
    const down = await app.inject('/health');
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'down', store: 'down', error: { code: 'LW_STORE_DOWN' } });
    f.health = new Error('ping timed out');
    const failed = await app.inject('/health');
    expect([failed.statusCode, failed.json<{ status: string }>().status]).toEqual([503, 'down']);
  });
});
