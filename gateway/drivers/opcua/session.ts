/**
 * One OPC UA server as the gateway sees it: one client, one session, its subscriptions — and keeping
 * them alive. `ServerConnection.start()` returns at once; the connection then runs until `stop()`.
 *
 * Recovery happens in two layers:
 *
 * 1. node-opcua's own. When the socket breaks, the client re-opens a secure channel (retrying forever,
 *    backoff between backoffMin and backoffMax with node-opcua's jitter), re-activates the session or —
 *    after a server restart, when the old session is unknown — creates a new one, transfers the
 *    subscriptions or re-creates them with their monitored items, and emits `connection_reestablished`.
 *    Checked against the simulator's `restart()`: this alone brings values back.
 *    A link that silently drops packets (no TCP reset) it notices through the socket's idle timeout
 *    (the transport timeout, set above two keep-alive periods), then repairs the same way.
 * 2. Ours, for what that does not cover. node-opcua logs and swallows a failed re-creation of the
 *    subscriptions (the session counts as restored while nothing flows), and its reconnect loop never
 *    gives up, also when the server is back but refuses the old channel (its certificate changed, say:
 *    only a fresh discovery and trust check can tell). So a watchdog rebuilds everything — new client,
 *    session, subscriptions, items — when a subscription was silent for twice its keep-alive period
 *    (servers send a keep-alive when they have nothing else), when the connection is still not back
 *    `repairTimeoutMs` after it broke, or when the server closes the session or the subscription.
 *    Rebuilds and failed first connects retry with exponential backoff and full jitter between
 *    backoffMin and backoffMax. A server that is down when the gateway starts is the same loop.
 *
 * Secured endpoints: the server's certificate is fetched through our dialler (discovery.ts), checked by
 * the TrustStore (trust.ts), and given to the client up front.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ClientSubscription,
  MessageSecurityMode,
  type OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  type UserIdentityInfo,
  UserTokenType,
} from 'node-opcua';
import type { DriverLog } from '../types.ts';
import { type Live, newLive, settleFirst, within } from './attempt.ts';
import { fetchServerCertificate } from './discovery.ts';
import { dialTransports, type OpcuaEndpoint } from './endpoint.ts';
import { describeFailure, errorMessage } from './failure.ts';
import {
  keepAliveCountFor,
  type MonitoredPoint,
  type Refusals,
  subscribe,
  type SubscriptionTiming,
} from './subscriptions.ts';
import type { ServerTrust, TrustStore } from './trust.ts';
import type { Sample } from './values.ts';

import type { SecurityModeName, SecurityPolicyName } from './discovery.ts';

export interface ConnectionEvents {
  samples(device: string, samples: Sample[]): void;
  /** Monitored items the server refused (or lost on re-creation), with its status. */
  refused(refusals: Refusals): void;
  /** Session and subscriptions are in place (first time, after node-opcua's repair, after a rebuild). */
  up(): void;
  /** The session is down or cannot be established; `reason` says why. */
  down(reason: string): void;
}

export interface ConnectionTiming extends SubscriptionTiming {
  /** Per-request timeout for connecting (and the floor of node-opcua's transaction timeout). */
  timeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** After a connection break, how long node-opcua may try before we rebuild from scratch. */
  repairTimeoutMs: number;
}

export interface ConnectionOptions {
  endpoint: OpcuaEndpoint;
  securityMode: SecurityModeName;
  securityPolicy: SecurityPolicyName;
  user?: { username: string; password: string } | undefined;
  trust?: ServerTrust | undefined;
  trustStore: TrustStore;
  /** The gateway's client PKI (shared by its connections; node-opcua reference-counts it). */
  certificateManager: OPCUACertificateManager;
  points: readonly MonitoredPoint[];
  timing: ConnectionTiming;
  log: DriverLog;
  events: ConnectionEvents;
}

export class ServerConnection {
  readonly #o: ConnectionOptions;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;
  #live: Live | undefined;
  #failures = 0;

  /** Keep-alive periods of the subscriptions: the shortest bounds silence on the socket, the longest the session. */
  readonly #keepAlive: { shortestMs: number; longestMs: number };

  constructor(options: ConnectionOptions) {
    this.#o = options;
    const periods = [...new Set(options.points.map((p) => p.intervalMs))].map(
      (interval) => interval * keepAliveCountFor(options.timing.keepAliveMs, interval),
    );
    this.#keepAlive = { shortestMs: Math.min(...periods, Infinity), longestMs: Math.max(0, ...periods) };
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#live?.rebuild('stopped');
    await this.#running;
  }

  async #run(): Promise<void> {
    const { log, events, endpoint } = this.#o;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      let reason: string;
      const live = newLive(dialTransports(endpoint));
      this.#live = live;
      try {
        await settleFirst(this.#establish(live), live.ended, this.#establishTimeoutMs());
        this.#failures = 0;
        events.up();
        reason = await this.#supervise(live);
        if (!signal.aborted) log.warn({ endpoint: endpoint.url, reason }, 'OPC UA rebuilding the session');
      } catch (err) {
        reason = signal.aborted ? 'stopped' : describeFailure(err);
        if (!signal.aborted)
          log.warn({ endpoint: endpoint.url, reason, err: errorMessage(err) }, 'OPC UA connect failed');
      }
      await this.#teardown(live);
      if (signal.aborted) break;
      events.down(reason);
      this.#failures++;
      await sleep(this.#backoffMs(), undefined, { signal }).catch(() => undefined);
    }
    this.#live = undefined;
  }

  /** Exponential backoff with full jitter: uniform in [min, min(max, min·2^(n-1))]. */
  #backoffMs(): number {
    const { backoffMinMs: min, backoffMaxMs: max } = this.#o.timing;
    const ceiling = Math.min(max, min * 2 ** Math.min(30, this.#failures - 1));
    return min + Math.random() * Math.max(0, ceiling - min);
  }

  /**
   * node-opcua's transport timeout is also the socket's idle timeout, after which it breaks the
   * connection and reconnects: longer than two keep-alive periods of the chattiest subscription, or a
   * quiet server would trip it. It also bounds a connect to a server that accepts TCP but never answers.
   */
  #transportTimeoutMs(): number {
    const shortest = Number.isFinite(this.#keepAlive.shortestMs) ? this.#keepAlive.shortestMs : 0;
    return Math.max(10_000, 2 * shortest + this.#o.timing.timeoutMs);
  }

  #transactionTimeoutMs(): number {
    return Math.max(this.#o.timing.timeoutMs, 10_000);
  }

  /** A connect, session and subscriptions that take longer than this are abandoned and retried. */
  #establishTimeoutMs(): number {
    return 3 * this.#transactionTimeoutMs();
  }

  #createClient(live: Live, serverCertificate: Buffer | undefined): OPCUAClient {
    const { endpoint, timing, certificateManager } = this.#o;
    return OPCUAClient.create({
      applicationName: 'lianwang-gateway',
      clientName: `lianwang ${endpoint.url}`,
      endpointMustExist: false,
      securityMode: MessageSecurityMode[this.#o.securityMode],
      securityPolicy: SecurityPolicy[this.#o.securityPolicy],
      ...(serverCertificate ? { serverCertificate } : {}),
      clientCertificateManager: certificateManager,
      transportFactory: live.transports,
      // maxRetry 1: a first connect fails fast into our own backoff loop; after a connection break
      // node-opcua retries forever regardless (its reconnection ignores maxRetry unless it is 0).
      connectionStrategy: {
        maxRetry: 1,
        initialDelay: timing.backoffMinMs,
        maxDelay: timing.backoffMaxMs,
        randomisationFactor: 0.2,
      },
      transportTimeout: this.#transportTimeoutMs(),
      defaultTransactionTimeout: this.#transactionTimeoutMs(),
      // The server keeps the session (and its subscriptions) this long after the link drops, so a
      // short network outage ends with a re-activated session and no lost samples.
      // It must also exceed every subscription's keep-alive period (subscriptions.ts).
      requestedSessionTimeout: Math.max(timing.lifetimeMs, 10_000, 4 * this.#keepAlive.longestMs),
      keepSessionAlive: false,
    });
  }

  async #establish(live: Live): Promise<void> {
    const { endpoint, securityMode, securityPolicy, trustStore, trust } = this.#o;
    let certificate: Buffer | undefined;
    if (securityMode !== 'None') {
      certificate = await fetchServerCertificate({
        endpoint,
        securityMode,
        securityPolicy,
        certificateManager: this.#o.certificateManager,
        transports: live.transports,
        transportTimeoutMs: this.#transportTimeoutMs(),
        transactionTimeoutMs: this.#transactionTimeoutMs(),
      });
      await trustStore.verify(endpoint.url, certificate, trust);
    }
    if (live.disposed) return;
    const client = this.#createClient(live, certificate);
    live.client = client;
    this.#watchClient(live, client);
    await client.connect(endpoint.url);
    if (live.disposed) return;
    const session = await client.createSession(this.#identity());
    live.session = session;
    if (live.disposed) return;
    session.on('session_closed', (status) =>
      live.rebuild(`session closed by the server (${String(status)})`),
    );
    const subs = await subscribe(session, this.#o.points, this.#o.timing, {
      samples: (device, samples) => {
        if (!live.disposed) this.#o.events.samples(device, samples);
      },
      activity: (subscription) => live.activity.set(subscription, Date.now()),
      statusChange: (_subscription, status) => live.rebuild(`subscription status ${status}`),
    });
    live.subs = subs;
    if (live.disposed) return;
    const now = Date.now();
    for (const s of subs.subscriptions) {
      live.activity.set(s, now);
      s.on('terminated', () => live.rebuild('subscription terminated'));
    }
    if (subs.refused.length) this.#o.events.refused(subs.refused);
  }

  #identity(): UserIdentityInfo {
    const user = this.#o.user;
    return user
      ? { type: UserTokenType.UserName, userName: user.username, password: user.password }
      : { type: UserTokenType.Anonymous };
  }

  /** node-opcua's reconnection, reported as device states. */
  #watchClient(live: Live, client: OPCUAClient): void {
    const down = (reason: string) => {
      if (!live.disposed && !this.#abort.signal.aborted) this.#o.events.down(reason);
    };
    client.on('connection_lost', () => {
      live.lostAt ??= Date.now();
      down('connection lost');
    });
    client.on('reconnection_attempt_has_failed', (err: Error) =>
      down(`reconnecting: ${describeFailure(err)}`),
    );
    client.on('connection_reestablished', () => {
      if (live.disposed || !live.subs) return;
      live.lostAt = undefined;
      const now = Date.now();
      for (const s of live.subs.subscriptions) live.activity.set(s, now);
      this.#o.log.info({ endpoint: this.#o.endpoint.url }, 'OPC UA session restored by node-opcua');
      this.#o.events.up();
      const refused = live.subs.currentRefusals();
      if (refused.length) this.#o.events.refused(refused);
    });
    // Emitted when node-opcua gives up on a connection it was repairing.
    client.on('close', (err?: Error | null) => {
      if (err) live.rebuild(`connection closed: ${describeFailure(err)}`);
    });
  }

  /** Resolves with the reason to rebuild: a watchdog verdict, a closed session or subscription, or stop(). */
  #supervise(live: Live): Promise<string> {
    const { timing } = this.#o;
    const subs = live.subs?.subscriptions ?? [];
    const deadline = (s: ClientSubscription) =>
      2 * s.publishingInterval * s.maxKeepAliveCount + timing.timeoutMs;
    const shortest = Math.min(...subs.map(deadline), timing.repairTimeoutMs);
    const every = Math.min(1_000, Math.max(50, Math.floor(shortest / 4)));
    const timer = setInterval(() => {
      const now = Date.now();
      if (live.lostAt !== undefined) {
        if (now - live.lostAt > timing.repairTimeoutMs)
          live.rebuild(`connection not restored after ${Math.round((now - live.lostAt) / 1000)} s`);
        return;
      }
      for (const s of subs) {
        const silent = now - (live.activity.get(s) ?? now);
        if (silent > deadline(s)) {
          live.rebuild(`no publish response for ${Math.round(silent / 1000)} s`);
          return;
        }
      }
    }, every);
    return live.ended.finally(() => clearInterval(timer));
  }

  /**
   * Closes the attempt's client. With a session on a link not known to be broken, the session is closed
   * first so the server frees it (small embedded servers allow a handful of sessions, and an orphan
   * holds one until it times out); else, or when that takes too long, the sockets are cut so node-opcua
   * does not wait out timeouts on a dead link.
   */
  async #teardown(live: Live): Promise<void> {
    live.disposed = true;
    live.rebuild('stopped');
    if (live.session === undefined || live.lostAt !== undefined)
      live.transports.destroyAll('OPC UA link abandoned');
    const client = live.client;
    if (!client) return;
    const limit = Math.max(this.#o.timing.timeoutMs, 2_000);
    const closed = client.disconnect().then(
      () => true,
      () => true,
    );
    if (await within(closed, limit)) return;
    live.transports.destroyAll('OPC UA close timed out');
    if (!(await within(closed, limit)))
      this.#o.log.warn({ endpoint: this.#o.endpoint.url }, 'OPC UA client did not close in time');
  }
}
