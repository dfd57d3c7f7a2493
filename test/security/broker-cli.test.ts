/**
 * `lianwang broker`: `hash-password` turns a password on stdin into a scrypt hash; `--config` runs the
 * broker from a file (TLS listener with the test PKI, an identity with that hash), refuses a wrong
 * password with a log line, and names the file, line and field of a broken configuration.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { topic } from '../../wire/sparkplug/index.ts';
import { makeTestPki, type TestPki } from '../helpers/certs.ts';
import { startProcess, untilReady, type ManagedProcess } from '../helpers/process.ts';
import { connect } from './_setup.ts';

let dir: string;
let pki: TestPki;
const procs: ManagedProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-broker-cli-'));
  pki = await makeTestPki(await mkdtemp(path.join(dir, 'pki-')));
});
afterAll(async () => {
  for (const p of procs) await p.stop().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

function lianwang(
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/lianwang.js', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

describe('lianwang broker', () => {
  it('hash-password, then a broker from the file: TLS on [::1], the password works, a wrong one is refused and logged', async () => {
    const hashed = await lianwang(['broker', 'hash-password'], 'gw-cli-pass-2e7f\n');
    expect(hashed.code).toBe(0);
    const hash = hashed.stdout.trim();
    expect(hash).toMatch(/^\$scrypt\$N=16384,r=8,p=1\$/);
    expect(hashed.stdout + hashed.stderr).not.toContain('gw-cli-pass-2e7f');

    const file = path.join(dir, 'broker.yaml');
    await writeFile(
      file,
      stringify({
        mqtt: false,
        tls: { host: '::1', port: 0, cert: pki.serverCert, key: pki.serverKey, ca: pki.ca },
        identities: [{ name: 'gw', role: 'gateway', group: 'e1', node: 'gw-1', passwordHash: hash }],
        refusalLogInterval: '1s',
      }),
    );
    const broker = startProcess('broker', process.execPath, ['bin/lianwang.js', 'broker', '--config', file]);
    procs.push(broker);
    let url = '';
    await untilReady(
      broker,
      () => {
        const line = broker
          .tail()
          .split('\n')
          .find((l) => l.includes('"msg":"broker ready"'));
        url = line ? ((JSON.parse(line) as { tls?: string }).tls ?? '') : '';
        return url !== '';
      },
      { what: 'broker ready' },
    );
    expect(url).toMatch(/^mqtts:\/\/\[::1\]:\d+$/);
    const ca = await readFile(pki.ca);
    const gw = await connect(url, {
      ca,
      username: 'gw',
      password: 'gw-cli-pass-2e7f',
      clientId: 'lianwang-e1-gw-1',
    });
    await gw.publishAsync(topic.nbirth('e1', 'gw-1'), Buffer.alloc(0), { qos: 1 });
    await gw.endAsync();
    await expect(
      connect(url, { ca, username: 'gw', password: 'wrong', clientId: 'lianwang-e1-gw-1' }),
    ).rejects.toThrow(/Bad username or password/);
    await untilReady(broker, () => broker.tail().includes('"reason":"bad-password"'), {
      what: 'the refusal logged',
    });
    await broker.stop();
    expect(broker.tail()).toMatch(/"refusals":\{"total":1,"byReason":\{"connect\/bad-password":1\}\}/);
  }, 60_000);

  it('a broken file: every error with file:line and path, exit 1', async () => {
    const file = path.join(dir, 'broken.yaml');
    await writeFile(
      file,
      'identities:\n  - name: gw\n    role: gateway\n    group: e1\n    passwordHash: s3cret\n',
    );
    const r = await lianwang(['broker', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.yaml:2:\d+ identities\[0\]\.node: /);
    expect(r.stderr).toMatch(/broken\.yaml:5:\d+ identities\[0\]\.passwordHash: expected a scrypt hash/);
  });
});
