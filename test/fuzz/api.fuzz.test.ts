/**
 * The HTTP API, fuzzed through inject() over the real in-memory ledger and rates engine (as
 * test/cloud/api-real.test.ts builds them): every route from the app's own OpenAPI document
 * with random and near-miss path and query parameters, random methods, tokens and content
 * types, random and mutated JSON bodies on ledger PUTs with the admin token, and bodies over
 * the limit. Never a 5xx; every error in the coded shape with the catalogue's status; a PUT
 * that succeeds is in the ledger afterwards, and the ledger still serialises.
 */
import { Registry } from 'prom-client';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../cloud/api/index.ts';
import type { ApiContext } from '../../cloud/api/types.ts';
import { ERRORS } from '../../cloud/api/errors.ts';
import { Ledger } from '../../cloud/ledger/index.ts';
import { createRatesEngine } from '../../cloud/rates/index.ts';
import { loadPlantText } from '../../config/load/plant.ts';
import { INGEST, NODES, StubStore, silent } from '../cloud/api-fakes.ts';
import { FUZZ_TIMEOUT, runs, Tally } from './fuzz.ts';

const W = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0);
const NOW = T0 + 10 * W + 30_000;
const ADMIN = 'admin-token';
const BODY_LIMIT = 16 * 1024;
const PLANT = `region:
  id: hebei
  name: 河北省
  cities: [{ id: tangshan, name: 唐山市 }, { id: baoding, name: 保定市 }]
enterprises:
  - { id: A, name: 甲钢铁, city: tangshan, industry: steel, leading: true,
      lines: [{ id: l1, devices: [{ id: a1, kind: reheating-furnace, digital: true, connectivity: { type: opcua, endpoint: 'opc.tcp://[::1]:4840' } }] }] }
`;

let app: FastifyInstance;
let ledger: Ledger;
beforeAll(async () => {
  const plant = loadPlantText(PLANT, 'plant.yaml');
  if (!plant.ok) throw new Error(JSON.stringify(plant.errors));
  ledger = await Ledger.fromPlants([plant.value]);
  app = await buildApi(context(), {
    logger: silent,
    adminToken: ADMIN,
    bodyLimit: BODY_LIMIT,
    now: () => NOW,
  });
});

/** The API's context over the real ledger and rates engine, with ten minutes of a1 online. */
function context(): ApiContext {
  const rates = createRatesEngine({ ledger, clock: () => NOW });
  for (let b = 0; b < 10; b++) rates.sample('A', 'gw-a', 'a1', T0 + b * W + 15_000);
  return {
    rates,
    ledger,
    store: new StubStore(),
    unregistered: () => rates.unregistered.list(),
    nodes: () => NODES,
    ingest: () => INGEST,
    registry: new Registry(),
    health: () => ({ store: 'ok', broker: 'connected' }),
  };
}
afterAll(() => app.close());

interface Route {
  method: string;
  path: string;
  query: string[];
  params: string[];
  body: boolean;
}

/** The routes as the API documents them (the live stream is left out: it never ends under inject). */
async function routes(): Promise<Route[]> {
  type Op = { parameters?: { name: string; in: string }[]; requestBody?: unknown };
  const doc = (await app.inject('/api/openapi.json')).json<{ paths: Record<string, Record<string, Op>> }>();
  const out = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([m, op]) => ({
      method: m.toUpperCase(),
      path,
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
      body: op.requestBody !== undefined,
    })),
  );
  const rates = ['from', 'to', 'window', 'theta', 'enterprise', 'industry', 'city', 'format'];
  if (!out.some((r) => r.path === '/api/rates'))
    out.push({ method: 'GET', path: '/api/rates', query: rates, params: [], body: false });
  return out.filter((r) => r.path !== '/api/stream');
}

const odd = fc.constantFrom(
  '',
  ' ',
  '..',
  '%',
  '%zz',
  '\u0000',
  '\uD800',
  '设备',
  'a'.repeat(300),
  '-1',
  '1e309',
  'NaN',
  'Infinity',
  '__proto__',
  'constructor',
  '[]',
  '{}',
  'null',
  'true',
  "'",
  '"',
  '<script>',
  '../..',
);
const value = fc.oneof(
  fc.constantFrom(
    'A',
    'a1',
    'B',
    'A:a1',
    'steel',
    'tangshan',
    'csv',
    'json',
    'xml',
    '0',
    '0.5',
    '1',
    '1.5',
    '-0',
  ),
  fc.constantFrom('24h', '7d', '0s', '99999999999999w', '1ms', '366d', '367d', '1h1m'),
  fc.constantFrom(
    String(NOW),
    String(T0),
    '8640000000000001',
    '2026-11-02T08:00:00Z',
    '2026-11-02T08:00:00',
    '2026-13-45T99:99:99+08:00',
    '0001-01-01T00:00:00Z',
    '+275760-09-13T00:00:00Z',
  ),
  fc.double().map(String),
  fc.integer().map(String),
  odd,
  fc.string({ maxLength: 20 }),
);
/** Percent-encoded, lone surrogates as the invalid UTF-8 bytes a hostile client would send. */
const enc = (s: string, raw: boolean) =>
  raw
    ? s
    : s
        .split(/([\uD800-\uDFFF])/u)
        .map((p) => (/^[\uD800-\uDFFF]$/.test(p) ? '%ED%A0%80' : encodeURIComponent(p)))
        .join('');

const request = (rs: Route[]) =>
  fc.record({
    route: fc.constantFrom(...rs),
    method: fc.oneof(
      { weight: 5, arbitrary: fc.constant(null) },
      fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'PATCH', 'HEAD', 'OPTIONS'),
    ),
    params: fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom('A', 'a1', 'z1', 'B') }, value), {
      minLength: 3,
      maxLength: 3,
    }),
    query: fc.array(
      fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.constant('') }, fc.string({ maxLength: 8 })), value),
      { maxLength: 5 },
    ),
    raw: fc.boolean(),
    auth: fc.constantFrom(`Bearer ${ADMIN}`, `Bearer ${ADMIN}`, 'Bearer wrong', 'Basic x', undefined),
    type: fc.constantFrom(
      'application/json',
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      undefined,
    ),
    accept: fc.constantFrom(undefined, 'text/csv', '*/*'),
    body: fc.oneof(
      { weight: 3, arbitrary: fc.json({ maxDepth: 3 }) },
      { weight: 4, arbitrary: ledgerBody() },
      fc.constantFrom('{', '', 'null', '[]', '"x"', '{"a":1}{'),
      fc
        .integer({ min: BODY_LIMIT - 20, max: 4 * BODY_LIMIT })
        .map((n) => JSON.stringify({ name: 'x'.repeat(n) })),
    ),
  });

/** A valid enterprise or device body with one field changed, dropped or added. */
function ledgerBody(): fc.Arbitrary<string> {
  const valid = fc.constantFrom<Record<string, unknown>>(
    { name: '丙', city: 'baoding', industry: 'pharma', leading: false },
    {
      line: 'l1',
      kind: 'hydraulic-press',
      digital: true,
      keyProcess: true,
      connectivity: 'modbus-tcp',
      name: '压机',
    },
  );
  return fc
    .tuple(
      valid,
      fc.constantFrom(
        'name',
        'city',
        'industry',
        'leading',
        'line',
        'kind',
        'digital',
        'id',
        'enterprise',
        'x',
      ),
      fc.option(fc.jsonValue({ maxDepth: 2 }), { freq: 3 }),
      fc.constantFrom('keep', 'drop', 'change'),
    )
    .map(([b, key, v, how]) => {
      const copy: Record<string, unknown> = { ...b };
      if (how === 'keep') return JSON.stringify(copy);
      if (how === 'drop') delete copy[key];
      else if (v !== null) copy[key] = v;
      return JSON.stringify(copy);
    });
}

describe('HTTP API, fuzzed', { timeout: FUZZ_TIMEOUT }, () => {
  it('every route: random parameters, methods, tokens and bodies — never a 5xx, always coded errors', async () => {
    const tally = new Tally('api routes');
    const rs = await routes();
    expect(rs.length).toBeGreaterThanOrEqual(12);
    await fc.assert(
      fc.asyncProperty(request(rs), async (q) => {
        let i = 0;
        const path = q.route.path.replace(/\{(\w+)\}/g, () => enc(q.params[i++] ?? '', q.raw));
        const known = q.route.query;
        const pairs = q.query.map(
          ([k, v], j) => `${enc(k || (known[j % Math.max(known.length, 1)] ?? 'x'), q.raw)}=${enc(v, q.raw)}`,
        );
        const method = q.method ?? q.route.method;
        const send = q.route.body || method === 'PUT' || method === 'POST';
        const res = await app.inject({
          method: method as 'GET',
          url: pairs.length ? `${path}?${pairs.join('&')}` : path,
          headers: {
            ...(q.auth ? { authorization: q.auth } : {}),
            ...(q.accept ? { accept: q.accept } : {}),
            ...(send && q.type ? { 'content-type': q.type } : {}),
          },
          ...(send ? { payload: q.body } : {}),
        });
        tally.count(`${res.statusCode}`);
        expect(res.statusCode, `${method} ${path}`).toBeLessThan(500);
        if (res.statusCode >= 400 && method !== 'HEAD') {
          const body = res.json<{ error: { code: keyof typeof ERRORS; message: string } }>();
          expect(Object.keys(body)).toEqual(['error']);
          expect(ERRORS[body.error.code]?.status, body.error.code).toBe(res.statusCode);
          expect(body.error.message.length).toBeGreaterThan(0);
          if (Buffer.byteLength(q.body) > BODY_LIMIT && send && res.statusCode === 413)
            expect(body.error.code).toBe('LW_BODY_TOO_LARGE');
        } else if (method === 'PUT' && q.route.path.startsWith('/api/ledger/devices')) {
          const [enterprise, id] = q.params;
          expect(ledger.device(enterprise ?? '', id ?? '')).toEqual(res.json<{ device: object }>().device);
        }
        if (method !== 'GET' && res.statusCode < 300)
          expect((await app.inject('/api/ledger')).statusCode).toBe(200);
      }),
      { numRuns: runs(4000) },
    );
    tally.report();
    for (const status of ['200', '400', '404', '413'])
      expect(tally.outcomes[status] ?? 0, status).toBeGreaterThan(0);
  });

  it('ledger writes with the admin token: random and mutated bodies; what is accepted is stored', async () => {
    const tally = new Tally('api ledger writes');
    const id = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('A', 'B', 'a1', 'z1', 'new-1') }, value);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('enterprise', 'device', 'delete'),
        id,
        id,
        fc.oneof({ weight: 3, arbitrary: ledgerBody() }, fc.json({ maxDepth: 3 })),
        async (what, a, b, body) => {
          const url =
            what === 'enterprise'
              ? `/api/ledger/enterprises/${enc(a, false)}`
              : `/api/ledger/devices/${enc(a, false)}/${enc(b, false)}`;
          const res = await app.inject({
            method: what === 'delete' ? 'DELETE' : 'PUT',
            url,
            headers: {
              authorization: `Bearer ${ADMIN}`,
              ...(what === 'delete' ? {} : { 'content-type': 'application/json' }),
            },
            ...(what === 'delete' ? {} : { payload: body }),
          });
          tally.count(`${what} ${res.statusCode}`);
          expect(res.statusCode).toBeLessThan(500);
          if (res.statusCode >= 400) {
            const e = res.json<{ error: { code: keyof typeof ERRORS } }>().error;
            expect(ERRORS[e.code]?.status).toBe(res.statusCode);
            return;
          }
          // What the API says it stored is what the ledger holds (fastify's Ajv coerces body
          // scalars, e.g. name 0 → "0", so the response, not the request, is the reference).
          if (what === 'enterprise')
            expect(ledger.enterprise(a)).toEqual(res.json<{ enterprise: object }>().enterprise);
          else if (what === 'device')
            expect(ledger.device(a, b)).toEqual(res.json<{ device: object }>().device);
          else expect(ledger.device(a, b)).toBeUndefined();
          if (what !== 'delete')
            expect(res.json<Record<string, { id: string }>>()[what]?.id).toBe(what === 'enterprise' ? a : b);
          expect((await app.inject('/api/ledger')).statusCode).toBe(200);
        },
      ),
      { numRuns: runs(2000) },
    );
    tally.report();
    for (const ok of ['enterprise 201', 'device 201', 'delete 200'])
      expect(tally.outcomes[ok] ?? 0, ok).toBeGreaterThan(0);
  });

  it('a body over the default 1 MiB limit is refused coded, on every ledger write', async () => {
    const big = await buildApi(context(), { logger: silent, adminToken: ADMIN, now: () => NOW });
    try {
      for (const url of ['/api/ledger/enterprises/Z', '/api/ledger/devices/A/z1']) {
        const res = await big.inject({
          method: 'PUT',
          url,
          headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
        });
        expect([res.statusCode, res.json()]).toEqual([
          413,
          { error: { code: 'LW_BODY_TOO_LARGE', message: 'request body larger than 1048576 bytes' } },
        ]);
      }
    } finally {
      await big.close();
    }
  });
});
