import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** A server binary the tests start, and the command that installs it. */
export interface Binary {
  name: string;
  installHint: string;
}

export type BinaryCheck = { found: true; path: string } | { found: false; message: string };

/** Debian puts daemons in /usr/sbin, which a non-root PATH often lacks. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

/** The absolute path of executable `name` on PATH or in `dirs`, or undefined. */
export function findBinary(name: string, dirs: readonly string[] = EXTRA_DIRS): string | undefined {
  const searchPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of [...searchPath, ...dirs]) {
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Looks for a binary the tests need. Outside CI a missing binary is a skip, reported with `message`;
 * under `CI=true` it throws, because CI installs what it needs and a skip would hide that.
 */
export function requireBinary(name: string, installHint: string): BinaryCheck {
  const found = findBinary(name);
  if (found) return { found: true, path: found };
  const message = missing({ name, installHint });
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: a missing server fails the run)`);
  return { found: false, message };
}

/** The binary's path, or an error naming the install command: for code that starts a server. */
export function binaryPath(binary: Binary): string {
  const found = findBinary(binary.name);
  if (!found) throw new Error(missing(binary));
  return found;
}

function missing({ name, installHint }: Binary): string {
  return `${name} not found: install it with '${installHint}'`;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
