/**
 * OPC UA SignAndEncrypt (Basic256Sha256) to a real server on [::1]: a server certificate the gateway
 * does not trust is refused — no session, the device offline with the reason — until it is
 * trusted, and then the same running driver connects on its next attempt. Both ways of trusting:
 * a trust directory (the certificate copied in), and trust on first use, where a *changed*
 * certificate on a known endpoint is refused until its known-servers.json entry is removed.
 * (test/gateway/opcua-driver.test.ts covers pinned fingerprints and a wrong user password.)
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureNodeOpcuaLogging, type OpcuaSim, startOpcuaServer } from '../../simulators/opcua/index.ts';
import { collect, driverFor, Recorder } from '../gateway/_setup/opcua.ts';
import { tickDevice } from '../helpers/opcua-devices.ts';

configureNodeOpcuaLogging({ level: 'silent' });

const device = tickDevice({ enterprise: 'e9', line: 'l', id: 'reactor-9', kind: 'pharma-reactor' });
const KEY = 'e9/reactor-9';
let dir: string;
let ticker: NodeJS.Timeout | undefined;
const servers: OpcuaSim[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-opcua-trust-'));
  ticker = setInterval(() => device.step(1), 100);
});
afterAll(async () => {
  clearInterval(ticker);
  for (const s of servers) await s.stop().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function server(pki: string, port = 0): Promise<OpcuaSim> {
  const s = await startOpcuaServer({
    devices: [device],
    port,
    host: '::1',
    hostname: '::1',
    pkiDir: path.join(dir, pki),
    securityModes: ['SignAndEncrypt'],
    securityPolicies: ['Basic256Sha256'],
    users: [{ username: 'operator', password: 's3cret' }],
  });
  servers.push(s);
  return s;
}

const secure = {
  security: {
    securityMode: 'SignAndEncrypt' as const,
    securityPolicy: 'Basic256Sha256' as const,
    username: 'operator',
    password: 's3cret',
  },
};

describe('OPC UA server certificate trust', () => {
  it('with a trust directory: refused until the server certificate is put there', async () => {
    const s = await server('pki-a');
    const endpoint = `opc.tcp://[::1]:${s.port}`;
    const trusted = path.join(dir, 'trusted-servers');
    await mkdir(trusted);
    const rec = new Recorder();
    const driver = driverFor(path.join(dir, 'gw-dir'), [collect(device, endpoint, secure)], rec, {
      trust: { [endpoint]: { directory: trusted } },
    });
    try {
      await driver.start();
      await rec.waitState(KEY, 'offline', 20_000);
      expect(rec.state(KEY)?.reason).toMatch(/not trusted: not in/);
      expect(rec.readings.get(KEY) ?? []).toHaveLength(0);

      await copyFile(
        path.join(dir, 'pki-a', 'own', 'certs', 'certificate.pem'),
        path.join(trusted, 'plant.pem'),
      );
      await rec.waitState(KEY, 'online', 20_000);
      await expect.poll(() => rec.latest(KEY, 'batch_temp')?.good, { timeout: 10_000 }).toBe(true);
    } finally {
      await driver.stop();
    }
  });

  it('trusted on first use; a changed certificate is refused until the known entry is removed', async () => {
    const first = await server('pki-b');
    const port = first.port;
    const endpoint = `opc.tcp://[::1]:${port}`;
    const gwDir = path.join(dir, 'gw-tofu');
    const rec = new Recorder();
    // node-opcua's own reconnect cannot open a channel to the new key pair; after repairTimeoutMs the
    // driver rebuilds with a fresh certificate fetch, and that is what the trust check refuses.
    const driver = driverFor(gwDir, [collect(device, endpoint, secure)], rec, { repairTimeoutMs: 3_000 });
    try {
      await driver.start();
      await rec.waitState(KEY, 'online', 20_000);

      // Another server (a new key pair: a replaced or an impostor machine) at the same endpoint.
      await first.stop();
      const readings = () => rec.readings.get(KEY)?.length ?? 0;
      const before = readings();
      await server('pki-c', port);
      await expect
        .poll(() => rec.state(KEY)?.reason ?? '', { timeout: 30_000, interval: 100 })
        .toMatch(/server certificate changed/);
      expect(rec.state(KEY)?.state).toBe('offline');
      expect(readings(), 'no value from the unverified server').toBe(before);

      const known = path.join(gwDir, 'opcua-pki', 'known-servers.json');
      const entries = JSON.parse(await readFile(known, 'utf8')) as Record<string, unknown>;
      delete entries[endpoint];
      await writeFile(known, JSON.stringify(entries));
      await rec.waitState(KEY, 'online', 30_000);
    } finally {
      await driver.stop();
    }
  });
}, 120_000);
