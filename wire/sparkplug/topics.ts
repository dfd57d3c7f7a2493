/**
 * Sparkplug B topic namespace (spec 3.0 chapter 4):
 *   spBv1.0/{group}/{NBIRTH|NDEATH|NDATA|NCMD}/{node}
 *   spBv1.0/{group}/{DBIRTH|DDEATH|DDATA|DCMD}/{node}/{device}
 *   spBv1.0/STATE/{host_id}
 */
export const NAMESPACE = 'spBv1.0';

export const NODE_MESSAGE_TYPES = ['NBIRTH', 'NDEATH', 'NDATA', 'NCMD'] as const;
export const DEVICE_MESSAGE_TYPES = ['DBIRTH', 'DDEATH', 'DDATA', 'DCMD'] as const;
export type NodeMessageType = (typeof NODE_MESSAGE_TYPES)[number];
export type DeviceMessageType = (typeof DEVICE_MESSAGE_TYPES)[number];

export type ParsedTopic =
  | { namespace: typeof NAMESPACE; type: NodeMessageType; group: string; node: string; device?: undefined }
  | { namespace: typeof NAMESPACE; type: DeviceMessageType; group: string; node: string; device: string }
  | { namespace: typeof NAMESPACE; type: 'STATE'; hostId: string };

// Lone surrogates cannot be encoded as UTF-8; MQTT forbids U+0000 in topic names.
const NOT_UTF8 = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\0/;

/**
 * A valid group, edge node, device or host id: a non-empty UTF-8 string without the
 * reserved characters '/', '+' and '#' (spec §4.1.2, §4.1.4, §4.1.5).
 */
export function validTopicToken(s: string): boolean {
  return typeof s === 'string' && s.length > 0 && !/[/+#]/.test(s) && !NOT_UTF8.test(s);
}

function join(...tokens: string[]): string {
  for (const t of tokens) {
    if (!validTopicToken(t)) throw new RangeError(`invalid Sparkplug topic token ${JSON.stringify(t)}`);
  }
  return `${NAMESPACE}/${tokens.join('/')}`;
}

const node = (type: NodeMessageType) => (group: string, edgeNode: string) => join(group, type, edgeNode);
const device = (type: DeviceMessageType) => (group: string, edgeNode: string, dev: string) =>
  join(group, type, edgeNode, dev);

/** Topic builders; each throws RangeError for an invalid token. */
export const topic = {
  nbirth: node('NBIRTH'),
  ndeath: node('NDEATH'),
  ndata: node('NDATA'),
  ncmd: node('NCMD'),
  dbirth: device('DBIRTH'),
  ddeath: device('DDEATH'),
  ddata: device('DDATA'),
  dcmd: device('DCMD'),
};

/** spBv1.0/STATE/{host_id}: where a host application publishes its retained state. */
export const stateTopic = (hostId: string): string => join('STATE', hostId);

const isNodeType = (s: string): s is NodeMessageType => (NODE_MESSAGE_TYPES as readonly string[]).includes(s);
const isDeviceType = (s: string): s is DeviceMessageType =>
  (DEVICE_MESSAGE_TYPES as readonly string[]).includes(s);

/**
 * A Sparkplug B topic → its parts; undefined for any other topic, a wildcard filter, an
 * invalid token, or a message type with the wrong number of levels.
 */
export function parseTopic(t: string): ParsedTopic | undefined {
  const parts = t.split('/');
  if (parts[0] !== NAMESPACE || !parts.slice(1).every(validTopicToken)) return undefined;
  const [, a, b, c, d] = parts as [string, string, string, string?, string?];
  if (parts.length === 3 && a === 'STATE') return { namespace: NAMESPACE, type: 'STATE', hostId: b };
  if (parts.length === 4 && isNodeType(b) && c !== undefined) {
    return { namespace: NAMESPACE, type: b, group: a, node: c };
  }
  if (parts.length === 5 && isDeviceType(b) && c !== undefined && d !== undefined) {
    return { namespace: NAMESPACE, type: b, group: a, node: c, device: d };
  }
  return undefined;
}
