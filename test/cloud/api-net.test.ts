/**
 * The API over a real socket: the live stream (SSE delivery, coalescing, heartbeats, cleanup on
 * disconnect and on close) and the dashboard files (raw paths the HTTP client sends unchanged,
 * so traversal attempts reach the server exactly as an attacker would write them).
 */
import http from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../cloud/api/index.ts';
import { api, fakes, silent } from './api-fakes.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function listen(a: FastifyInstance): Promise<number> {
  await a.listen({ port: 0, host: '::1' });
  const addr = a.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request whose path goes on the wire verbatim (no normalisation by the client). */
function get(port: number, rawPath: string, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '::1', port, path: rawPath, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** An open event stream collecting what arrives. */
function subscribe(port: number, pathAndQuery: string, headers: Record<string, string> = {}) {
  const stream = { status: 0, text: '', ended: false, req: undefined as http.ClientRequest | undefined };
  stream.req = http.get({ host: '::1', port, path: pathAndQuery, headers }, (res) => {
    stream.status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    res.on('data', (c: string) => (stream.text += c));
    res.on('end', () => (stream.ended = true));
  });
  stream.req.on('error', () => (stream.ended = true));
  stream.req.on('close', () => (stream.ended = true));
  return stream;
}

const updates = (text: string) =>
  [...text.matchAll(/^id: (\d+)\nevent: update\ndata: (.*)$/gm)].map((m) => ({
    id: Number(m[1]),
    data: JSON.parse(m[2] ?? '') as { time: number; ledgerVersion: number },
  }));

describe('GET /api/stream', () => {
  it('delivers an update event, coalesces a burst into one trailing event and sends heartbeats', async () => {
    const f = fakes();
    ({ app } = await api({ stream: { minIntervalMs: 300, heartbeatMs: 100 } }, f));
    const port = await listen(app);
    const s = subscribe(port, '/api/stream');
    await waitFor('the stream to open', () => s.text.includes(': connected'));
    expect(s.status).toBe(200);
    expect(f.events.listenerCount('update')).toBe(1);

    f.events.emit('update');
    await waitFor('the first update', () => updates(s.text).length === 1);
    for (let i = 0; i < 5; i++) f.events.emit('update');
    await waitFor('the trailing update', () => updates(s.text).length === 2);
    f.ledger.version = 2;
    f.events.emit('update');
    await waitFor('the next update', () => updates(s.text).length >= 3);
    // Had the burst not been coalesced, more version-1 events would precede the version-2 one.
    expect(updates(s.text).map((u) => [u.id, u.data.ledgerVersion])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    await waitFor('a heartbeat', () => s.text.includes(': heartbeat\n\n'));
  });

  it('stops listening when the last client disconnects, and ends streams when the app closes', async () => {
    const f = fakes();
    ({ app } = await api({}, f));
    const port = await listen(app);
    const a = subscribe(port, '/api/stream');
    const b = subscribe(port, '/api/stream');
    await waitFor('both streams', () => a.text.includes(': connected') && b.text.includes(': connected'));
    expect(f.events.listenerCount('update')).toBe(1); // one hub for all clients
    const gauge = async () =>
      (await f.registry.getSingleMetric('lianwang_api_stream_clients')?.get())?.values[0]?.value;
    expect(await gauge()).toBe(2);

    a.req?.destroy();
    await waitFor('a to be dropped', async () => (await gauge()) === 1);
    expect(f.events.listenerCount('update')).toBe(1);
    b.req?.destroy();
    await waitFor('the listener to go', () => f.events.listenerCount('update') === 0);
    expect(await gauge()).toBe(0);

    const c = subscribe(port, '/api/stream');
    await waitFor('c', () => c.text.includes(': connected'));
    await app.close();
    app = undefined;
    await waitFor('c to end', () => c.ended);
    expect(f.events.listenerCount('update')).toBe(0);
  });

  it('needs the read token, in the header or as access_token for EventSource', async () => {
    ({ app } = await api({ readToken: 'r-token' }));
    const port = await listen(app);
    const refused = await get(port, '/api/stream');
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'LW_UNAUTHORIZED' } });
    const byHeader = subscribe(port, '/api/stream', { authorization: 'Bearer r-token' });
    const byQuery = subscribe(port, '/api/stream?access_token=r-token');
    await waitFor(
      'both streams',
      () => byHeader.text.includes(': connected') && byQuery.text.includes(': connected'),
    );
    // The query form is for the stream only.
    expect((await get(port, '/api/rates?access_token=r-token')).status).toBe(401);
  });

  it('tells stream clients about a ledger edit made through the API', async () => {
    const f = fakes();
    ({ app } = await api({ adminToken: 'adm' }, f));
    const port = await listen(app);
    const s = subscribe(port, '/api/stream');
    await waitFor('the stream to open', () => s.text.includes(': connected'));
    const put = await app.inject({
      method: 'PUT',
      url: '/api/ledger/enterprises/sjz-pharma',
      headers: { authorization: 'Bearer adm' },
      payload: { name: '石家庄制药', city: 'shijiazhuang', industry: 'pharma' },
    });
    expect(put.statusCode).toBe(201);
    await waitFor('the update', () => updates(s.text).length === 1);
    expect(updates(s.text)[0]?.data.ledgerVersion).toBe(2);
  });

  it('does not exist without an update source', async () => {
    const f = fakes();
    delete f.ctx.events;
    ({ app } = await api({}, f));
    const res = await app.inject('/api/stream');
    expect([res.statusCode, res.json<{ error: { code: string } }>().error.code]).toEqual([
      404,
      'LW_NO_ROUTE',
    ]);
  });
});

describe('dashboard files', () => {
  let base: string;
  let dir: string;

  beforeAll(() => {
    base = mkdtempSync(path.join(tmpdir(), 'lianwang-api-'));
    dir = path.join(base, 'dist');
    mkdirSync(path.join(dir, 'assets'), { recursive: true });
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>联网</title>');
    writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(dir, '.env'), 'SECRET=dotfile');
    writeFileSync(path.join(base, 'secret.txt'), 'SECRET=outside');
    symlinkSync(path.join(base, 'secret.txt'), path.join(dir, 'link.txt'));
    // A sibling whose name starts with the root's: a naive prefix check would let it through.
    mkdirSync(path.join(base, 'dist-private'));
    writeFileSync(path.join(base, 'dist-private', 'key.txt'), 'SECRET=sibling');
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('serves files, index.html for / and for client-side routes, HEAD without a body', async () => {
    ({ app } = await api({ staticDir: dir }));
    const port = await listen(app);
    const index = await get(port, '/');
    expect([index.status, index.headers['content-type'], index.body]).toEqual([
      200,
      'text/html; charset=utf-8',
      '<!doctype html><title>联网</title>',
    ]);
    expect(index.headers['cache-control']).toBe('no-cache');
    const js = await get(port, '/assets/app.js?v=3');
    expect([js.status, js.headers['content-type'], js.body]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'console.log(1)',
    ]);
    expect((await get(port, '/enterprises/ts-steel')).body).toContain('<title>联网</title>');
    const head = await get(port, '/assets/app.js', 'HEAD');
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '14', '']);
    // API paths never fall back to the dashboard.
    const api404 = await get(port, '/api/nothing');
    expect([api404.status, JSON.parse(api404.body)]).toMatchObject([404, { error: { code: 'LW_NO_ROUTE' } }]);
    expect((await get(port, '/missing.js')).status).toBe(404);
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E%2Fsecret.txt',
    '/..%2fsecret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/..%5csecret.txt',
    '/%5c..%5csecret.txt',
    '/.env',
    '/assets/%2e%65nv',
    '/link.txt',
    '/../dist-private/key.txt',
    '/%2e%2e/dist-private/key.txt',
    '/index.html%00.js',
    '//etc/passwd',
    '/%2fetc%2fpasswd',
  ])('never serves a file outside the directory or a dotfile: %s', async (rawPath) => {
    ({ app } = await api({ staticDir: dir }));
    const port = await listen(app);
    const res = await get(port, rawPath);
    expect(res.body).not.toMatch(/SECRET|root:/);
    if (res.status === 200) {
      // An extension-less path may only fall back to the dashboard's own index.html.
      expect(res.body).toBe('<!doctype html><title>联网</title>');
    } else {
      expect([400, 404]).toContain(res.status);
      expect(JSON.parse(res.body)).toMatchObject({
        error: { code: expect.stringMatching(/^LW_/) as string },
      });
    }
  });

  it('answers a malformed escape with 400 and refuses a missing directory at build time', async () => {
    ({ app } = await api({ staticDir: dir }));
    const port = await listen(app);
    const res = await get(port, '/%zz');
    expect([res.status, JSON.parse(res.body)]).toMatchObject([400, { error: { code: 'LW_BAD_QUERY' } }]);
    await expect(
      buildApi(fakes().ctx, { logger: silent, staticDir: path.join(base, 'no-such-dir') }),
    ).rejects.toThrow(/ENOENT/);
  });
});
