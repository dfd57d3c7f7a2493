/**
 * Access control as aedes hooks: who a client is (client certificate or user name + scrypt
 * password), which client ids it may use, whether its Will is allowed, and per PUBLISH and
 * SUBSCRIBE whether its rules allow it (acl.ts).
 *
 * - A refused CONNECT gets CONNACK 4 (bad user name or password) or 5 (not authorized), or 2
 *   (identifier rejected) for a client id outside the identity's.
 * - A refused PUBLISH closes the connection: MQTT 3.1.1 has no negative PUBACK, and a positive one
 *   would let a misconfigured gateway believe its data was delivered (MQTT-3.3.5-2 allows either).
 * - A refused SUBSCRIBE gets a failure return code (0x80) in its SUBACK for that filter only; the
 *   connection and the other filters stay (mqtt.js rejects the subscribe call with "Subscribe
 *   error"). A persistent session's subscriptions are re-checked when the session is resumed.
 * - The Will is checked at CONNECT (refused: CONNACK 5) and again by aedes before publishing it.
 */
import { TLSSocket, type PeerCertificate } from 'node:tls';
import type { AedesOptions, Client } from 'aedes';
import { checkPublish, checkSubscribe, findRule, rulesOf, type PublishRule, type Rules } from './acl.ts';
import { clientIdAllowed, clientIdsOf, type Identity } from './config.ts';
import { verifyNobody, verifyPassword } from './passwords.ts';
import type { RefusalEvent, Refusals } from './refusals.ts';

export interface AccessConfig {
  identities: readonly Identity[];
  /** Default 10 s. */
  refusalLogIntervalMs?: number;
}

interface Session {
  identity: Identity;
  rules: Rules;
  /** Topic → matching rule: DATA topics repeat, so each is matched once per connection. */
  cache: Map<string, PublishRule | null>;
}

interface WillPacket {
  topic: string;
  payload: Buffer;
  retain?: boolean;
}

type Hooks = Required<
  Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>
>;

const CACHE_MAX = 4096;

class RefusedError extends Error {
  constructor(
    message: string,
    readonly returnCode: 2 | 4 | 5,
  ) {
    super(message);
  }
}

const addressOf = (client: Client): string | undefined =>
  (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress;

export function accessHooks(config: AccessConfig, refusals: Refusals): Hooks {
  const byName = new Map(config.identities.map((id) => [id.name, id]));
  const byCertName = new Map<string, Identity>();
  for (const id of config.identities) for (const c of id.certificate ?? []) byCertName.set(c, id);
  const rules = new Map(config.identities.map((id) => [id, rulesOf(id)]));
  const wills = new WeakMap<Client, WillPacket | undefined>();
  const sessions = new WeakMap<Client, Session>();

  const refuse = (client: Client, e: Omit<RefusalEvent, 'clientId' | 'address'>) =>
    refusals.record({ ...e, clientId: client.id, address: addressOf(client) });

  /** The identity a verified client certificate maps to, or why there is none. */
  const fromCertificate = (cert: PeerCertificate): Identity | string => {
    const names = certificateNames(cert);
    const found = new Set(names.map((n) => byCertName.get(n)).filter((id) => id !== undefined));
    if (found.size === 1) return [...found][0] as Identity;
    return found.size === 0
      ? `no identity for certificate ${names.join(', ') || '(no names)'}`
      : `certificate ${names.join(', ')} maps to several identities`;
  };

  const identify = async (
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<Identity> => {
    const conn = client.conn;
    if (conn instanceof TLSSocket) {
      const cert = conn.getPeerCertificate();
      if (cert && Object.keys(cert).length > 0) {
        const fail = (reason: string, detail: string) => {
          refuse(client, { kind: 'connect', reason, who: username, detail });
          return new RefusedError('not authorized', 5);
        };
        if (!conn.authorized)
          throw fail('cert-untrusted', `client certificate not trusted: ${String(conn.authorizationError)}`);
        const id = fromCertificate(cert);
        if (typeof id === 'string') throw fail('cert-unknown', id);
        if (username !== undefined && username !== id.name)
          throw fail(
            'user-mismatch',
            `user name "${username}" differs from the certificate's identity ${id.name}`,
          );
        return id;
      }
    }
    if (username === undefined) {
      refuse(client, {
        kind: 'connect',
        reason: 'no-credentials',
        who: undefined,
        detail: 'no certificate, no user name',
      });
      throw new RefusedError('not authorized', 5);
    }
    const id = byName.get(username);
    const ok =
      id?.passwordHash !== undefined && password !== undefined
        ? await verifyPassword(password, id.passwordHash)
        : await verifyNobody(password ?? '');
    if (!ok || !id) {
      const reason = !id
        ? 'unknown-user'
        : id.passwordHash === undefined
          ? 'certificate-only'
          : 'bad-password';
      refuse(client, { kind: 'connect', reason, who: username });
      throw new RefusedError('bad user name or password', 4);
    }
    return id;
  };

  return {
    preConnect(client, packet, callback) {
      wills.set(client, packet.will as WillPacket | undefined);
      callback(null, true);
    },

    authenticate(client, username, password, done) {
      identify(client, username, password).then(
        (identity) => {
          const who = identity.name;
          if (!clientIdAllowed(clientIdsOf(identity), client.id)) {
            refuse(client, {
              kind: 'connect',
              reason: 'client-id',
              who,
              detail: `client id not among ${clientIdsOf(identity).join(', ')}`,
            });
            done(new RefusedError('identifier rejected', 2), false);
            return;
          }
          const r = rules.get(identity) ?? rulesOf(identity);
          const will = wills.get(client);
          const bad = will && checkPublish(r, will.topic, will.retain ?? false, will.payload);
          if (will && bad) {
            refuse(client, { kind: 'connect', reason: 'will', who, topic: will.topic, detail: bad.detail });
            done(new RefusedError('not authorized', 5), false);
            return;
          }
          sessions.set(client, { identity, rules: r, cache: new Map() });
          done(null, true);
        },
        (err: unknown) => {
          const e = err instanceof RefusedError ? err : new RefusedError('not authorized', 5);
          done(e, false);
        },
      );
    },

    authorizePublish(client, packet, callback) {
      // aedes publishes the Will of a client that is gone with client = null: one held by a cluster node
      // that died, or found in a persistent store after a restart. Those Wills passed the CONNECT check.
      if (client === null) return callback(null);
      const s = sessions.get(client);
      if (!s) {
        refuse(client, { kind: 'publish', reason: 'no-session', who: undefined, topic: packet.topic });
        return callback(new Error('not authorized'));
      }
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const bad = checkPublish(s.rules, packet.topic, packet.retain, payload, (t) => {
        let rule = s.cache.get(t);
        if (rule === undefined) {
          rule = findRule(s.rules, t) ?? null;
          if (s.cache.size >= CACHE_MAX) s.cache.clear();
          s.cache.set(t, rule);
        }
        return rule ?? undefined;
      });
      if (!bad) return callback(null);
      refuse(client, {
        kind: 'publish',
        reason: bad.reason,
        who: s.identity.name,
        topic: packet.topic,
        detail: bad.detail,
      });
      callback(new Error(`publish to ${packet.topic} not authorized for ${s.identity.name}: ${bad.detail}`));
    },

    authorizeSubscribe(client, sub, callback) {
      const s = sessions.get(client);
      const bad = s
        ? checkSubscribe(s.rules, sub.topic)
        : { reason: 'no-session', detail: 'not authenticated' };
      if (!bad) return callback(null, sub);
      refuse(client, {
        kind: 'subscribe',
        reason: bad.reason,
        who: s?.identity.name,
        topic: sub.topic,
        detail: bad.detail,
      });
      // null: a failure return code (0x80) for this filter in the SUBACK, the connection stays.
      callback(null, null);
    },
  };
}

/** `CN=…` plus the certificate's DNS:, URI: and email: subjectAltName entries. */
export function certificateNames(cert: PeerCertificate): string[] {
  const names: string[] = [];
  const cn = cert.subject?.CN;
  for (const c of Array.isArray(cn) ? cn : cn === undefined ? [] : [cn]) names.push(`CN=${c}`);
  for (const entry of (cert.subjectaltname ?? '').split(/,\s*/)) {
    const m = /^(DNS|URI|email):(.+)$/.exec(entry);
    if (m) names.push(`${m[1]}:${m[2]}`);
  }
  return names;
}
