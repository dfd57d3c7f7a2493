/**
 * The embedded broker's configuration file (YAML or JSON): listeners, TLS, and the identities that
 * may connect with what they may publish and subscribe to. One zod schema: defaults and docs live
 * here; `loadBrokerFile()` reports every error with file:line:column. An annotated example:
 * cloud/broker/broker.example.yaml; the rules: docs/security.md.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { intRange, NonEmpty } from '../../config/model/common.ts';
import { Duration } from '../../config/model/faults.ts';
import type { ConfigIssue } from '../../config/load/errors.ts';
import type { LoadResult } from '../../config/load/plant.ts';
import { locate, parseYaml, readSource } from '../../config/load/yaml.ts';
import { fromZodIssues } from '../../config/load/zod-issues.ts';
import { vocabulary } from '../../config/schema/json.ts';
import { validTopicToken } from '../../wire/sparkplug/index.ts';
import { filterWithin } from './acl.ts';
import { ClusterSection, clusterOptions } from './cluster-config.ts';
import type { EmbeddedBrokerOptions } from './embedded.ts';
import { passwordHashProblem } from './passwords.ts';

const Token = z
  .string()
  .refine(validTopicToken, { error: 'expected a topic token: non-empty, without "/", "+", "#" or NUL' });

const Filter = z
  .string()
  .min(1)
  .refine(
    (f) =>
      !f.includes('\0') &&
      f.split('/').every((l, i, all) => !/[+#]/.test(l) || l === '+' || (l === '#' && i === all.length - 1)),
    {
      error: 'expected an MQTT topic filter ("+" for a whole level, "#" only last)',
    },
  );

const PasswordHash = z.string().superRefine((v, ctx) => {
  const problem = passwordHashProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

// CN=… names the subject's common name; DNS:/URI:/email: a subjectAltName entry.
const CertName = z.string().regex(/^(CN=|DNS:|URI:|email:).+$/, {
  error: 'expected CN=<name>, DNS:<name>, URI:<uri> or email:<address>',
});

const ClientId = z
  .string()
  .regex(/^[^*]+\*?$|^\*$/, { error: 'expected a client id, or a prefix ending in "*"' });

const common = {
  name: Token.describe('Identity name: the MQTT user name for password logins; shown in refusal logs.'),
  passwordHash: PasswordHash.optional().describe(
    'scrypt hash of the password (`lianwang broker hash-password`); never the password itself.',
  ),
  certificate: z
    .array(CertName)
    .optional()
    .describe('Client certificate names mapped to this identity: CN=…, DNS:…, URI:… or email:… (mTLS).'),
  clientIds: z
    .array(ClientId)
    .optional()
    .describe(
      'Client ids this identity may use ("prefix*" allowed). Default: gateway lianwang-{group}-{node}; ' +
        'ingest lianwang-ingest-{hostId}[-*]; custom {name}[-*]. No two identities may share one.',
    ),
};

const GatewayIdentity = z
  .strictObject({
    ...common,
    role: z.literal('gateway'),
    group: Token.describe('Sparkplug group id the gateway publishes under.'),
    node: Token.describe('Sparkplug edge node id.'),
    enterprise: Token.optional().describe('JSON mode: lianwang/{enterprise}/…; default: the group.'),
    devices: z
      .array(Token)
      .optional()
      .describe('Only these device ids (DBIRTH/DDATA/DDEATH, JSON topics); default: any under its node.'),
  })
  .describe('An edge gateway: its own Sparkplug node, nothing else.');

const IngestIdentity = z
  .strictObject({
    ...common,
    role: z.literal('ingest'),
    hostId: Token.default('lianwang').describe('Sparkplug host id: the STATE topic it may publish.'),
  })
  .describe('The cloud ingest: reads everything, may only request rebirths and publish its STATE.');

const CustomIdentity = z
  .strictObject({
    ...common,
    role: z.literal('custom'),
    publish: z.array(Filter).default([]).describe('Topic filters it may publish to.'),
    subscribe: z.array(Filter).default([]).describe('Topic filters it may subscribe within.'),
  })
  .describe('Explicit rules, e.g. a read-only operator tool: subscribe [spBv1.0/#], publish [].');

export const Identity = z.discriminatedUnion('role', [GatewayIdentity, IngestIdentity, CustomIdentity]);
export type Identity = z.output<typeof Identity>;

const Listener = { host: z.string().default('::').describe('Bind address; "::" is dual stack.') };

export const BrokerFile = z
  .strictObject({
    $schema: z.string().optional(),
    mqtt: z
      .union([z.literal(false), z.strictObject({ ...Listener, port: intRange(0, 65535).default(1883) })])
      .default({ host: '::', port: 1883 })
      .describe('Plain MQTT listener; false for TLS only.'),
    tls: z
      .strictObject({
        ...Listener,
        port: intRange(0, 65535).default(8883),
        cert: NonEmpty.describe('Server certificate chain (PEM file, relative to this file).'),
        key: NonEmpty.describe('Server private key (PEM file).'),
        ca: NonEmpty.optional().describe('CA certificate(s) that issue client certificates (PEM file).'),
        clientCertificates: z
          .enum(['none', 'optional', 'required'])
          .default('optional')
          .describe(
            'none: passwords only; optional: a certificate or a password; required: no TLS session without a valid certificate.',
          ),
      })
      .optional()
      .describe('MQTT over TLS listener (mqtts://).'),
    identities: z.array(Identity).min(1).describe('Who may connect, and what each may do.'),
    refusalLogInterval: Duration.default(10_000).describe(
      'At most one log line per identity, kind and reason in this interval; the rest are counted.',
    ),
    maxTopicLevels: intRange(1, 100).default(16),
    drainTimeout: Duration.default(10_000),
    cluster: ClusterSection.optional(),
  })
  .superRefine((f, ctx) => {
    const seen = { name: new Map<string, number>(), cert: new Map<string, number>() };
    const ids = f.identities;
    ids.forEach((id, i) => {
      const at = (...p: (string | number)[]) => ['identities', i, ...p];
      const clash = (map: Map<string, number>, key: string, p: (string | number)[], what: string) => {
        const j = map.get(key);
        if (j !== undefined)
          ctx.addIssue({ code: 'custom', path: p, message: `${what} also used by identities[${j}]` });
        else map.set(key, i);
      };
      clash(seen.name, id.name, at('name'), `name "${id.name}"`);
      id.certificate?.forEach((c, k) => clash(seen.cert, c, at('certificate', k), `certificate name "${c}"`));
      if (!id.passwordHash && !id.certificate?.length)
        ctx.addIssue({ code: 'custom', path: at(), message: 'needs passwordHash or certificate (or both)' });
      if (id.certificate?.length && (!f.tls?.ca || f.tls.clientCertificates === 'none'))
        ctx.addIssue({
          code: 'custom',
          path: at('certificate'),
          message: 'client certificates need tls.ca and tls.clientCertificates optional or required',
        });
      for (let j = 0; j < i; j++) {
        const other = ids[j];
        if (!other) continue;
        const a = clientIdsOf(id);
        const b = clientIdsOf(other);
        const overlap = a.find((p) => b.some((q) => patternsOverlap(p, q)));
        if (overlap !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: at('clientIds'),
            message: `client id "${overlap}" overlaps identities[${j}] (${other.name}): one could take over the other’s session`,
          });
      }
    });
  })
  .describe('The lianwang embedded MQTT broker.');

export type BrokerFileInput = z.input<typeof BrokerFile>;
export type BrokerFile = z.output<typeof BrokerFile>;

/** The client id patterns an identity may use (explicit, or its role's default). */
export function clientIdsOf(id: Identity): readonly string[] {
  if (id.clientIds) return id.clientIds;
  switch (id.role) {
    case 'gateway':
      return [`lianwang-${id.group}-${id.node}`];
    case 'ingest':
      return [`lianwang-ingest-${id.hostId}`, `lianwang-ingest-${id.hostId}-*`];
    case 'custom':
      return [id.name, `${id.name}-*`];
  }
}

export function clientIdAllowed(patterns: readonly string[], clientId: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? clientId.startsWith(p.slice(0, -1)) : clientId === p));
}

/** Whether some client id matches both patterns (exact ids or "prefix*"). */
export function patternsOverlap(a: string, b: string): boolean {
  const pa = a.endsWith('*') ? a.slice(0, -1) : undefined;
  const pb = b.endsWith('*') ? b.slice(0, -1) : undefined;
  if (pa === undefined && pb === undefined) return a === b;
  if (pa !== undefined && pb !== undefined) return pa.startsWith(pb) || pb.startsWith(pa);
  return pa !== undefined ? b.startsWith(pa) : a.startsWith(pb ?? '');
}

/** Re-exported for tests and docs: a subscribe filter within an allowed one. */
export { filterWithin };

let brokerVocabulary: Set<string> | undefined;

/** Loads and validates a broker file; every error located, nothing thrown. */
export async function loadBrokerFile(file: string): Promise<LoadResult<BrokerFile>> {
  const text = await readSource(file);
  if (typeof text !== 'string') return { ok: false, errors: [text] };
  const parsed = parseYaml(text, file);
  if (parsed.errors.length) return { ok: false, errors: parsed.errors };
  const result = BrokerFile.safeParse(parsed.value, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  const issues: ConfigIssue[] = fromZodIssues(
    result.error.issues,
    (brokerVocabulary ??= vocabulary(BrokerFile)),
  );
  return {
    ok: false,
    errors: issues
      .map((i) => ({ file, ...locate(parsed.source, i), ...i }))
      .sort((a, b) => a.line - b.line || a.column - b.column),
  };
}

/** Broker options from a loaded file: reads the TLS files (relative to the broker file). */
export async function brokerOptions(
  config: BrokerFile,
  file: string,
): Promise<Omit<EmbeddedBrokerOptions, 'log' | 'registry'>> {
  const rel = (p: string) => readFile(path.resolve(path.dirname(file), p));
  const t = config.tls;
  return {
    ...(config.mqtt === false ? { tcp: false } : { host: config.mqtt.host, port: config.mqtt.port }),
    ...(t
      ? {
          tls: {
            host: t.host,
            port: t.port,
            cert: await rel(t.cert),
            key: await rel(t.key),
            ...(t.ca ? { ca: await rel(t.ca) } : {}),
            clientCertificates: t.clientCertificates,
          },
        }
      : {}),
    access: { identities: config.identities, refusalLogIntervalMs: config.refusalLogInterval },
    maxTopicLevels: config.maxTopicLevels,
    drainTimeoutMs: config.drainTimeout,
    ...(config.cluster ? { cluster: await clusterOptions(config.cluster, (p) => rel(p)) } : {}),
  };
}
