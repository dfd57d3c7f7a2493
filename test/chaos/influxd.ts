/**
 * An influxd that can be stopped and started again on the same port and data directory: the
 * chaos run's "InfluxDB down for 60 s". test/helpers/influxd.ts gives each server a fresh
 * directory that stop() deletes, which is right for every other test and wrong here, so this
 * variant keeps its directory (the run's own temp dir removes it) and lets stop() be undone.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { binaryPath } from '../helpers/binaries.ts';
import { influxdBinary, influxdConfig } from '../helpers/influxd.ts';
import { freePort } from '../helpers/ports.ts';
import { type ManagedProcess, startProcess, untilReady } from '../helpers/process.ts';

export interface RestartableInfluxd {
  port: number;
  /** http://[::1]:PORT */
  url: string;
  readonly running: boolean;
  /** SIGTERM (influxd closes its shards and WAL); the data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory; resolves once /ping answers 204. */
  start(): Promise<void>;
}

export async function startRestartableInfluxd(dir: string): Promise<RestartableInfluxd> {
  const [port, rpcPort] = [await freePort(), await freePort()];
  const url = `http://[::1]:${port}`;
  const file = path.join(dir, 'influxd.conf');
  await writeFile(file, influxdConfig(dir, port, rpcPort));
  const bin = binaryPath(influxdBinary);
  let proc: ManagedProcess | undefined;
  const start = async () => {
    const p = startProcess('influxd', bin, ['-config', file]);
    proc = p;
    await untilReady(
      p,
      async () => (await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) })).status === 204,
      { what: `GET ${url}/ping to answer 204`, timeoutMs: 30_000 },
    );
  };
  await start();
  return {
    port,
    url,
    get running() {
      return proc !== undefined && !proc.exitSignal.aborted;
    },
    async stop() {
      await proc?.stop(20_000);
      proc = undefined;
    },
    start,
  };
}
