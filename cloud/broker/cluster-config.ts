/**
 * The embedded broker cluster's settings: the Redis URL (parsed here, not by ioredis, so an IPv6
 * literal, TLS, the ACL user and the database number are checked once and the same way everywhere),
 * and the `cluster:` section of the broker file. Pure code: the Redis clients live in cluster.ts.
 */
import net from 'node:net';
import { z } from 'zod';
import { NonEmpty } from '../../config/model/common.ts';
import { Duration } from '../../config/model/faults.ts';

export interface BrokerClusterOptions {
  /**
   * redis://[user@]host:port[/db] or rediss:// (TLS); IPv6 literals in brackets: redis://[::1]:6379.
   * No password in the URL (it would be logged and shown by `ps`): give `password`.
   */
  redis: string;
  password?: string;
  /**
   * How often each node announces itself on `$SYS/{id}/heartbeat`. A node silent for 3 intervals
   * is dead: the others publish the Wills of the clients it held (checked every 4 intervals).
   * Default 10 s: Wills of a killed node's clients go out 30–70 s after it died.
   */
  heartbeatIntervalMs?: number;
  /**
   * Queued QoS 1 messages sent to a persistent client when it (re)connects. More stay in Redis until its
   * next connect (aedes-persistence-redis reads the queue once per CONNECT). Default 100,000; the
   * library's own default is 1,000, which a briefly absent ingest exceeds.
   */
  maxSessionDelivery?: number;
  /** This node's id (aedes `id`): default a random UUID per start, so a restarted node is a new node. */
  nodeId?: string;
}

/** What `new Redis(options)` needs; host is unbracketed. */
export interface RedisEndpoint {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username: string | undefined;
}

export const DEFAULT_HEARTBEAT_MS = 10_000;
export const DEFAULT_SESSION_DELIVERY = 100_000;

/** Parses a Redis URL, or says what is wrong with it. */
export function parseRedisUrl(text: string): RedisEndpoint | string {
  if (!URL.canParse(text)) return `not a URL: expected redis://host:port, e.g. redis://[::1]:6379`;
  const url = new URL(text);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    return `expected redis:// or rediss://, got ${url.protocol}//`;
  if (url.password !== '')
    return 'the URL must not carry a password: use passwordFile / --redis-password-file or LIANWANG_REDIS_PASSWORD';
  if (url.search !== '' || url.hash !== '') return 'query strings and fragments are not supported';
  // WHATWG URL keeps the brackets of an IPv6 literal in `hostname`; sockets want them off.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return 'the URL has no host';
  if (url.hostname.startsWith('[') && !net.isIPv6(host)) return `not an IPv6 address: ${url.hostname}`;
  const path = url.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0 || db > 15 || !/^\d*$/.test(path))
    return `the path is the database number 0–15, got /${path}`;
  return {
    host,
    port: url.port === '' ? 6379 : Number(url.port),
    db,
    tls: url.protocol === 'rediss:',
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
  };
}

/** The URL for logs: never a password (none is allowed in it anyway). */
export function redisLabel(e: RedisEndpoint): string {
  const host = net.isIPv6(e.host) ? `[${e.host}]` : e.host;
  return `${e.tls ? 'rediss' : 'redis'}://${e.username ? `${encodeURIComponent(e.username)}@` : ''}${host}:${e.port}${e.db ? `/${e.db}` : ''}`;
}

const RedisUrl = z.string().superRefine((v, ctx) => {
  const e = parseRedisUrl(v);
  if (typeof e === 'string') ctx.addIssue({ code: 'custom', message: e });
});

/** The broker file's `cluster:` section (cloud/broker/config.ts). */
export const ClusterSection = z
  .strictObject({
    redis: RedisUrl.describe(
      'Redis shared by every node: redis://[user@]host:port[/db] or rediss:// (TLS); IPv6 in brackets.',
    ),
    passwordFile: NonEmpty.optional().describe(
      'File holding the Redis password (relative to this file); or set LIANWANG_REDIS_PASSWORD.',
    ),
    heartbeat: Duration.default(DEFAULT_HEARTBEAT_MS).describe(
      'Node heartbeat: a node silent for 3 heartbeats is dead and the others publish its clients’ Wills.',
    ),
    maxSessionDelivery: z
      .number()
      .int()
      .min(1)
      .default(DEFAULT_SESSION_DELIVERY)
      .describe(
        'Queued QoS 1 messages delivered to a reconnecting client per connect; more wait for its next connect.',
      ),
  })
  .describe(
    'Run this broker as one node of a cluster: every node with the same Redis shares messages, sessions, subscriptions, retained messages and QoS 1 queues (docs/scaling.md).',
  );
export type ClusterSection = z.output<typeof ClusterSection>;

/** Cluster options from the broker file's section; the password from its file or LIANWANG_REDIS_PASSWORD. */
export async function clusterOptions(
  section: ClusterSection,
  read: (file: string) => Promise<Buffer>,
): Promise<BrokerClusterOptions> {
  const password =
    section.passwordFile === undefined
      ? process.env.LIANWANG_REDIS_PASSWORD || undefined
      : (await read(section.passwordFile)).toString('utf8').trim();
  return {
    redis: section.redis,
    ...(password === undefined ? {} : { password }),
    heartbeatIntervalMs: section.heartbeat,
    maxSessionDelivery: section.maxSessionDelivery,
  };
}
