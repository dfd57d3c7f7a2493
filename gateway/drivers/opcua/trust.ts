/**
 * Whether the gateway trusts an OPC UA server's application certificate, checked before any secured
 * channel is opened (session.ts hands node-opcua the certificate it verified here, so node-opcua's own
 * unverified fetch is never used).
 *
 * Per endpoint, in this order:
 * - `fingerprints`: the certificate's SHA-1 thumbprint (OPC UA's CertificateDigest, what UaExpert and
 *   most servers show) or SHA-256, hex, colons/spaces/case ignored, must be one of them;
 * - `directory`: a folder of trusted server certificates (`*.der`, `*.pem`, `*.crt`; e.g. a node-opcua
 *   PKI's `trusted/certs/`): the server's certificate must be one of them. An exact match, not a chain
 *   check: for a CA-issued server certificate, put the certificate itself there;
 * - neither: trust on first use. The first certificate seen for the endpoint URL is recorded in
 *   `<pki>/known-servers.json` and accepted; a different one later is refused, with both fingerprints
 *   in the reason, until the entry is removed or fingerprints are configured (ssh's known_hosts).
 * With both fingerprints and a directory, either one suffices.
 *
 * The config schema has no field for these yet: `opcuaDriverFactory({ trust })` takes them per
 * endpoint URL, and a later `trustFingerprints?: string[]` on the opcua connectivity maps onto
 * `ServerTrust.fingerprints` in driver.ts.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface ServerTrust {
  /** SHA-1 or SHA-256 fingerprints (hex) of server certificates to trust. */
  fingerprints?: readonly string[];
  /** A folder of trusted server certificates (DER or PEM). */
  directory?: string;
}

export interface Fingerprints {
  sha1: string;
  sha256: string;
}

/** Fingerprints of the leaf certificate of a DER certificate or chain, lower-case hex. */
export function fingerprints(der: Buffer): Fingerprints {
  const leaf = leafCertificate(der);
  return {
    sha1: createHash('sha1').update(leaf).digest('hex'),
    sha256: createHash('sha256').update(leaf).digest('hex'),
  };
}

/** "AB:CD:…" / "ab cd …" → "abcd…"; throws unless 40 (SHA-1) or 64 (SHA-256) hex digits. */
export function normalizeFingerprint(text: string): string {
  const hex = text.replace(/[\s:]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex) || (hex.length !== 40 && hex.length !== 64))
    throw new Error(`not a SHA-1 or SHA-256 certificate fingerprint: ${text}`);
  return hex;
}

interface KnownServer {
  sha256: string;
  sha1: string;
  firstSeen: string;
}

/** The gateway's decisions about server certificates; one per driver (it serializes the TOFU file). */
export class TrustStore {
  readonly #file: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(pkiDir: string) {
    this.#file = path.join(pkiDir, 'known-servers.json');
  }

  get knownServersFile(): string {
    return this.#file;
  }

  /** Resolves when `der` is trusted for `endpointUrl`; rejects with the reason otherwise. */
  verify(endpointUrl: string, der: Buffer, trust: ServerTrust = {}): Promise<void> {
    const run = () => this.#verify(endpointUrl, der, trust);
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #verify(endpointUrl: string, der: Buffer, trust: ServerTrust): Promise<void> {
    const seen = fingerprints(der);
    const pinned = (trust.fingerprints ?? []).map(normalizeFingerprint);
    if (pinned.length || trust.directory) {
      if (pinned.includes(seen.sha1) || pinned.includes(seen.sha256)) return;
      if (trust.directory && (await directoryFingerprints(trust.directory)).has(seen.sha256)) return;
      const why = [
        pinned.length ? 'not among the trusted fingerprints' : '',
        trust.directory ? `not in ${trust.directory}` : '',
      ].filter(Boolean);
      throw new Error(`server certificate sha1 ${seen.sha1} not trusted: ${why.join(', ')}`);
    }
    const known = await this.#read();
    const entry = known[endpointUrl];
    if (entry) {
      if (entry.sha256 === seen.sha256) return;
      throw new Error(
        `server certificate changed: sha256 ${seen.sha256}, expected ${entry.sha256} (first seen ${entry.firstSeen});` +
          ` remove "${endpointUrl}" from ${this.#file} to accept it`,
      );
    }
    known[endpointUrl] = { ...seen, firstSeen: new Date().toISOString() };
    await this.#write(known);
  }

  async #read(): Promise<Record<string, KnownServer>> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error(`${this.#file}: expected a JSON object of endpoint URL → fingerprints`);
    return parsed as Record<string, KnownServer>;
  }

  async #write(known: Record<string, KnownServer>): Promise<void> {
    await mkdir(path.dirname(this.#file), { recursive: true });
    const tmp = `${this.#file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(known, null, 2)}\n`);
    await rename(tmp, this.#file);
  }
}

/** SHA-256 fingerprints of the certificates in a folder (DER files, or PEM with one or more). */
async function directoryFingerprints(directory: string): Promise<Set<string>> {
  const out = new Set<string>();
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (err) {
    throw new Error(`cannot read trust directory ${directory}`, { cause: err });
  }
  for (const name of names) {
    if (!/\.(der|pem|crt|cer)$/i.test(name)) continue;
    const bytes = await readFile(path.join(directory, name));
    const text = bytes.toString('latin1');
    const pems = [...text.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)];
    const ders = pems.length ? pems.map((m) => Buffer.from(m[1] ?? '', 'base64')) : [bytes];
    for (const der of ders) out.add(fingerprints(der).sha256);
  }
  return out;
}

/** The first certificate of a DER chain (certificates concatenated, each an ASN.1 SEQUENCE). */
function leafCertificate(der: Buffer): Buffer {
  if (der.length < 2 || der[0] !== 0x30) return der;
  const first = der[1] ?? 0;
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const bytes = first & 0x7f;
    if (bytes === 0 || bytes > 4 || der.length < 2 + bytes) return der;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[2 + i] ?? 0);
    header = 2 + bytes;
  }
  return header + length <= der.length ? der.subarray(0, header + length) : der;
}
