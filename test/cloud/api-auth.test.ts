/** Tokens and ledger edits through the API: who may read, who may write, and what a write persists. */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../cloud/api/index.ts';
import { LedgerError } from '../../cloud/ledger/index.ts';
import { api, fakes, silent } from './api-fakes.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const READ = 'read-token-9f2c';
const ADMIN = 'admin-token-77ab';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const code = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

const furnace2 = {
  line: 'hot-rolling',
  kind: 'reheating-furnace',
  digital: true,
  connectivity: 'opcua',
  name: '加热炉2号',
};

describe('read token', () => {
  it('guards every read route and /metrics; /health and the OpenAPI document stay open', async () => {
    ({ app } = await api({ readToken: READ, adminToken: ADMIN }));
    const reads = [
      '/api/rates',
      '/api/enterprises/ts-steel',
      '/api/devices/ts-steel/furnace-1/series',
      '/api/ledger',
      '/api/unregistered',
      '/api/nodes',
      '/metrics',
    ];
    for (const url of reads) {
      const none = await app.inject(url);
      expect([url, none.statusCode, code(none.body)]).toEqual([url, 401, 'LW_UNAUTHORIZED']);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="lianwang"');
      const wrong = await app.inject({ url, headers: bearer('read-token-9f2d') });
      expect([url, wrong.statusCode]).toEqual([url, 401]);
      const basic = await app.inject({ url, headers: { authorization: `Basic ${READ}` } });
      expect([url, basic.statusCode]).toEqual([url, 401]);
      for (const token of [READ, ADMIN]) {
        const ok = await app.inject({ url, headers: bearer(token) });
        expect([url, ok.statusCode]).toEqual([url, 200]);
      }
    }
    expect((await app.inject('/health')).statusCode).toBe(200);
    expect((await app.inject('/api/openapi.json')).statusCode).toBe(200);
  });

  it('checks the token before validating the query (no parameter oracle without a token)', async () => {
    ({ app } = await api({ readToken: READ }));
    const res = await app.inject('/api/rates?theta=7');
    expect([res.statusCode, code(res.body)]).toEqual([401, 'LW_UNAUTHORIZED']);
  });

  it('leaves reads open when no read token is configured', async () => {
    ({ app } = await api({ adminToken: ADMIN }));
    expect((await app.inject('/api/rates')).statusCode).toBe(200);
    expect((await app.inject('/metrics')).statusCode).toBe(200);
  });

  it('refuses empty tokens at build time', async () => {
    await expect(buildApi(fakes().ctx, { logger: silent, readToken: '' })).rejects.toThrow(/empty/);
    await expect(buildApi(fakes().ctx, { logger: silent, adminToken: '' })).rejects.toThrow(/empty/);
  });
});

describe('ledger writes', () => {
  it('are refused with 403 LW_WRITES_DISABLED when no admin token is configured, whatever is sent', async () => {
    const f = fakes();
    ({ app } = await api({ readToken: READ }, f));
    for (const headers of [{}, bearer(READ), bearer('anything')]) {
      const res = await app.inject({
        method: 'PUT',
        url: '/api/ledger/devices/ts-steel/furnace-2',
        headers,
        payload: furnace2,
      });
      expect([res.statusCode, code(res.body)]).toEqual([403, 'LW_WRITES_DISABLED']);
      expect(res.json<{ error: { message: string } }>().error.message).toMatch(/configure/);
    }
    expect(f.ledger.device('ts-steel', 'furnace-2')).toBeUndefined();
  });

  it('need the admin token: none or a wrong one → 401, the read token → 403 LW_FORBIDDEN', async () => {
    const f = fakes();
    ({ app } = await api({ readToken: READ, adminToken: ADMIN }, f));
    const put = (headers: Record<string, string>) =>
      app!.inject({
        method: 'PUT',
        url: '/api/ledger/devices/ts-steel/furnace-2',
        headers,
        payload: furnace2,
      });
    expect(code((await put({})).body)).toBe('LW_UNAUTHORIZED');
    expect(code((await put(bearer('nope'))).body)).toBe('LW_UNAUTHORIZED');
    const asReader = await put(bearer(READ));
    expect([asReader.statusCode, code(asReader.body)]).toEqual([403, 'LW_FORBIDDEN']);
    const del = await app.inject({
      method: 'DELETE',
      url: '/api/ledger/devices/ts-steel/furnace-1',
      headers: bearer(READ),
    });
    expect(del.statusCode).toBe(403);
    expect(f.ledger.version).toBe(1);
  });

  it('with the admin token create (201), replace (200) and delete, persisted in the ledger', async () => {
    const f = fakes();
    ({ app } = await api({ adminToken: ADMIN }, f));
    const created = await app.inject({
      method: 'PUT',
      url: '/api/ledger/devices/ts-steel/furnace-2',
      headers: bearer(ADMIN),
      payload: furnace2,
    });
    expect(created.statusCode).toBe(201);
    const stored = {
      enterprise: 'ts-steel',
      id: 'furnace-2',
      line: 'hot-rolling',
      name: '加热炉2号',
      kind: 'reheating-furnace',
      digital: true,
      keyProcess: false,
      connectivity: 'opcua',
    };
    expect(created.json()).toEqual({ version: 2, device: stored });
    expect(f.ledger.device('ts-steel', 'furnace-2')).toEqual(stored);

    // A GET result sent back (ids repeated) replaces the entry.
    const replaced = await app.inject({
      method: 'PUT',
      url: '/api/ledger/devices/ts-steel/furnace-2',
      headers: bearer(ADMIN),
      payload: { ...stored, digital: false },
    });
    expect([replaced.statusCode, f.ledger.device('ts-steel', 'furnace-2')?.digital]).toEqual([200, false]);

    const enterprise = await app.inject({
      method: 'PUT',
      url: '/api/ledger/enterprises/sjz-pharma',
      headers: bearer(ADMIN),
      payload: { name: '石家庄示范制药有限公司', city: 'shijiazhuang', industry: 'pharma' },
    });
    expect(enterprise.statusCode).toBe(201);
    expect(f.ledger.enterprise('sjz-pharma')).toEqual({
      id: 'sjz-pharma',
      name: '石家庄示范制药有限公司',
      city: 'shijiazhuang',
      industry: 'pharma',
      leading: false,
    });

    const deleted = await app.inject({
      method: 'DELETE',
      url: '/api/ledger/devices/ts-steel/furnace-2',
      headers: bearer(ADMIN),
    });
    expect(deleted.json()).toEqual({ version: 5, deleted: true });
    expect(f.ledger.device('ts-steel', 'furnace-2')).toBeUndefined();
    const again = await app.inject({
      method: 'DELETE',
      url: '/api/ledger/devices/ts-steel/furnace-2',
      headers: bearer(ADMIN),
    });
    expect([again.statusCode, code(again.body)]).toEqual([404, 'LW_NOT_FOUND']);

    const read = await app.inject('/api/ledger?enterprise=sjz-pharma');
    expect(read.json()).toMatchObject({ version: 5, enterprises: [{ id: 'sjz-pharma' }], devices: [] });
  });

  it.each([
    ['a missing field', { ...furnace2, kind: undefined }, 400, 'LW_BAD_BODY'],
    ['an unknown field', { ...furnace2, digtal: true }, 400, 'LW_BAD_BODY'],
    ['a wrong type', { ...furnace2, digital: 'yes' }, 400, 'LW_BAD_BODY'],
    ['an unknown connectivity', { ...furnace2, connectivity: 'profinet' }, 400, 'LW_BAD_BODY'],
    ['an id contradicting the path', { ...furnace2, id: 'furnace-3' }, 400, 'LW_BAD_BODY'],
  ])('refuse %s with %i %s', async (_what, payload, status, expected) => {
    const f = fakes();
    ({ app } = await api({ adminToken: ADMIN }, f));
    const res = await app.inject({
      method: 'PUT',
      url: '/api/ledger/devices/ts-steel/furnace-2',
      headers: bearer(ADMIN),
      payload,
    });
    expect([res.statusCode, code(res.body)]).toEqual([status, expected]);
    expect(f.ledger.version).toBe(1);
  });

  it('map the ledger’s coded errors to 400/404 and its persistence failures to 500', async () => {
    const f = fakes();
    ({ app } = await api({ adminToken: ADMIN }, f));
    const putEnterprise = (payload: object) =>
      app!.inject({
        method: 'PUT',
        url: '/api/ledger/enterprises/x',
        headers: bearer(ADMIN),
        payload,
      });
    const unknownCity = await putEnterprise({ name: 'X', city: 'atlantis', industry: 'steel' });
    expect(unknownCity.statusCode).toBe(400);
    expect(unknownCity.json()).toEqual({
      error: {
        code: 'LW_LEDGER_REJECTED',
        message: 'the ledger refused the change: unknown city "atlantis"',
        details: {
          ledgerCode: 'unknown_city',
          issues: [{ path: 'city', message: 'unknown city "atlantis"' }],
        },
      },
    });
    const blank = await putEnterprise({ name: ' ', city: 'tangshan', industry: 'steel' });
    expect([blank.statusCode, code(blank.body)]).toEqual([400, 'LW_LEDGER_REJECTED']);
    // A failed write is the server's fault, not the request's.
    f.ledger.failNextWrite = new LedgerError(
      'persist_failed',
      'cannot write the ledger edits to /data/x',
      [],
      {
        cause: Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }),
      },
    );
    const full = await putEnterprise({ name: 'X', city: 'tangshan', industry: 'steel' });
    expect([full.statusCode, code(full.body)]).toEqual([500, 'LW_INTERNAL']);
    expect(full.body).not.toContain('/data/x');
    expect(f.ledger.version).toBe(1);

    const orphan = await app.inject({
      method: 'PUT',
      url: '/api/ledger/devices/nobody/furnace-2',
      headers: bearer(ADMIN),
      payload: furnace2,
    });
    expect([orphan.statusCode, code(orphan.body)]).toEqual([404, 'LW_NOT_FOUND']);
  });

  it.each([
    ['unknown_enterprise', 404, 'LW_NOT_FOUND'],
    ['invalid_input', 400, 'LW_LEDGER_REJECTED'],
    ['unknown_industry', 400, 'LW_LEDGER_REJECTED'],
    ['plant_conflict', 400, 'LW_LEDGER_REJECTED'],
    ['persist_failed', 500, 'LW_INTERNAL'],
    ['bad_edits_file', 500, 'LW_INTERNAL'],
  ] as const)('map the ledger code %s to %i %s', async (ledgerCode, status, expected) => {
    const f = fakes();
    f.ledger.failNextWrite = new LedgerError(ledgerCode, `the ledger says ${ledgerCode}`);
    ({ app } = await api({ adminToken: ADMIN }, f));
    const res = await app.inject({
      method: 'DELETE',
      url: '/api/ledger/devices/ts-steel/furnace-1',
      headers: bearer(ADMIN),
    });
    expect([res.statusCode, code(res.body)]).toEqual([status, expected]);
  });
});
