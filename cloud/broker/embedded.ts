import net from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Aedes } from 'aedes';

export interface EmbeddedBrokerOptions {
  /** Address to listen on; `::` (the default) accepts IPv6 and IPv4 on a dual-stack host. */
  host?: string;
  /** 0 (the default) picks an ephemeral port. */
  port?: number;
  /** Topics deeper than this are rejected. Default 16 (Sparkplug B uses at most 5). */
  maxTopicLevels?: number;
  /** A subscriber whose socket does not drain within this many ms is disconnected. Default 10 000. */
  drainTimeoutMs?: number;
  /**
   * Username → password. When set, clients must present one of them (CONNACK 4, bad username or
   * password, otherwise); when unset, the broker is open, for loopback demos.
   */
  users?: Readonly<Record<string, string>>;
}

export interface EmbeddedBroker {
  host: string;
  port: number;
  /** Reachable URL: a wildcard bind address is replaced by the matching loopback address. */
  url: string;
  aedes: Aedes;
  close(): Promise<void>;
}

// aedes speaks MQTT 3.1.1 only (clients use protocolVersion 4). Without drainTimeout one frozen
// subscriber stalls delivery to every client once aedes' concurrency slots fill up, so it is always set.
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const users = opts.users;
  const aedes = await Aedes.createBroker({
    maxTopicLevels: opts.maxTopicLevels ?? 16,
    drainTimeout: opts.drainTimeoutMs ?? 10_000,
    ...(users
      ? {
          authenticate: (_client, username, password, done) => {
            const expected = username === undefined ? undefined : users[username];
            if (
              expected !== undefined &&
              password !== undefined &&
              timingSafeEqualText(password.toString('utf8'), expected)
            ) {
              done(null, true);
              return;
            }
            done(Object.assign(new Error('bad username or password'), { returnCode: 4 as const }), false);
          },
        }
      : {}),
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  const bindHost = opts.host ?? '::';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, bindHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(resolve));
    throw new Error(`embedded broker: listen on ${bindHost}:${opts.port ?? 0}`, { cause: err });
  }
  const port = (server.address() as net.AddressInfo).port;
  const host = reachableHost(bindHost);
  return {
    host,
    port,
    url: `mqtt://${net.isIPv6(host) ? `[${host}]` : host}:${port}`,
    aedes,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(resolve));
      // aedes only tracks clients that sent CONNECT; drop the rest so server.close() can finish.
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function reachableHost(bindHost: string): string {
  if (bindHost === '::') return '::1';
  if (bindHost === '0.0.0.0') return '127.0.0.1';
  return bindHost;
}

/** Compares secrets in constant time (hashes first, so lengths don't leak either). */
function timingSafeEqualText(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}
