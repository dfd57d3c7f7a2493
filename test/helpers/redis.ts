import { Redis } from 'ioredis';
import type { Binary } from './binaries.ts';
import { startDaemon } from './daemon.ts';
import { freePort } from './ports.ts';

export const redisBinary: Binary = { name: 'redis-server', installHint: 'apt-get install -y redis-server' };

export interface RedisServer {
  port: number;
  /** redis://[::1]:PORT — the same port also listens on 127.0.0.1. */
  url: string;
  stop(): Promise<void>;
}

/** A redis-server without persistence on an ephemeral port, bound to ::1 and 127.0.0.1. */
export async function startRedis(opts: { timeoutMs?: number } = {}): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://[::1]:${port}`;
  const daemon = await startDaemon({
    binary: redisBinary,
    // `--bind` takes several addresses; `--save ''` turns RDB snapshots off.
    args: (dir) => [
      ...['--port', String(port), '--bind', '::1', '127.0.0.1'],
      ...['--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'],
    ],
    ready: () => pongs(url),
    what: `PING → PONG from ${url}`,
    timeoutMs: opts.timeoutMs,
  });
  return { port, url, stop: () => daemon.stop() };
}

async function pongs(url: string): Promise<boolean> {
  // One attempt per poll: no reconnect loop, no offline queue, no "Unhandled error event" noise.
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } finally {
    client.disconnect();
  }
}
