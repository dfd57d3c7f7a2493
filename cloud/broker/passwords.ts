/**
 * Password hashes for broker identities: scrypt (node:crypto), stored as
 * `$scrypt$N=16384,r=8,p=1$<salt base64>$<hash base64>` so the file never holds a password.
 * `lianwang broker hash-password` prints one. Verification runs on libuv's thread pool
 * (async scrypt), so a burst of CONNECTs never blocks the broker's event loop.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** ~50 ms and 16 MiB per hash on the project's machines: slow for guessing, cheap for a reconnect storm. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16_384, r: 8, p: 1 };

const FORMAT = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
const KEY_BYTES = 32;

interface ParsedHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

/** Why `text` is not a usable hash, or undefined when it is one (for the config schema). */
export function passwordHashProblem(text: string): string | undefined {
  const parsed = parseHash(text);
  return typeof parsed === 'string' ? parsed : undefined;
}

function parseHash(text: string): ParsedHash | string {
  const m = FORMAT.exec(text);
  if (!m)
    return 'expected a scrypt hash like $scrypt$N=16384,r=8,p=1$<salt>$<hash> (lianwang broker hash-password)';
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounds keep a typo from asking for gigabytes per CONNECT.
  if (!(N >= 1024 && N <= 1 << 20 && (N & (N - 1)) === 0))
    return 'scrypt N must be a power of two 1024–1048576';
  if (!(r >= 1 && r <= 32 && p >= 1 && p <= 16)) return 'scrypt r must be 1–32 and p 1–16';
  const salt = Buffer.from(m[4] ?? '', 'base64');
  const hash = Buffer.from(m[5] ?? '', 'base64');
  if (salt.length < 16) return 'the salt must be at least 16 bytes';
  if (hash.length < 16) return 'the hash must be at least 16 bytes';
  return { N, r, p, salt, hash };
}

function derive(
  password: string | Buffer,
  salt: Buffer,
  bytes: number,
  params: ScryptParams,
): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password, salt, bytes, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** A new hash of `password` with a random 16-byte salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, KEY_BYTES, params);
  return `$scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Whether `password` matches `stored`; false (never a throw) for a malformed hash. Constant time in the password. */
export async function verifyPassword(password: string | Buffer, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (typeof parsed === 'string') return false;
  const key = await derive(password, parsed.salt, parsed.hash.length, parsed);
  return timingSafeEqual(key, parsed.hash);
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time of one verification without a user: an unknown user name then costs as much as a
 * wrong password, so response timing does not tell which user names exist.
 */
export async function verifyNobody(password: string | Buffer): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummy);
  return false;
}
