/**
 * Path traversal on the dashboard's static files, fuzzed over a real socket with raw request
 * lines (no client library normalises what an attacker writes): `..` in every spelling —
 * %2e, double-encoded %252e, overlong UTF-8, fullwidth and two-dot-leader dots — backslashes,
 * NUL bytes, absolute paths, a symlink out, a sibling directory sharing the root's prefix,
 * dotfiles, raw bytes Node's parser refuses. Never a byte of a file outside the directory or
 * of a dotfile; 200 only with a file of the dashboard; every refusal coded.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../cloud/api/errors.ts';
import { api } from '../cloud/api-fakes.ts';
import { FUZZ_TIMEOUT, runs, Tally } from './fuzz.ts';

const INSIDE: Record<string, string> = {
  'index.html': '<!doctype html><title>联网</title>',
  'assets/app.js': 'console.log(1)',
  '文件.txt': '中文文件',
};

let base: string;
let dir: string;
let app: FastifyInstance;
let port: number;
beforeAll(async () => {
  base = mkdtempSync(path.join(tmpdir(), 'lianwang-fuzz-static-'));
  dir = path.join(base, 'dist');
  mkdirSync(path.join(dir, 'assets'), { recursive: true });
  for (const [f, text] of Object.entries(INSIDE)) writeFileSync(path.join(dir, f), text);
  writeFileSync(path.join(dir, '.env'), 'SECRET=dotfile');
  mkdirSync(path.join(dir, '.git'));
  writeFileSync(path.join(dir, '.git', 'config'), 'SECRET=git');
  writeFileSync(path.join(base, 'secret.txt'), 'SECRET=outside');
  symlinkSync(path.join(base, 'secret.txt'), path.join(dir, 'link.txt'));
  symlinkSync(base, path.join(dir, 'up'));
  mkdirSync(path.join(base, 'dist-private'));
  writeFileSync(path.join(base, 'dist-private', 'key.txt'), 'SECRET=sibling');
  ({ app } = await api({ staticDir: dir }));
  await app.listen({ port: 0, host: '::1' });
  port = (app.server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await app.close();
  rmSync(base, { recursive: true, force: true });
});

interface Raw {
  status: number;
  headers: string;
  body: string;
}

/**
 * One request with the target exactly as given, on its own connection (not half-closed: Node's
 * server drops a response still being produced when the client ends its side first).
 */
function send(method: string, target: Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '::1');
    const chunks: Buffer[] = [];
    s.on('data', (d) => chunks.push(d));
    s.on('error', reject);
    s.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        headers: head,
        body: rest.join('\r\n\r\n'),
      });
    });
    s.write(
      Buffer.concat([
        Buffer.from(`${method} `),
        target,
        Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      ]),
    );
  });
}

const DOT = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2e',
  '.%2e',
  '%2e.',
  '%252e%252e',
  '%c0%ae%c0%ae',
  '%e0%80%ae%e0%80%ae',
  '%ef%bc%8e%ef%bc%8e',
  '%e2%80%a5',
  '...',
  '..;',
  '..%00',
  '%2e%2e%5c',
  '..\\',
  '..%5c',
  '..%2f',
  '..%252f',
];
const NAME = [
  'secret.txt',
  'dist-private',
  'key.txt',
  'assets',
  'app.js',
  'index.html',
  '.env',
  '.git',
  'config',
  'link.txt',
  'up',
  'etc',
  'passwd',
  '%e6%96%87%e4%bb%b6.txt',
  '%2eenv',
  'index.html%00.js',
  'dist',
  '',
];
const SEP = ['/', '/', '/', '//', '%2f', '%2F', '\\', '%5c', '%5C', '/./', '%252f'];

const segment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...DOT) },
  { weight: 3, arbitrary: fc.constantFrom(...NAME) },
  fc.string({ unit: 'grapheme', maxLength: 6 }).map(encodeURIComponent),
);
const target = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.constantFrom('/', '//', '/./', '/%2e/', '\\'),
        fc.array(fc.tuple(segment, fc.constantFrom(...SEP)), { maxLength: 7 }),
        segment,
        fc.constantFrom('', '', '?x=../..', '#..', '?'),
      )
      .map(([pre, parts, last, tail]) =>
        Buffer.from(pre + parts.map(([s, sep]) => s + sep).join('') + last + tail),
      ),
  },
  // Absolute paths of the secret, raw and encoded.
  fc.constantFrom('', '/', '//', '/%2f').map((p) => Buffer.from(`${p}${path.join(base, 'secret.txt')}`)),
  fc.constant(null).map(() => Buffer.from(`/${encodeURIComponent(path.join(base, 'secret.txt'))}`)),
  // Raw bytes the HTTP parser refuses or passes through.
  fc
    .tuple(fc.constantFrom('/', '/assets/'), fc.uint8Array({ minLength: 1, maxLength: 6 }))
    .map(([p, b]) => Buffer.concat([Buffer.from(p), Buffer.from(b.filter((x) => x !== 0x0d && x !== 0x0a))])),
);

describe('static files, fuzzed', { timeout: FUZZ_TIMEOUT }, () => {
  it('never serves a byte outside the directory or of a dotfile; refusals are coded', async () => {
    const tally = new Tally('api static traversal');
    await fc.assert(
      fc.asyncProperty(target, fc.constantFrom('GET', 'GET', 'HEAD'), async (t, method) => {
        const res = await send(method, t);
        const what = `${method} ${JSON.stringify(t.toString('latin1'))} → ${res.status}`;
        expect(res.body, what).not.toMatch(/SECRET|root:/);
        if (res.status === 200) {
          if (method === 'GET') expect(Object.values(INSIDE), what).toContain(res.body);
          tally.count('200 dashboard file');
          return;
        }
        expect([400, 404], what).toContain(res.status);
        if (method === 'GET') {
          const e = (JSON.parse(res.body) as { error: { code: keyof typeof ERRORS; message: string } }).error;
          expect(ERRORS[e.code]?.status, what).toBe(res.status);
        }
        tally.count(`${res.status}`);
      }),
      { numRuns: runs(2000) },
    );
    tally.report();
    expect(tally.outcomes['200 dashboard file'] ?? 0).toBeGreaterThan(0);
    expect(tally.outcomes['404'] ?? 0).toBeGreaterThan(0);
  });
});

describe('regressions found by fuzzing', () => {
  it.each([
    ['a raw space', Buffer.from('/a b')],
    ['a control byte', Buffer.from('/\u0001')],
    ['raw UTF-8', Buffer.from('/文件.txt')],
    ['no leading slash', Buffer.from('x')],
  ])('a request line Node refuses (%s) gets the coded 400, not fastify’s uncoded one', async (_what, t) => {
    const res = await send('GET', t);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({
      error: {
        code: 'LW_BAD_QUERY',
        message: expect.stringMatching(
          /^invalid request parameters: the request could not be parsed \(HPE_/,
        ) as string,
      },
    });
  });
});
