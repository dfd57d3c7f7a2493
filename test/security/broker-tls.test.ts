/**
 * MQTT over TLS on the embedded broker, to the IPv6 literal [::1] (the server certificate has an IP
 * SAN for it): a client certificate from the broker's CA logs a gateway in by its CN, a certificate
 * from another CA is refused (CONNACK 5 when certificates are optional, no TLS session when they
 * are required), and a password login works over the same listener.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Identity } from '../../cloud/broker/config.ts';
import {
  type BrokerTlsOptions,
  type EmbeddedBroker,
  startEmbeddedBroker,
} from '../../cloud/broker/embedded.ts';
import { hashPassword } from '../../cloud/broker/passwords.ts';
import { encodePayload, SparkplugType, topic } from '../../wire/sparkplug/index.ts';
import { makeTestPki, type TestPki } from '../helpers/certs.ts';
import { waitFor } from '../helpers/wait.ts';
import { captureLog, collect, connect } from './_setup.ts';

let dir: string;
let pki: TestPki;
let foreign: TestPki;
const files = new Map<string, Buffer>();
const file = (p: string) => files.get(p) ?? Buffer.alloc(0);
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-broker-tls-'));
  pki = await makeTestPki(await mkdtemp(path.join(dir, 'a-')));
  foreign = await makeTestPki(await mkdtemp(path.join(dir, 'b-')));
  for (const k of [pki, foreign])
    for (const p of [k.ca, k.serverCert, k.serverKey, k.clientCert, k.clientKey])
      files.set(p, await readFile(p));
});
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

const INGEST_PASSWORD = 'ingest-tls-pass-3c9d';

async function broker(clientCertificates: BrokerTlsOptions['clientCertificates']) {
  const logs = captureLog();
  const identities = [
    // makeTestPki's client certificate has CN=gw-test.
    { name: 'gw-test', role: 'gateway', group: 'e1', node: 'gw-test', certificate: ['CN=gw-test'] },
    { name: 'ingest', role: 'ingest', passwordHash: await hashPassword(INGEST_PASSWORD) },
  ].map((i) => Identity.parse(i));
  const b = await startEmbeddedBroker({
    tcp: false,
    tls: {
      host: '::',
      cert: file(pki.serverCert),
      key: file(pki.serverKey),
      ca: file(pki.ca),
      clientCertificates,
    },
    access: { identities },
    log: logs.log,
  });
  cleanup.push(() => b.close());
  return { broker: b, logs };
}

const clients: MqttClient[] = [];
afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
});

function tlsClient(b: EmbeddedBroker, opts: object): Promise<MqttClient> {
  // The IPv6 literal: mqtts://[::1]:port, verified against the server certificate's IP SAN.
  expect(b.tlsUrl).toMatch(/^mqtts:\/\/\[::1\]:\d+$/);
  return connect(b.tlsUrl ?? '', { ca: file(pki.ca), rejectUnauthorized: true, ...opts }).then((c) => {
    clients.push(c);
    return c;
  });
}

const gatewayCert = (p: TestPki) => ({ cert: file(p.clientCert), key: file(p.clientKey) });

describe('MQTT over TLS with client certificates (optional)', () => {
  let b: EmbeddedBroker;
  let logs: ReturnType<typeof captureLog>;
  beforeAll(async () => {
    ({ broker: b, logs } = await broker('optional'));
  });

  it('a certificate from the broker’s CA logs the gateway in by its CN, over IPv6', async () => {
    const host = await tlsClient(b, {
      username: 'ingest',
      password: INGEST_PASSWORD,
      clientId: 'lianwang-ingest-lianwang',
    });
    await host.subscribeAsync('spBv1.0/#', { qos: 1 });
    const seen = collect(host);

    const gw = await tlsClient(b, { ...gatewayCert(pki), clientId: 'lianwang-e1-gw-test' });
    const socket = gw.stream as TLSSocket;
    expect(socket.remoteAddress).toBe('::1');
    expect(socket.remoteFamily).toBe('IPv6');
    expect(socket.authorized).toBe(true); // the broker's certificate verified against the test CA, IP SAN ::1
    const body = encodePayload({
      seq: 0,
      metrics: [{ name: 'm', datatype: SparkplugType.Double, value: 1 }],
    });
    await gw.publishAsync(topic.ndata('e1', 'gw-test'), Buffer.from(body), { qos: 1 });
    await waitFor(() => seen.length === 1, { what: 'the gateway’s NDATA at the ingest' });
    // The certificate's identity has the gateway's rules: not another node.
    await expect(gw.subscribeAsync('spBv1.0/#')).rejects.toThrow(/Subscribe error/);
  });

  it('a certificate from another CA is refused with CONNACK 5, logged as untrusted', async () => {
    await expect(tlsClient(b, { ...gatewayCert(foreign), clientId: 'lianwang-e1-gw-test' })).rejects.toThrow(
      /Not authorized/,
    );
    expect(logs.entries('refused connect')).toEqual(
      expect.arrayContaining([expect.objectContaining({ reason: 'cert-untrusted', address: '::1' })]),
    );
  });

  it('a certificate whose identity differs from the user name given is refused', async () => {
    await expect(
      tlsClient(b, { ...gatewayCert(pki), username: 'ingest', clientId: 'lianwang-e1-gw-test' }),
    ).rejects.toThrow(/Not authorized/);
    expect(b.refusals().byReason['connect/user-mismatch']).toBe(1);
  });

  it('the client refuses a broker whose certificate its CA did not issue', async () => {
    await expect(
      connect(b.tlsUrl ?? '', { ca: file(foreign.ca), ...gatewayCert(foreign), clientId: 'x' }),
    ).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });
});

describe('MQTT over TLS with client certificates required', () => {
  it('no TLS session without a certificate from the CA; the handshake failures are counted', async () => {
    const { broker: b } = await broker('required');
    await expect(
      tlsClient(b, { ...gatewayCert(foreign), clientId: 'lianwang-e1-gw-test' }),
    ).rejects.toThrow();
    await expect(
      tlsClient(b, { username: 'ingest', password: INGEST_PASSWORD, clientId: 'lianwang-ingest-lianwang' }),
    ).rejects.toThrow(/certificate required/);
    await waitFor(() => (b.refusals().byReason['tls/handshake'] ?? 0) >= 2, {
      what: 'two refused handshakes',
    });
    const ok = await tlsClient(b, { ...gatewayCert(pki), clientId: 'lianwang-e1-gw-test' });
    expect(ok.connected).toBe(true);
  });
});
