import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprints, normalizeFingerprint, TrustStore } from './trust.ts';

let dir: string;
let certA: { der: Buffer; pem: string };
let certB: { der: Buffer; pem: string };

/** Two self-signed certificates made the way node-opcua makes a server's (offline, one key). */
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lianwang-trust-'));
  const cm = new OPCUACertificateManager({ rootFolder: path.join(dir, 'pki'), disableFileWatchers: true });
  await cm.initialize();
  const make = async (name: string) => {
    const outputFile = path.join(dir, `${name}.pem`);
    await cm.createSelfSignedCertificate({
      applicationUri: `urn:test:${name}`,
      subject: `/CN=${name}`,
      dns: ['localhost'],
      startDate: new Date(),
      validity: 30,
      outputFile,
    });
    const pem = await readFile(outputFile, 'utf8');
    return { pem, der: Buffer.from(new X509Certificate(pem).raw) };
  };
  certA = await make('a');
  certB = await make('b');
  await cm.dispose();
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('fingerprints', () => {
  it('are the SHA-1 and SHA-256 of the leaf certificate, also of a chain', () => {
    const x = new X509Certificate(certA.pem);
    const hex = (f: string) => f.replace(/:/g, '').toLowerCase();
    expect(fingerprints(certA.der)).toEqual({ sha1: hex(x.fingerprint), sha256: hex(x.fingerprint256) });
    expect(fingerprints(Buffer.concat([certA.der, certB.der]))).toEqual(fingerprints(certA.der));
  });

  it('normalizes colon, space and case variants and refuses other lengths', () => {
    const { sha1 } = fingerprints(certA.der);
    const colons = sha1.toUpperCase().replace(/(..)(?!$)/g, '$1:');
    expect(normalizeFingerprint(colons)).toBe(sha1);
    expect(normalizeFingerprint(` ${sha1.slice(0, 20)} ${sha1.slice(20)} `)).toBe(sha1);
    expect(() => normalizeFingerprint('abcd')).toThrow(/not a SHA-1 or SHA-256/);
    expect(() => normalizeFingerprint('zz'.repeat(20))).toThrow(/not a SHA-1 or SHA-256/);
  });
});

describe('TrustStore', () => {
  it('trusts on first use per endpoint and refuses a changed certificate', async () => {
    const pki = path.join(dir, 'tofu');
    const store = new TrustStore(pki);
    const url = 'opc.tcp://[::1]:4840';
    await store.verify(url, certA.der);
    await store.verify(url, certA.der);
    await store.verify('opc.tcp://other:4840', certB.der);
    await expect(store.verify(url, certB.der)).rejects.toThrow(
      new RegExp(
        `server certificate changed: sha256 ${fingerprints(certB.der).sha256}, expected ${fingerprints(certA.der).sha256}`,
      ),
    );
    const known = JSON.parse(await readFile(store.knownServersFile, 'utf8')) as Record<
      string,
      { sha1: string }
    >;
    expect(known[url]?.sha1).toBe(fingerprints(certA.der).sha1);
    // A new store (gateway restart) reads the same file.
    await expect(new TrustStore(pki).verify(url, certB.der)).rejects.toThrow(/changed/);
  });

  it('with fingerprints, trusts exactly those (SHA-1 or SHA-256), and records nothing', async () => {
    const store = new TrustStore(path.join(dir, 'pinned'));
    const { sha1 } = fingerprints(certA.der);
    const { sha256 } = fingerprints(certB.der);
    const trust = { fingerprints: [sha1.toUpperCase().replace(/(..)(?!$)/g, '$1:'), sha256] };
    await store.verify('opc.tcp://x:1', certA.der, trust);
    await store.verify('opc.tcp://x:1', certB.der, trust);
    await expect(store.verify('opc.tcp://x:1', certA.der, { fingerprints: [sha256] })).rejects.toThrow(
      /not trusted: not among the trusted fingerprints/,
    );
    await expect(readFile(store.knownServersFile)).rejects.toThrow(/ENOENT/);
  });

  it('with a directory, trusts the certificates in it (PEM or DER)', async () => {
    const trusted = path.join(dir, 'trusted-certs');
    await mkdir(trusted, { recursive: true });
    await writeFile(path.join(trusted, 'a.pem'), certA.pem);
    const store = new TrustStore(path.join(dir, 'by-dir'));
    await store.verify('opc.tcp://x:1', certA.der, { directory: trusted });
    await expect(store.verify('opc.tcp://x:1', certB.der, { directory: trusted })).rejects.toThrow(
      `not in ${trusted}`,
    );
    await writeFile(path.join(trusted, 'b.der'), certB.der);
    await store.verify('opc.tcp://x:1', certB.der, { directory: trusted });
    await expect(
      store.verify('opc.tcp://x:1', certA.der, { directory: path.join(dir, 'missing') }),
    ).rejects.toThrow(/cannot read trust directory/);
  });
});
