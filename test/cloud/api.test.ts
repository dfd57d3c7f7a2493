/**
 * The HTTP API driven with inject() over in-memory contracts: rates (JSON, CSV, filters, query
 * validation), enterprise detail, device series, pipeline views and coded errors.
 * Auth and ledger writes: api-auth.test.ts; OpenAPI, metrics, health: api-ops.test.ts; stream
 * and static files: api-net.test.ts; the real ledger and engine: api-real.test.ts.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ERRORS } from '../../cloud/api/errors.ts';
import { CSV_COLUMNS } from '../../cloud/api/csv.ts';
import { RatesError } from '../../cloud/rates/index.ts';
import { FakeRates, INGEST, NODES, NOW, UNREGISTERED, WIDTH, api, fakes } from './api-fakes.ts';

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

const errorOf = (body: string) =>
  (JSON.parse(body) as { error: { code: string; message: string; details?: unknown } }).error;

describe('GET /api/rates', () => {
  it('returns the full report as JSON, with the window defaulting to the engine (to = latest bucket end)', async () => {
    const { app, f } = await start();
    const res = await app.inject('/api/rates');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    // The response schema would drop any field it does not list: the round trip must be exact.
    expect(res.json()).toEqual(new FakeRates().report({}, NOW));
    expect(f.rates.queries).toEqual([{ q: {}, now: NOW }]);
  });

  it('passes filters, theta and an ISO/ms window through to the engine', async () => {
    const { app, f } = await start();
    const res = await app.inject({
      url: '/api/rates',
      query: {
        from: '2025-02-28T08:00:00+08:00',
        to: String(NOW),
        enterprise: 'ts-steel',
        industry: 'steel',
        city: 'tangshan',
        theta: '0.75',
      },
    });
    expect(res.statusCode).toBe(200);
    expect(f.rates.queries[0]?.q).toEqual({
      from: Date.UTC(2025, 1, 28),
      to: NOW,
      enterprise: 'ts-steel',
      industry: 'steel',
      city: 'tangshan',
      theta: 0.75,
    });
  });

  it('turns window=7d into from = to − 7 d, ending at the latest complete bucket by default', async () => {
    const { app, f } = await start({ now: () => NOW + 59_999 });
    expect((await app.inject('/api/rates?window=7d')).statusCode).toBe(200);
    const end = Math.floor((NOW + 59_999) / WIDTH) * WIDTH;
    expect(f.rates.queries[0]?.q).toEqual({ from: end - 7 * 86_400_000, to: end });
    expect((await app.inject(`/api/rates?window=1h&to=${NOW}`)).statusCode).toBe(200);
    expect(f.rates.queries[1]?.q).toEqual({ from: NOW - 3_600_000, to: NOW });
  });

  it('answers CSV with a BOM, a header and one row per rate row (format=csv or Accept: text/csv)', async () => {
    const { app } = await start();
    const byParam = await app.inject(`/api/rates?format=csv&to=${NOW}&window=24h`);
    const byAccept = await app.inject({
      url: `/api/rates?to=${NOW}&window=24h`,
      headers: { accept: 'text/csv' },
    });
    for (const res of [byParam, byAccept]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(
        'attachment; filename="lianwang-rates-20250228T0000-20250301T0000.csv"',
      );
      expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    }
    const lines = byParam.body.slice(1).split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines[0]).toMatch(/^level,id,name,window_networkedRate,/);
    expect(lines).toHaveLength(1 + 5 + 1);
    // city, industry, leading: empty but on enterprise rows.
    expect(lines[1]).toBe('province,hebei,河北省,0.5,0.5,0.8,0.4375,0.25,0.5,0.8,,10,8,5,4,10,8,3,2,,,');
    expect(lines[4]?.startsWith('enterprise,ts-steel,唐山联网示范钢铁有限公司,0.5,')).toBe(true);
    expect(lines[4]?.endsWith(',tangshan,steel,true')).toBe(true);
    // Quoted (comma, quotes), defused against formula execution, null ratio = empty cell.
    expect(lines[5]).toBe(
      `enterprise,odd,"'=HYPERLINK(""x""),公司",0.5,0.5,0.8,0.4375,,0.5,0.8,,10,8,5,4,10,0,3,2,tangshan,other,false`,
    );
  });

  it('format=json wins over Accept: text/csv', async () => {
    const { app } = await start();
    const res = await app.inject({ url: '/api/rates?format=json', headers: { accept: 'text/csv' } });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it.each([
    ['theta=1.5', 'theta'],
    ['theta=abc', 'theta'],
    ['format=xml', 'format'],
    ['window=fortnight', 'window'],
    ['window=0h', 'window'],
    ['from=yesterday', 'from'],
    ['from=2025-02-28T08:00:00', 'from'], // no offset: refused, not read in the server's time zone
    [`from=${NOW}&to=${NOW}`, 'from'],
    [`from=${NOW + 1}&to=${NOW}`, 'from'],
    [`from=${NOW - 3_600_000}&window=1h`, 'window'],
    ['window=400d', 'window'],
    ['industry=textiles', 'industry'],
    ['enterprise=a%2Fb', 'enterprise'],
    ['enterprize=ts-steel', 'enterprize'], // a typo is refused, not ignored
  ])('%s → 400 LW_BAD_QUERY naming the parameter', async (query, parameter) => {
    const { app, f } = await start();
    const res = await app.inject(`/api/rates?${query}`);
    expect(res.statusCode).toBe(400);
    const error = errorOf(res.body);
    expect(error.code).toBe('LW_BAD_QUERY');
    expect(`${error.message} ${JSON.stringify(error.details)}`).toContain(parameter);
    expect(f.rates.queries).toHaveLength(0);
  });
  it("answers the engine's own window errors (RatesError) with 400 LW_BAD_QUERY", async () => {
    const f = fakes();
    f.rates.report = () => {
      throw new RatesError('bad_window', 'the window is empty once rounded to 60000 ms buckets');
    };
    ({ app } = await api({}, f));
    const res = await app.inject(`/api/rates?from=${NOW + 10_000}&to=${NOW + 50_000}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        code: 'LW_BAD_QUERY',
        message: 'invalid request parameters: the window is empty once rounded to 60000 ms buckets',
        details: { ratesCode: 'bad_window' },
      },
    });
  });
});

describe('GET /api/enterprises/:id', () => {
  it('returns the detail with devices, online fractions, reasons and last seen', async () => {
    const { app, f } = await start();
    const res = await app.inject('/api/enterprises/ts-steel?window=24h&theta=0.9');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(new FakeRates().enterprise('ts-steel', {}));
    expect(f.rates.queries[0]?.q).toEqual({ from: NOW - 86_400_000, to: NOW, theta: 0.9 });
  });

  it('answers 404 LW_NOT_FOUND for an unknown enterprise and 400 for an invalid id', async () => {
    const { app } = await start();
    const missing = await app.inject('/api/enterprises/nobody');
    expect(missing.statusCode).toBe(404);
    expect(errorOf(missing.body)).toEqual({
      code: 'LW_NOT_FOUND',
      message: 'not found: enterprise "nobody"',
    });
    const invalid = await app.inject('/api/enterprises/%E5%94%90');
    expect(invalid.statusCode).toBe(400);
    expect(errorOf(invalid.body).code).toBe('LW_BAD_QUERY');
  });
});

describe('GET /api/devices/…/series', () => {
  it('queries the store with metrics, window and limit; both address forms are the same device', async () => {
    const { app, f } = await start();
    const a = await app.inject(
      '/api/devices/ts-steel/furnace-1/series?metrics=temperature,%20running&window=2h&limit=50',
    );
    const b = await app.inject(
      '/api/devices/ts-steel:furnace-1/series?metrics=temperature,%20running&window=2h&limit=50',
    );
    for (const res of [a, b]) {
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual([
        {
          metric: 'temperature',
          points: [
            { time: NOW - 7_200_000, value: 1180.5, good: true },
            { time: NOW - 7_199_000, value: null, good: false },
          ],
        },
        { metric: 'running', points: [{ time: NOW - 7_200_000, value: true, good: true }] },
        { metric: 'mode', points: [{ time: NOW - 7_200_000, value: 'auto', good: true }] },
      ]);
    }
    const expected = {
      enterprise: 'ts-steel',
      device: 'furnace-1',
      metrics: ['temperature', 'running'],
      from: NOW - 7_200_000,
      to: NOW,
      limit: 50,
    };
    expect(f.store.queries).toEqual([expected, expected]);
  });

  it('defaults to the last hour and 1,000 points; unregistered devices are queryable too', async () => {
    const { app, f } = await start();
    const res = await app.inject('/api/devices/ts-steel/press-9/series');
    expect(res.statusCode).toBe(200);
    expect(f.store.queries[0]).toEqual({
      enterprise: 'ts-steel',
      device: 'press-9',
      from: NOW - 3_600_000,
      to: NOW,
      limit: 1000,
    });
  });

  it.each([
    ['/api/devices/ts-steel/nothing/series', 404, 'LW_NOT_FOUND'],
    ['/api/devices/ts-steel:nothing/series', 404, 'LW_NOT_FOUND'],
    ['/api/devices/ts-steel%2Ffurnace-1/series', 400, 'LW_BAD_QUERY'],
    ['/api/devices/ts-steel:furnace-1:x/series', 400, 'LW_BAD_QUERY'],
    ['/api/devices/ts-steel/furnace-1/series?limit=0', 400, 'LW_BAD_QUERY'],
    ['/api/devices/ts-steel/furnace-1/series?limit=100000', 400, 'LW_BAD_QUERY'],
    ['/api/devices/ts-steel/furnace-1/series?from=1000&to=10', 400, 'LW_BAD_QUERY'],
    ['/api/devices/ts-steel/furnace-1/series?metrics=' + 'm,'.repeat(101), 400, 'LW_BAD_QUERY'],
  ])('%s → %i %s', async (url, status, code) => {
    const { app, f } = await start();
    const res = await app.inject(url);
    expect(res.statusCode).toBe(status);
    expect(errorOf(res.body).code).toBe(code);
    expect(f.store.queries).toHaveLength(0);
  });

  it('answers 503 LW_STORE_DOWN when the store fails, without leaking its message', async () => {
    const f = fakes();
    f.store.fail = true;
    ({ app } = await api({}, f));
    const res = await app.inject('/api/devices/ts-steel/furnace-1/series');
    expect(res.statusCode).toBe(503);
    const error = errorOf(res.body);
    expect(error.code).toBe('LW_STORE_DOWN');
    expect(error.message).not.toContain('/var/lib');
  });
});

describe('pipeline views', () => {
  it('lists unregistered devices, optionally of one enterprise', async () => {
    const { app } = await start();
    expect((await app.inject('/api/unregistered')).json()).toEqual({ devices: UNREGISTERED });
    expect((await app.inject('/api/unregistered?enterprise=bd-pharma')).json()).toEqual({
      devices: [UNREGISTERED[1]],
    });
  });

  it('lists edge nodes with ingest counters and the store in use', async () => {
    const { app } = await start();
    expect((await app.inject('/api/nodes')).json()).toEqual({
      nodes: NODES,
      ingest: INGEST,
      store: { kind: 'duckdb', location: '/var/lib/lianwang' },
    });
  });
});

describe('coded errors', () => {
  it('answers unknown routes and methods with 404 LW_NO_ROUTE', async () => {
    const { app } = await start();
    for (const [method, url] of [
      ['GET', '/api/nothing?x=1'],
      ['POST', '/api/rates'],
      ['GET', '/'],
    ] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode).toBe(404);
      expect(errorOf(res.body).code).toBe('LW_NO_ROUTE');
    }
    expect(errorOf((await app.inject('/api/nothing?x=1')).body).message).toBe('no route GET "/api/nothing"');
  });

  it('answers an oversized body with 413 LW_BODY_TOO_LARGE', async () => {
    const { app } = await start({ adminToken: 'admin-secret', bodyLimit: 1024 });
    const res = await app.inject({
      method: 'PUT',
      url: '/api/ledger/enterprises/big',
      headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(2000), city: 'tangshan', industry: 'steel' }),
    });
    expect(res.statusCode).toBe(413);
    expect(errorOf(res.body)).toEqual({
      code: 'LW_BODY_TOO_LARGE',
      message: 'request body larger than 1024 bytes',
    });
  });

  it('maps malformed JSON, wrong media types and bad escapes to coded errors', async () => {
    const { app } = await start({ adminToken: 'admin-secret' });
    const put = (payload: string, type: string) =>
      app.inject({
        method: 'PUT',
        url: '/api/ledger/enterprises/x',
        headers: { authorization: 'Bearer admin-secret', 'content-type': type },
        payload,
      });
    const malformed = await put('{"name":', 'application/json');
    expect([malformed.statusCode, errorOf(malformed.body).code]).toEqual([400, 'LW_BAD_BODY']);
    const xml = await put('<x/>', 'application/xml');
    expect([xml.statusCode, errorOf(xml.body).code]).toEqual([415, 'LW_UNSUPPORTED_MEDIA_TYPE']);
    const escape = await app.inject('/api/enterprises/%zz');
    expect([escape.statusCode, errorOf(escape.body).code]).toEqual([400, 'LW_BAD_QUERY']);
  });

  it('answers an engine crash with 500 LW_INTERNAL carrying the request id, not the cause', async () => {
    const f = fakes();
    f.rates.report = () => {
      throw new Error('secret internals');
    };
    ({ app } = await api({}, f));
    const res = await app.inject('/api/rates');
    expect(res.statusCode).toBe(500);
    const error = errorOf(res.body);
    expect(error.code).toBe('LW_INTERNAL');
    expect(error.message).not.toContain('secret');
    expect(error.message).toMatch(/request \S+$/);
  });

  it('documents every catalogue code in docs/api.md, with its status, and no other code', () => {
    const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const table = new Map(
      [...doc.matchAll(/^\|\s*`(LW_[A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1], Number(m[2])]),
    );
    expect(Object.fromEntries(table)).toEqual(
      Object.fromEntries(Object.entries(ERRORS).map(([code, e]) => [code, e.status])),
    );
  });
});

describe('GET /api/ledger', () => {
  it('leaves the devices out with devices=false (names for the dashboard without megabytes)', async () => {
    const { app } = await start();
    const full = (await app.inject('/api/ledger')).json<{ devices: unknown[]; enterprises: unknown[] }>();
    const lean = (await app.inject('/api/ledger?devices=false')).json<{
      devices: unknown[];
      enterprises: unknown[];
    }>();
    expect(full.devices.length).toBeGreaterThan(0);
    expect(lean.devices).toEqual([]);
    expect(lean.enterprises).toEqual(full.enterprises);
    expect((await app.inject('/api/ledger?devices=maybe')).statusCode).toBe(400);
  });
});
