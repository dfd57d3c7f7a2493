/**
 * The gateway's uplink security: TLS with a client certificate to mosquitto over [::1], and
 * a clear, retried (with backoff) refusal for a missing certificate or wrong credentials.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startEmbeddedBroker } from '../../cloud/broker/embedded.ts';
import { formatError, loadGatewayFile, loadPlantFile } from '../../config/index.ts';
import type { GatewayFileInput } from '../../config/model/gateway.ts';
import { buildGateway, type Gateway } from '../../gateway/app.ts';
import { gatewayConfigs } from '../../simulators/runtime/emit.ts';
import { type Simulation, startSimulation } from '../../simulators/runtime/simulation.ts';
import { makeTestPki } from '../helpers/certs.ts';
import { mosquittoBinary, startMosquitto } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/ports.ts';
import { SparkplugObserver } from '../helpers/sparkplug-subscriber.ts';
import { tool } from '../helpers/tools.ts';
import { waitFor } from '../helpers/wait.ts';

let sim: Simulation;
let dir: string;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-sec-'));
  const plant = await loadPlantFile('test/fixtures/plants/sim-modbus.yaml');
  if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
  sim = await startSimulation({ plant: plant.value, ephemeralPorts: true, tickMs: 500 });
});
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A gateway for the simulated plant with the given uplink, logging into `lines`. */
async function gateway(name: string, mqtt: GatewayFileInput['mqtt'], lines: string[]): Promise<Gateway> {
  const input = gatewayConfigs(sim).get('t1');
  if (!input) throw new Error('no config');
  input.mqtt = { reconnectMin: '100ms', reconnectMax: '800ms', ...mqtt };
  input.polling = { interval: '500ms' };
  input.buffer = { dir: path.join(dir, name) };
  input.http = false;
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, stringify(input));
  const loaded = await loadGatewayFile(file);
  if (!loaded.ok) throw new Error(loaded.errors.map(formatError).join('\n'));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const gw = buildGateway(loaded.value, { log: pino({ level: 'info' }, sink) });
  await gw.start();
  cleanup.push(() => gw.stop());
  return gw;
}

describe('TLS with a client certificate (mosquitto)', () => {
  it('connects over mqtts://[::1] with CA, certificate and key; refuses without a certificate', async (ctx) => {
    tool(ctx, mosquittoBinary.name, mosquittoBinary.installHint);
    const pki = await makeTestPki(await mkdtemp(path.join(dir, 'pki-')));
    const tlsPort = await freePort();
    const broker = await startMosquitto({
      extra: () =>
        `listener ${tlsPort} ::\ncafile ${pki.ca}\ncertfile ${pki.serverCert}\nkeyfile ${pki.serverKey}\nrequire_certificate true\n`,
    });
    cleanup.push(() => broker.stop());
    const observer = new SparkplugObserver('t1');
    await observer.connect(broker.url, 5);
    cleanup.push(() => observer.close());

    const url = `mqtts://[::1]:${tlsPort}`;
    const good: string[] = [];
    const gw = await gateway(
      'tls',
      { brokers: [url], protocolVersion: 5, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } },
      good,
    );
    await waitFor(() => observer.count('DBIRTH') >= 4, { what: 'births over TLS', timeoutMs: 15_000 });
    expect(gw.north()).toMatchObject({ connected: true, broker: url });
    await gw.stop();

    const bad: string[] = [];
    const refused = await gateway(
      'no-cert',
      { brokers: [url], protocolVersion: 5, tls: { ca: pki.ca } },
      bad,
    );
    await waitFor(() => refused.north().connectFailures >= 3, { what: 'three refused attempts' });
    expect(refused.north().connected).toBe(false);
    expect(bad.join('')).toMatch(/mqtt connect failed/);
  });
});

describe('credentials (embedded aedes broker)', () => {
  it('wrong credentials: a clear error, retried with backoff; right ones connect', async () => {
    const broker = await startEmbeddedBroker({ users: { 'gw-t1': 's3cret' } });
    cleanup.push(() => broker.close());
    const lines: string[] = [];
    const wrong = await gateway(
      'wrong',
      { brokers: [broker.url], username: 'gw-t1', password: 'nope' },
      lines,
    );
    await waitFor(() => wrong.north().connectFailures >= 4, {
      what: 'four refused attempts',
      timeoutMs: 10_000,
    });
    expect(wrong.north().connected).toBe(false);
    const failures = lines
      .map((l) => JSON.parse(l) as { msg: string; err?: string; retryMs?: number })
      .filter((l) => l.msg === 'mqtt connect failed');
    expect(failures[0]?.err).toMatch(/Bad username or password/i);
    // Backoff: the delays grow (with jitter: each step is 50–100% of a doubling base).
    const delays = failures.map((f) => f.retryMs ?? 0);
    expect(Math.max(...delays.slice(2))).toBeGreaterThan(Math.min(...delays.slice(0, 1)));
    await wrong.stop();

    const right = await gateway(
      'right',
      { brokers: [broker.url], username: 'gw-t1', password: 's3cret' },
      [],
    );
    await waitFor(() => right.north().connected, { what: 'connected with the right password' });
  });
});
