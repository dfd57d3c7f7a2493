import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError } from '../../config/index.ts';
import { clientIdsOf, loadBrokerFile, patternsOverlap } from './config.ts';
import { hashPassword, passwordHashProblem, verifyPassword } from './passwords.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-broker-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const load = async (text: string) => {
  const file = path.join(dir, `b${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  const r = await loadBrokerFile(file);
  return r.ok ? r : { ok: false as const, messages: r.errors.map(formatError) };
};

describe('broker file', () => {
  it('the shipped example is valid', async () => {
    const r = await loadBrokerFile('cloud/broker/broker.example.yaml');
    if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
    expect(r.value.identities.map((i) => i.role)).toEqual(['gateway', 'gateway', 'ingest', 'custom']);
    expect(r.value.tls?.clientCertificates).toBe('optional');
    expect(clientIdsOf(r.value.identities[0]!)).toEqual(['lianwang-ts-steel-gw-1']);
  });

  it('refuses a plaintext password, naming file, line and field', async () => {
    const r = await load(
      'identities:\n  - name: gw\n    role: gateway\n    group: g\n    node: n\n    passwordHash: hunter2\n',
    );
    expect(r.ok).toBe(false);
    const messages = 'messages' in r ? r.messages : [];
    expect(messages.join('\n')).toMatch(/\.yaml:6:\d+ identities\[0\]\.passwordHash: expected a scrypt hash/);
  });

  it('refuses identities without credentials, duplicates, wildcards in ids and shared client ids', async () => {
    const h = await hashPassword('x');
    const r = await load(
      [
        'identities:',
        '  - { name: a, role: gateway, group: g, node: n }',
        `  - { name: a, role: custom, passwordHash: '${h}' }`,
        `  - { name: c, role: gateway, group: '+', node: n, passwordHash: '${h}' }`,
        `  - { name: d, role: custom, clientIds: ['lianwang-*'], passwordHash: '${h}' }`,
        `  - { name: e, role: gateway, group: g, node: n, certificate: ['CN=e'], passwordHash: '${h}' }`,
        'mqtt: { port: 1883 }',
        'bogus: 1',
      ].join('\n'),
    );
    const text = ('messages' in r ? r.messages : []).join('\n');
    expect(text).toMatch(/identities\[0\]: needs passwordHash or certificate/);
    expect(text).toMatch(/identities\[1\]\.name: name "a" also used by identities\[0\]/);
    expect(text).toMatch(/identities\[2\]\.group: expected a topic token/);
    expect(text).toMatch(/identities\[3\]\.clientIds: client id "lianwang-\*" overlaps identities\[0\]/);
    expect(text).toMatch(/identities\[4\]\.certificate: client certificates need tls\.ca/);
    expect(text).toMatch(/identities\[4\]\.clientIds: client id "lianwang-g-n" overlaps identities\[0\]/);
    expect(text).toMatch(/bogus: unknown field/);
  });

  it('client id patterns overlap when one id could match both', () => {
    expect(patternsOverlap('a', 'a')).toBe(true);
    expect(patternsOverlap('a', 'b')).toBe(false);
    expect(patternsOverlap('ab*', 'abc')).toBe(true);
    expect(patternsOverlap('abc', 'ab*')).toBe(true);
    expect(patternsOverlap('ab*', 'a*')).toBe(true);
    expect(patternsOverlap('ab*', 'ac*')).toBe(false);
    expect(patternsOverlap('*', 'x')).toBe(true);
  });
});

describe('password hashes', () => {
  it('verify the right password only, and differ per salt', async () => {
    const a = await hashPassword('s3cret');
    const b = await hashPassword('s3cret');
    expect(a).not.toBe(b);
    expect(passwordHashProblem(a)).toBeUndefined();
    expect(await verifyPassword('s3cret', a)).toBe(true);
    expect(await verifyPassword('s3cret ', a)).toBe(false);
    expect(await verifyPassword('s3cret', 'not a hash')).toBe(false);
    expect(
      passwordHashProblem('$scrypt$N=3,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA=='),
    ).toMatch(/power of two/);
  });
});
