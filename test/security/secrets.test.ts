/**
 * Secrets never reach the logs. `lianwang cloud` (MQTT password from --password-file, read token
 * and InfluxDB password from the environment, admin token from a file, HTTPS key from a file) and `lianwang gateway`
 * (mqtt.passwordFile) run as child processes at LOG_LEVEL=debug against the embedded broker with
 * access control: first with wrong passwords (refused, and logged as refused), then with the right
 * ones (data flows, API requests with right and wrong tokens). Every line any of them — and the
 * broker — wrote is then searched for every secret.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Identity } from '../../cloud/broker/config.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../cloud/broker/embedded.ts';
import { hashPassword } from '../../cloud/broker/passwords.ts';
import { formatError, loadGatewayFile, loadPlantFile } from '../../config/index.ts';
import { gatewayConfigs } from '../../simulators/runtime/emit.ts';
import { type Simulation, startSimulation } from '../../simulators/runtime/simulation.ts';
import { makeTestPki, type TestPki } from '../helpers/certs.ts';
import { freePort } from '../helpers/ports.ts';
import { startProcess, untilReady, type ManagedProcess } from '../helpers/process.ts';
import { waitFor } from '../helpers/wait.ts';
import { type CapturedLog, captureLog } from './_setup.ts';

const PLANT = 'test/fixtures/plants/sim-modbus.yaml';
const SECRET = {
  ingest: 'ingest-secret-c0ffee-11',
  ingestWrong: 'ingest-wrong-decaf-22',
  gateway: 'gw-secret-beef-33',
  gatewayWrong: 'gw-wrong-f00d-44',
  read: 'read-token-abad-55',
  admin: 'admin-token-cafe-66',
  wrongToken: 'wrong-token-babe-77',
  influx: 'influx-pw-9a8b-88',
};

let dir: string;
let pki: TestPki;
let ca: Buffer;
let sim: Simulation;
let broker: EmbeddedBroker;
let brokerLog: CapturedLog;
const procs: ManagedProcess[] = [];
/** Everything each child wrote, in full (ManagedProcess keeps only a tail). */
const outputs = new Map<string, string>();

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-secrets-'));
  pki = await makeTestPki(await mkdtemp(path.join(dir, 'pki-')));
  ca = await readFile(pki.ca);
  for (const [name, value] of Object.entries(SECRET))
    await writeFile(path.join(dir, `${name}.secret`), `${value}\n`);
  brokerLog = captureLog();
  const identities = [
    {
      name: 'gw-t1',
      role: 'gateway',
      group: 't1',
      node: 't1-gw',
      passwordHash: await hashPassword(SECRET.gateway),
    },
    { name: 'ingest', role: 'ingest', passwordHash: await hashPassword(SECRET.ingest) },
  ].map((i) => Identity.parse(i));
  broker = await startEmbeddedBroker({ access: { identities }, log: brokerLog.log });
  const plant = await loadPlantFile(PLANT);
  if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
  sim = await startSimulation({ plant: plant.value, ephemeralPorts: true, tickMs: 500 });
});

afterAll(async () => {
  for (const p of procs) await p.stop().catch(() => undefined);
  await sim?.stop();
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

const secretFile = (name: keyof typeof SECRET) => path.join(dir, `${name}.secret`);

function spawn(name: string, args: string[], env: Record<string, string> = {}): ManagedProcess {
  const p = startProcess(name, process.execPath, ['bin/lianwang.js', ...args], {
    env: { ...process.env, LOG_LEVEL: 'debug', ...env },
  });
  outputs.set(name, '');
  for (const stream of [p.child.stdout, p.child.stderr])
    stream?.on('data', (chunk: string) => outputs.set(name, (outputs.get(name) ?? '') + chunk));
  procs.push(p);
  return p;
}

const output = (name: string) => outputs.get(name) ?? '';

function cloud(name: string, password: keyof typeof SECRET): ManagedProcess {
  return spawn(
    name,
    [
      'cloud',
      '--broker',
      broker.url,
      '--username',
      'ingest',
      '--password-file',
      secretFile(password),
      '--plant',
      PLANT,
      '--data',
      path.join(dir, name),
      '--bind',
      '::1',
      '--port',
      '0',
      '--tls-cert',
      pki.serverCert,
      '--tls-key',
      pki.serverKey,
      '--admin-token-file',
      secretFile('admin'),
    ],
    { LIANWANG_READ_TOKEN: SECRET.read },
  );
}

async function gatewayFile(name: string, password: keyof typeof SECRET): Promise<string> {
  const input = gatewayConfigs(sim).get('t1');
  if (!input) throw new Error('no gateway config for t1');
  input.mqtt = {
    brokers: [broker.url],
    username: 'gw-t1',
    passwordFile: secretFile(password),
    reconnectMin: '100ms',
    reconnectMax: '400ms',
  };
  input.polling = { interval: '500ms' };
  input.buffer = { dir: path.join(dir, `${name}-buffer`) };
  input.http = false;
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, stringify(input));
  return file;
}

function get(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { ca, headers: { authorization: `Bearer ${token}` }, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('secrets from files and the environment', () => {
  it('a gateway file with both password and passwordFile is refused, located', async () => {
    const file = await gatewayFile('both', 'gateway');
    const text = (await readFile(file, 'utf8')).replace('mqtt:\n', `mqtt:\n  password: ${SECRET.gateway}\n`);
    await writeFile(file, text);
    const r = await loadGatewayFile(file);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors.map(formatError).join('\n')).toMatch(/mqtt\.passwordFile: give mqtt\.password or/);
  });

  it('lianwang cloud refuses a password inside the --broker or --influx URL (ps would show it)', async () => {
    for (const [flag, url] of [
      ['--broker', `mqtt://ingest:${SECRET.ingest}@[::1]:1883`],
      ['--influx', `http://lianwang:${SECRET.influx}@[::1]:8086/db`],
    ] as const) {
      const p = spawn(`cloud-url-${flag}`, ['cloud', flag, url, '--plant', PLANT]);
      expect((await p.exited).code).toBe(2);
      expect(output(`cloud-url-${flag}`)).toContain(`${flag} must not carry a password`);
      outputs.delete(`cloud-url-${flag}`); // its command line held the secret on purpose
    }
  });

  it('never appear in the cloud’s, the gateway’s or the broker’s logs, refused or running', async () => {
    // Wrong passwords: refused by the broker, and said so in the logs.
    const badCloud = cloud('cloud-wrong', 'ingestWrong');
    await untilReady(badCloud, () => /Bad username or password/i.test(output('cloud-wrong')), {
      what: 'the cloud’s refused connection',
      timeoutMs: 30_000,
    });
    await badCloud.stop();
    const badGw = spawn('gateway-wrong', ['gateway', await gatewayFile('gw-wrong', 'gatewayWrong')]);
    await untilReady(
      badGw,
      () => /Bad username or password.*"msg":"mqtt connect failed"/i.test(output('gateway-wrong')),
      {
        what: 'the gateway’s refused connection',
        timeoutMs: 30_000,
      },
    );
    await badGw.stop();
    // An InfluxDB that is not there, with a user in --influx and its password in the environment.
    const noInflux = spawn(
      'cloud-influx-down',
      [
        'cloud',
        '--influx',
        `http://lianwang@[::1]:${await freePort()}/db`,
        '--plant',
        PLANT,
        '--port',
        '0',
        '--data',
        path.join(dir, 'influx-down'),
      ],
      { LIANWANG_INFLUX_PASSWORD: SECRET.influx },
    );
    expect((await noInflux.exited).code).not.toBe(0);
    expect(output('cloud-influx-down')).toMatch(/ECONNREFUSED/);

    const refusedWho = brokerLog.entries('refused connect').map((e) => [e.who, e.reason]);
    expect(refusedWho).toEqual(
      expect.arrayContaining([
        ['ingest', 'bad-password'],
        ['gw-t1', 'bad-password'],
      ]),
    );

    // The right ones: data flows from the gateway through the broker into the cloud.
    const good = cloud('cloud', 'ingest');
    await untilReady(good, () => output('cloud').includes('"msg":"cloud ready"'), {
      what: 'cloud ready',
      timeoutMs: 30_000,
    });
    const ready = output('cloud')
      .split('\n')
      .map((l) => (l.startsWith('{') ? (JSON.parse(l) as { msg?: string; api?: string }) : {}))
      .find((l) => l.msg === 'cloud ready');
    const api = ready?.api ?? '';
    expect(api).toMatch(/^https:\/\/\[::1\]:\d+\/$/);
    const gw = spawn('gateway', ['gateway', await gatewayFile('gw', 'gateway')]);
    await untilReady(gw, () => output('gateway').includes('"msg":"mqtt connected"'), {
      what: 'gateway connected',
      timeoutMs: 30_000,
    });
    await waitFor(async () => (await get(`${api}api/nodes`, SECRET.read)).body.includes('t1-gw'), {
      what: 'the gateway’s node at the cloud API',
      timeoutMs: 20_000,
    });
    expect((await get(`${api}api/rates`, SECRET.wrongToken)).status).toBe(401);
    expect((await get(`${api}api/ledger`, SECRET.admin)).status).toBe(200);
    const stream = await new Promise<number>((resolve, reject) => {
      const req = https.get(`${api}api/stream?access_token=${SECRET.read}`, { ca }, (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
    });
    expect(stream).toBe(200);
    // A token in the query string of another route: refused, and logged with the token redacted.
    expect((await get(`${api}api/rates?access_token=${SECRET.admin}`, SECRET.read)).status).toBe(400);
    await gw.stop();
    await good.stop();

    // The requests were logged (LOG_LEVEL=debug), the token in the stream's query string redacted.
    expect(output('cloud')).toMatch(/"url":"\/api\/rates".*"status":401/);
    expect(output('cloud')).toContain('access_token=[redacted]');
    const key = (await readFile(pki.serverKey, 'utf8')).split('\n')[1] ?? '';
    const logs: [string, string][] = [...outputs.entries(), ['broker', brokerLog.lines.join('\n')]];
    for (const [name, text] of logs) {
      expect(text.length, `${name} logged something`).toBeGreaterThan(0);
      for (const [what, secret] of Object.entries({ ...SECRET, 'TLS key': key }))
        expect(text.includes(secret), `${what} in the ${name} log`).toBe(false);
    }
  }, 180_000);
});
