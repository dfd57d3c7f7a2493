/**
 * The cloud API over HTTPS (buildCloud's `https` option): a request to [::1] verified against the
 * test CA (the server certificate has an IP SAN for ::1) gets its answer; a client that does not
 * trust the CA, or speaks plain HTTP to the port, gets nothing.
 */
import http from 'node:http';
import https from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildCloud } from '../../cloud/app.ts';
import { startAedes } from '../helpers/aedes.ts';
import { makeTestPki } from '../helpers/certs.ts';

function request(
  mod: typeof http | typeof https,
  url: string,
  opts: https.RequestOptions = {},
): Promise<{ status: number; body: string; family?: string }> {
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { ...opts, headers: { authorization: 'Bearer read-4f1c' } }, (res) => {
      const family = res.socket.remoteFamily;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, family }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS for the cloud API', () => {
  it('answers over https://[::1] with the configured certificate, only to clients that trust it', async (ctx) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-https-'));
    const pki = await makeTestPki(await mkdtemp(path.join(dir, 'a-')));
    const other = await makeTestPki(await mkdtemp(path.join(dir, 'b-')));
    const broker = await startAedes();
    const cloud = await buildCloud({
      mqtt: { broker: broker.url, clientId: 'https-test' },
      plants: ['test/fixtures/plants/oracle.yaml'],
      dataDir: path.join(dir, 'data'),
      http: { host: '::1', port: 0 },
      https: { cert: await readFile(pki.serverCert), key: await readFile(pki.serverKey) },
      readToken: 'read-4f1c',
      log: pino({ level: 'silent' }),
    });
    ctx.onTestFinished(async () => {
      await cloud.stop();
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    });
    expect(cloud.url).toMatch(/^https:\/\/\[::1\]:\d+\/$/);
    const url = (p: string) => new URL(p, cloud.url).toString();

    const health = await request(https, url('/health'), { ca: await readFile(pki.ca) });
    expect(health.status).toBe(200);
    expect(health.family).toBe('IPv6');
    const rates = await request(https, url('/api/rates'), { ca: await readFile(pki.ca) });
    expect(rates.status).toBe(200);
    expect(JSON.parse(rates.body)).toHaveProperty('enterprises');

    await expect(request(https, url('/health'), { ca: await readFile(other.ca) })).rejects.toThrow(
      /self[- ]signed|unable to verify/i,
    );
    await expect(request(https, url('/health'))).rejects.toThrow(/self[- ]signed|unable to verify/i);
    // Plain HTTP to the TLS port: no answer from the API.
    const plain = request(http, url('/health').replace('https:', 'http:')).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(await plain).not.toBe(200);
  });
});
