/**
 * Embedded brokers as a cluster: aedes nodes sharing one Redis. Nothing home-made — the two aedes
 * plug-ins that exist for this:
 * - mqemitter-redis carries every publish to every node (Redis pub/sub), so a subscriber on node B
 *   receives what a gateway publishes on node A;
 * - aedes-persistence-redis keeps the state that must outlive a node: persistent sessions and their
 *   subscriptions, QoS 1 queues (a message is queued in Redis for every persistent subscriber before
 *   the publisher gets its PUBACK), retained messages, and every client's Will.
 * A client whose node dies reconnects to another node and finds its session there. The Wills of the
 * clients the dead node held are published by the survivors once its heartbeat has been missing for
 * three intervals (aedes' own mechanism).
 *
 * Three Redis connections per node: subscriber and publisher (mqemitter-redis), state (persistence).
 * This module opens them itself, so the URL is parsed once (cluster-config.ts: IPv6 literals, TLS,
 * database number), start-up fails fast when Redis is unreachable, and close() ends all three.
 */
import type { Aedes, Client } from 'aedes';
import { Redis, type RedisOptions } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import persistenceRedis from 'aedes-persistence-redis';
import type { Logger } from 'pino';
import {
  type BrokerClusterOptions,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_SESSION_DELIVERY,
  parseRedisUrl,
  redisLabel,
} from './cluster-config.ts';

export interface ClusterNode {
  /** What aedes takes: `Aedes.createBroker({ ...node.aedes })`. */
  aedes: {
    id: string | undefined;
    mq: unknown;
    persistence: unknown;
    heartbeatInterval: number;
  };
  /** The Redis URL without credentials, for logs. */
  redis: string;
  /** Installs holdDeliveriesUntilConnack() on the node's broker. */
  holdDeliveries(aedes: Aedes): void;
  /** After aedes.close(): releases the persistence and every Redis connection. */
  close(): Promise<void>;
}

/** Opens the Redis connections (fails if Redis does not answer within `connectTimeoutMs`). */
export async function openClusterNode(
  opts: BrokerClusterOptions,
  log: Logger | undefined,
  connectTimeoutMs = 10_000,
): Promise<ClusterNode> {
  const endpoint = parseRedisUrl(opts.redis);
  if (typeof endpoint === 'string') throw new Error(`embedded broker cluster: redis: ${endpoint}`);
  const label = redisLabel(endpoint);
  const options: RedisOptions = {
    host: endpoint.host,
    port: endpoint.port,
    db: endpoint.db,
    // 0: whatever the name resolves to, IPv6 or IPv4.
    family: 0,
    ...(endpoint.username === undefined ? {} : { username: endpoint.username }),
    ...(opts.password === undefined ? {} : { password: opts.password }),
    ...(endpoint.tls ? { tls: { servername: endpoint.host } } : {}),
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    // After start-up, a lost Redis is retried for ever (backoff up to 2 s); commands wait in the
    // offline queue, so publishes are not acknowledged until the state is written.
    retryStrategy: (times) => Math.min(100 * times, 2_000),
    maxRetriesPerRequest: null,
  };
  const names = ['sub', 'pub', 'state'] as const;
  let starting = true;
  let startError: Error | undefined;
  const conns = names.map((name) => {
    const c = new Redis({ ...options, connectionName: `lianwang-broker-${name}` });
    let reported = false;
    c.on('error', (err: Error) => {
      if (starting) startError ??= err;
      // One line per outage, not one per retry; a start-up failure is thrown instead.
      else if (!reported) log?.warn({ redis: label, conn: name, err: err.message }, 'redis connection error');
      reported = true;
    });
    c.on('ready', () => {
      if (reported) log?.info({ redis: label, conn: name }, 'redis connection back');
      reported = false;
    });
    return c;
  });
  const closeAll = () => {
    for (const c of conns) c.disconnect();
  };
  const [sub, pub, state] = conns as [Redis, Redis, Redis];
  try {
    // Once, with a deadline: a wrong address is a start-up error, not a broker that hangs.
    await Promise.all(
      conns.map((c) => {
        const retry = c.options.retryStrategy;
        c.options.retryStrategy = () => null;
        return c.connect().finally(() => (c.options.retryStrategy = retry));
      }),
    );
  } catch (err) {
    closeAll();
    // ioredis rejects with "Connection is closed."; the socket error says why.
    const why = (startError ?? (err as Error)).message;
    throw new Error(`embedded broker cluster: cannot reach redis at ${label}: ${why}`, { cause: err });
  }
  starting = false;
  const mq = mqemitterRedis({ subConn: sub, pubConn: pub });
  const persistence = persistenceRedis({
    conn: state,
    maxSessionDelivery: opts.maxSessionDelivery ?? DEFAULT_SESSION_DELIVERY,
  });
  oneStorePerSubscribe(persistence);
  return {
    aedes: {
      id: opts.nodeId,
      mq,
      persistence,
      heartbeatInterval: opts.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS,
    },
    redis: label,
    holdDeliveries: holdDeliveriesUntilConnack,
    async close() {
      // aedes.close() closes the emitter (QUIT on sub and pub) but leaves the persistence open.
      await persistence
        .destroy()
        .catch((err: unknown) => log?.debug({ err: (err as Error).message }, 'redis persistence close'));
      closeAll();
    },
  };
}

/**
 * aedes 1.2 stores a persistent client's subscriptions once per topic of a SUBSCRIBE packet
 * (lib/handlers/subscribe.js storeSubscriptions), each time with the packet's whole list. The Redis
 * persistence then waits for its own `$SYS/sub/add` broadcast to come back, keyed by the list's
 * first topic only (aedes-persistence broadcastPersistence.js): with two or more topics the later
 * waits replace the earlier, which never resolve, and the SUBACK never comes (an ingest subscribing
 * `spBv1.0/#` and `lianwang/+/+/data` in one packet hung). One store per packet — the same list
 * object — is what was meant, and it resolves.
 */
export function oneStorePerSubscribe(persistence: object): void {
  const p = persistence as {
    addSubscriptions: (client: unknown, subs: object, cb?: unknown) => Promise<unknown> | undefined;
  };
  const add = p.addSubscriptions.bind(p);
  const pending = new WeakMap<object, Promise<unknown>>();
  p.addSubscriptions = (client, subs, cb) => {
    if (cb !== undefined) return add(client, subs, cb);
    let stored = pending.get(subs);
    if (!stored) {
      stored = add(client, subs) ?? Promise.resolve();
      pending.set(subs, stored);
    }
    return stored;
  };
}

type Deliver = (packet: unknown, cb: () => void) => void;
interface DeliveringClient {
  connackSent: boolean;
  deliverQoS: Deliver;
  deliver0: Deliver;
  conn: { once(event: 'close', fn: () => void): unknown };
}

/**
 * aedes 1.2 restores a persistent session's subscriptions before it writes CONNACK (lib/handlers/
 * connect.js: restoreSubs … doConnack). A message that arrives in between is written to the client
 * first; mqtt.js then waits to send its PUBACK until connected and never reads the CONNACK, so the
 * connect times out — every time, under steady traffic. In a cluster that window is a Redis round
 * trip (the Will is stored in it), so an ingest reconnecting with `clean: false` hit it in tests.
 * This holds a client's deliveries until its CONNACK is out: QoS 1 messages are in its Redis queue
 * already, so dropping the held ones of a connection that fails is no loss.
 */
export function holdDeliveriesUntilConnack(aedes: Aedes): void {
  interface Held {
    deliver: Deliver;
    packet: unknown;
    cb: () => void;
  }
  const held = new WeakMap<object, Held[]>();
  const preConnect = aedes.preConnect.bind(aedes);
  aedes.preConnect = (client, packet, callback) => {
    const c = client as unknown as DeliveringClient;
    const queue: Held[] = [];
    held.set(c, queue);
    for (const name of ['deliverQoS', 'deliver0'] as const) {
      const deliver = c[name];
      c[name] = (p, cb) => {
        if (c.connackSent) deliver(p, cb);
        else queue.push({ deliver, packet: p, cb });
      };
    }
    c.conn.once('close', () => {
      // Never connected: release the emitter's callbacks without writing.
      if (!c.connackSent) for (const h of queue.splice(0)) h.cb();
    });
    preConnect(client, packet, callback);
  };
  aedes.on('connackSent', (_packet, client: Client) => {
    const queue = held.get(client);
    if (!queue) return;
    held.delete(client);
    for (const h of queue.splice(0)) h.deliver(h.packet, h.cb);
  });
}
