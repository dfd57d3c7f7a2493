/**
 * The embedded MQTT broker (aedes 1.x, MQTT 3.1.1): a plain listener and/or an MQTT-over-TLS
 * listener (optionally with client certificates), open for loopback demos or with access control
 * (access.ts: identities, passwords as scrypt hashes, client certificates, per-identity topic
 * rules). Configuration file: config.ts; rules and threat model: docs/security.md.
 */
import net from 'node:net';
import tls from 'node:tls';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { Aedes, type AedesOptions } from 'aedes';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { accessHooks, type AccessConfig } from './access.ts';
import { Refusals, type RefusalStats } from './refusals.ts';
import type { BrokerClusterOptions } from './cluster-config.ts';

export interface BrokerTlsOptions {
  /** Default `::` (dual stack). */
  host?: string;
  /** 0 (the default) picks an ephemeral port. */
  port?: number;
  cert: Buffer;
  key: Buffer;
  /** CA(s) that issue client certificates. */
  ca?: Buffer;
  /**
   * none: no client certificates asked for; optional (default): asked for, and a certificate that does
   * not verify against `ca` is refused at CONNECT (CONNACK 5), no certificate → password login;
   * required: the TLS handshake fails without a valid certificate.
   */
  clientCertificates?: 'none' | 'optional' | 'required';
}

export interface EmbeddedBrokerOptions {
  /** Address to listen on; `::` (the default) accepts IPv6 and IPv4 on a dual-stack host. */
  host?: string;
  /** 0 (the default) picks an ephemeral port. */
  port?: number;
  /** false: no plain MQTT listener (TLS only). Default true. */
  tcp?: boolean;
  /** MQTT over TLS on a listener of its own. */
  tls?: BrokerTlsOptions;
  /** Topics deeper than this are rejected. Default 16 (Sparkplug B uses at most 5). */
  maxTopicLevels?: number;
  /** A subscriber whose socket does not drain within this many ms is disconnected. Default 10 000. */
  drainTimeoutMs?: number;
  /**
   * Username → password, in memory (tests, demos): clients must present one of them (CONNACK 4
   * otherwise) and may then do anything. For deployments use `access`. Not with `access`.
   */
  users?: Readonly<Record<string, string>>;
  /** Identities with hashed passwords or certificates and per-identity topic rules (docs/security.md). */
  access?: AccessConfig;
  /** Refusals and listener errors (child logger `cloud:broker`). Default: silent. */
  log?: Logger;
  /** Adds `lianwang_broker_refusals_total{kind,reason}`. */
  registry?: Registry;
  /**
   * Run as one node of a cluster sharing this Redis (cluster.ts: messages, sessions, subscriptions,
   * retained messages, QoS 1 queues and Wills). Absent: a stand-alone broker, state in memory.
   */
  cluster?: BrokerClusterOptions;
}

export interface EmbeddedBroker {
  /** The first listener's (plain, or TLS when `tcp: false`). */
  host: string;
  port: number;
  /** Reachable URL: a wildcard bind address is replaced by the matching loopback address. */
  url: string;
  /** The TLS listener's port and `mqtts://` URL, when there is one. */
  tlsPort: number | undefined;
  tlsUrl: string | undefined;
  aedes: Aedes;
  /** The cluster node's id and Redis (without credentials), when clustered. */
  cluster: { id: string; redis: string } | undefined;
  /** Refused connects, publishes, subscribes and TLS handshakes (zero without access control). */
  refusals(): RefusalStats;
  close(): Promise<void>;
}

// aedes speaks MQTT 3.1.1 only (clients use protocolVersion 4). Without drainTimeout one frozen
// subscriber stalls delivery to every client once aedes' concurrency slots fill up, so it is always set.
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  if (opts.users && opts.access) throw new Error('embedded broker: give users or access, not both');
  if (opts.tcp === false && !opts.tls) throw new Error('embedded broker: tcp: false needs a tls listener');
  const log = opts.log?.child({ name: 'cloud:broker' });
  const refusals = new Refusals({
    log,
    registry: opts.registry,
    ...(opts.access?.refusalLogIntervalMs === undefined
      ? {}
      : { intervalMs: opts.access.refusalLogIntervalMs }),
  });
  // Loaded only for a cluster: a stand-alone broker needs no Redis client.
  const node = opts.cluster
    ? await (await import('./cluster.ts')).openClusterNode(opts.cluster, log)
    : undefined;
  let aedes: Aedes;
  try {
    aedes = await Aedes.createBroker({
      maxTopicLevels: opts.maxTopicLevels ?? 16,
      drainTimeout: opts.drainTimeoutMs ?? 10_000,
      ...(opts.users ? { authenticate: passwordsOnly(opts.users, refusals) } : {}),
      ...(opts.access ? accessHooks(opts.access, refusals) : {}),
      ...(node?.aedes ?? {}),
    });
  } catch (err) {
    await node?.close();
    throw err;
  }
  if (node) {
    // aedes reports a failed Redis write as 'error' (absent from its typings); unheard, it would end the process.
    (aedes as unknown as EventEmitter).on('error', (err: Error) =>
      log?.error({ err: err.message, redis: node.redis }, 'broker cluster error'),
    );
    node.holdDeliveries(aedes);
  }

  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    // Sparkplug messages are small: without TCP_NODELAY a delivery can wait for the peer's delayed
    // ACK (up to 40 ms). mosquitto gets the same with set_tcp_nodelay (DOMAIN.md §3).
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const servers: net.Server[] = [];
  const listening: { host: string; port: number; scheme: 'mqtt' | 'mqtts' }[] = [];
  try {
    if (opts.tcp !== false) {
      const server = net.createServer((socket) => {
        track(socket);
        aedes.handle(socket);
      });
      servers.push(server);
      listening.push({ ...(await listen(server, opts.host ?? '::', opts.port ?? 0)), scheme: 'mqtt' });
    }
    if (opts.tls) {
      const t = opts.tls;
      const mode = t.clientCertificates ?? 'optional';
      const server = tls.createServer(
        {
          cert: t.cert,
          key: t.key,
          ...(t.ca ? { ca: t.ca } : {}),
          minVersion: 'TLSv1.2',
          requestCert: mode !== 'none',
          // optional: the handshake succeeds with any certificate; access.ts refuses one that did not verify.
          rejectUnauthorized: mode === 'required',
        },
        (socket) => aedes.handle(socket),
      );
      server.on('connection', track);
      server.on('tlsClientError', (err, socket) =>
        refusals.record({
          kind: 'tls',
          reason: 'handshake',
          who: undefined,
          address: socket.remoteAddress,
          detail: err.message,
        }),
      );
      servers.push(server);
      listening.push({ ...(await listen(server, t.host ?? '::', t.port ?? 0)), scheme: 'mqtts' });
    }
  } catch (err) {
    for (const s of servers) s.close();
    await new Promise<void>((resolve) => aedes.close(resolve));
    await node?.close();
    throw err;
  }
  aedes.on('clientError', (client, err) =>
    log?.debug({ clientId: client.id, err: err.message }, 'client error'),
  );

  const first = listening[0];
  if (!first) throw new Error('embedded broker: no listener');
  const secure = listening.find((l) => l.scheme === 'mqtts');
  return {
    host: first.host,
    port: first.port,
    url: urlOf(first),
    tlsPort: secure?.port,
    tlsUrl: secure ? urlOf(secure) : undefined,
    aedes,
    cluster: node ? { id: aedes.id, redis: node.redis } : undefined,
    refusals: () => refusals.stats(),
    async close() {
      const closed = Promise.all(
        servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
      // With Redis unreachable the emitter's QUIT would wait for ever: cut the connections after 5 s.
      const force = node ? setTimeout(() => void node.close(), 5_000) : undefined;
      await new Promise<void>((resolve) => aedes.close(resolve));
      clearTimeout(force);
      // aedes only tracks clients that sent CONNECT; drop the rest so server.close() can finish.
      for (const socket of sockets) socket.destroy();
      await closed;
      await node?.close();
    },
  };
}

async function listen(
  server: net.Server,
  bindHost: string,
  port: number,
): Promise<{ host: string; port: number }> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, bindHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    throw new Error(`embedded broker: listen on ${bindHost}:${port}`, { cause: err });
  }
  return { host: reachableHost(bindHost), port: (server.address() as net.AddressInfo).port };
}

const urlOf = (l: { host: string; port: number; scheme: string }) =>
  `${l.scheme}://${net.isIPv6(l.host) ? `[${l.host}]` : l.host}:${l.port}`;

function reachableHost(bindHost: string): string {
  if (bindHost === '::') return '::1';
  if (bindHost === '0.0.0.0') return '127.0.0.1';
  return bindHost;
}

/** The in-memory `users` map: a known user with its password may do anything. */
function passwordsOnly(
  users: Readonly<Record<string, string>>,
  refusals: Refusals,
): AedesOptions['authenticate'] {
  return (client, username, password, done) => {
    const expected = username === undefined ? undefined : users[username];
    if (
      expected !== undefined &&
      password !== undefined &&
      timingSafeEqualText(password.toString('utf8'), expected)
    ) {
      done(null, true);
      return;
    }
    refusals.record({
      kind: 'connect',
      reason: expected === undefined ? 'unknown-user' : 'bad-password',
      who: username,
      clientId: client.id,
    });
    done(Object.assign(new Error('bad username or password'), { returnCode: 4 as const }), false);
  };
}

/** Compares secrets in constant time (hashes first, so lengths don't leak either). */
function timingSafeEqualText(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}
