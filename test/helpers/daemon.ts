import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Binary, binaryPath } from './binaries.ts';
import { startProcess, untilReady } from './process.ts';

export interface DaemonOptions {
  binary: Binary;
  /** The command line; may write config files into `dir`, the daemon's own fresh temporary directory. */
  args: (dir: string) => Promise<string[]> | string[];
  /** A real request to the daemon that answers true once it serves. */
  ready: () => Promise<boolean> | boolean;
  /** The readiness check in words, for the timeout message. */
  what: string;
  timeoutMs?: number;
}

/**
 * Starts a server binary with its own temporary directory and waits until `ready()` holds. stop() ends
 * the process and removes the directory; a start that fails cleans up the same way before it throws.
 */
export async function startDaemon(opts: DaemonOptions): Promise<{ stop(): Promise<void> }> {
  const bin = binaryPath(opts.binary);
  const dir = await mkdtemp(path.join(tmpdir(), `lianwang-${opts.binary.name}-`));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  let args: string[];
  try {
    args = await opts.args(dir);
  } catch (err) {
    await removeDir();
    throw err;
  }
  const proc = startProcess(opts.binary.name, bin, args);
  const stop = async () => {
    try {
      await proc.stop();
    } finally {
      await removeDir();
    }
  };
  try {
    await untilReady(proc, opts.ready, { what: opts.what, timeoutMs: opts.timeoutMs });
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}
