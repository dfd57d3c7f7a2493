/**
 * Per-identity topic rules, pure functions. An identity's rules are MQTT topic filters: a PUBLISH is
 * allowed when its topic matches one of the identity's publish filters (and that rule allows its
 * retain flag and payload); a SUBSCRIBE filter is allowed when every topic it could match is
 * matched by one of the identity's subscribe filters (`spBv1.0/g/DCMD/n/+` is within
 * `spBv1.0/g/DCMD/n/+`, `spBv1.0/#` is not).
 *
 * Roles (docs/security.md "Broker access rules"):
 * - gateway: publishes NBIRTH/NDEATH/NDATA under `spBv1.0/{group}/…/{node}` and DBIRTH/DDEATH/DDATA
 *   under `spBv1.0/{group}/…/{node}/{device}` (any device, or only `devices` when listed), never
 *   retained; JSON mode `lianwang/{enterprise}/{device}/data` and the retained `…/status`. Subscribes
 *   to its own NCMD and DCMD and to host STATE topics.
 * - ingest: subscribes to `spBv1.0/#` and `lianwang/#`; publishes only `Node Control/Rebirth`
 *   NCMDs (`spBv1.0/+/NCMD/+`, payload checked) and its own retained STATE.
 * - custom: the publish and subscribe filters written in the file (operators' tools, bridges).
 */
import { decodePayload, NODE_CONTROL_REBIRTH, SparkplugType } from '../../wire/sparkplug/index.ts';
import type { Identity } from './config.ts';

export interface PublishRule {
  filter: string;
  /** May the message be retained? */
  retain: boolean;
  /** Why the payload is refused, or undefined when it is acceptable. */
  payload?: (payload: Buffer) => string | undefined;
}

export interface Rules {
  publish: readonly PublishRule[];
  subscribe: readonly string[];
}

export type Refusal = { reason: 'topic' | 'retain' | 'payload'; detail: string };

const SPARKPLUG_NODE = ['NBIRTH', 'NDEATH', 'NDATA'] as const;
const SPARKPLUG_DEVICE = ['DBIRTH', 'DDEATH', 'DDATA'] as const;

/** The rules an identity's role and fields give it. */
export function rulesOf(id: Identity): Rules {
  switch (id.role) {
    case 'gateway': {
      const { group: g, node: n } = id;
      const enterprise = id.enterprise ?? g;
      const devices = id.devices ?? ['+'];
      return {
        publish: [
          ...SPARKPLUG_NODE.map((t) => ({ filter: `spBv1.0/${g}/${t}/${n}`, retain: false })),
          ...SPARKPLUG_DEVICE.flatMap((t) =>
            devices.map((d) => ({ filter: `spBv1.0/${g}/${t}/${n}/${d}`, retain: false })),
          ),
          ...devices.map((d) => ({ filter: `lianwang/${enterprise}/${d}/data`, retain: false })),
          ...devices.map((d) => ({ filter: `lianwang/${enterprise}/${d}/status`, retain: true })),
        ],
        subscribe: [`spBv1.0/${g}/NCMD/${n}`, `spBv1.0/${g}/DCMD/${n}/+`, 'spBv1.0/STATE/+'],
      };
    }
    case 'ingest':
      return {
        publish: [
          { filter: 'spBv1.0/+/NCMD/+', retain: false, payload: rebirthOnly },
          { filter: `spBv1.0/STATE/${id.hostId}`, retain: true },
        ],
        subscribe: ['spBv1.0/#', 'lianwang/#'],
      };
    case 'custom':
      return {
        publish: id.publish.map((filter) => ({ filter, retain: true })),
        subscribe: id.subscribe,
      };
  }
}

/** Undefined when `rules` allow publishing to `topic`, else why not. */
export function checkPublish(
  rules: Rules,
  topic: string,
  retain: boolean,
  payload: Buffer,
  match: (topic: string) => PublishRule | undefined = (t) => findRule(rules, t),
): Refusal | undefined {
  const rule = match(topic);
  if (!rule) return { reason: 'topic', detail: 'topic outside the identity’s publish rules' };
  if (retain && !rule.retain)
    return { reason: 'retain', detail: `retained messages not allowed on ${rule.filter}` };
  const bad = rule.payload?.(payload);
  return bad === undefined ? undefined : { reason: 'payload', detail: bad };
}

export function findRule(rules: Rules, topic: string): PublishRule | undefined {
  return rules.publish.find((r) => topicMatches(r.filter, topic));
}

/** Undefined when `rules` allow subscribing to `filter`, else why not. */
export function checkSubscribe(rules: Rules, filter: string): Refusal | undefined {
  if (rules.subscribe.some((allowed) => filterWithin(filter, allowed))) return undefined;
  return { reason: 'topic', detail: 'filter reaches beyond the identity’s subscribe rules' };
}

/** MQTT matching of a topic name against a filter; a leading wildcard never matches a `$…` topic. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Whether every topic `filter` can match is also matched by `allowed` (subscription coverage). */
export function filterWithin(filter: string, allowed: string): boolean {
  if (filter.startsWith('$') && (allowed.startsWith('+') || allowed.startsWith('#'))) return false;
  const f = filter.split('/');
  const a = allowed.split('/');
  for (let i = 0; i < a.length; i++) {
    const level = a[i];
    if (level === '#') return true;
    const asked = f[i];
    if (asked === undefined || asked === '#') return false;
    if (level === '+') continue;
    if (asked !== level) return false; // a literal in `allowed` needs the same literal, not a wildcard
  }
  return f.length === a.length;
}

/** The ingest may send commands, but only rebirth requests: one or more `Node Control/Rebirth` = true. */
function rebirthOnly(payload: Buffer): string | undefined {
  let metrics;
  try {
    metrics = decodePayload(payload, { maxBytes: 4096 }).metrics;
  } catch (err) {
    return `NCMD payload does not decode: ${(err as Error).message}`;
  }
  const ok =
    metrics.length > 0 &&
    metrics.every(
      (m) =>
        m.name === NODE_CONTROL_REBIRTH &&
        (m.datatype === undefined || m.datatype === SparkplugType.Boolean) &&
        m.value === true,
    );
  return ok ? undefined : `NCMD may only carry ${NODE_CONTROL_REBIRTH} = true`;
}
