import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Binary } from './binaries.ts';
import { startDaemon } from './daemon.ts';
import { freePort } from './ports.ts';

export const influxdBinary: Binary = { name: 'influxd', installHint: 'apt-get install -y influxdb' };

export interface Influxd {
  port: number;
  /** http://[::1]:PORT — the HTTP API also answers on 127.0.0.1. */
  url: string;
  stop(): Promise<void>;
}

/** An InfluxDB 1.x server with its data in a fresh temporary directory, removed by stop(). */
export async function startInfluxd(opts: { timeoutMs?: number } = {}): Promise<Influxd> {
  const [port, rpcPort] = [await freePort(), await freePort()];
  const url = `http://[::1]:${port}`;
  const daemon = await startDaemon({
    binary: influxdBinary,
    args: async (dir) => {
      const file = path.join(dir, 'influxd.conf');
      await writeFile(file, influxdConfig(dir, port, rpcPort));
      return ['-config', file];
    },
    ready: async () => (await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) })).status === 204,
    what: `GET ${url}/ping to answer 204`,
    timeoutMs: opts.timeoutMs,
  });
  return { port, url, stop: () => daemon.stop() };
}

// Upstream spells the switch `reporting-disabled`; Debian's build renamed it `reporting-enabled`
// (default false). influxd ignores unknown keys, so both are written.
// `[::]` binds dual stack (Go clears IPV6_V6ONLY), so the API answers on ::1 and 127.0.0.1.
export function influxdConfig(dir: string, port: number, rpcPort: number): string {
  return `reporting-disabled = true
reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${path.join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${path.join(dir, 'data')}"
  wal-dir = "${path.join(dir, 'wal')}"
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  bind-address = "[::]:${port}"
  log-enabled = false

[continuous_queries]
  log-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
`;
}
