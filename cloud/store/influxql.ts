/**
 * The only places where user-supplied text meets InfluxDB's two languages: tag values on the
 * line protocol and literals in InfluxQL. Pure functions, tested on their own
 * (test/cloud/store-influxql.test.ts) and against a real influxd by the conformance suite.
 */

/**
 * An InfluxQL string literal. InfluxQL's scanner knows the escapes \\ \' \" and \n only, and
 * refuses a raw newline inside a literal; node-influx's `escape.stringLit` leaves backslashes
 * alone, so `'a\'` would end a literal early. Every other character is literal.
 */
export function quoteString(s: string): string {
  return `'${s.replace(/[\\'\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}'`;
}

/** An InfluxQL identifier (database, retention policy, measurement, tag key), always quoted. */
export function quoteIdent(s: string): string {
  return `"${s.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`;
}

/**
 * A duration literal for CREATE/ALTER RETENTION POLICY: InfluxQL cannot quote durations, so the
 * text is checked instead of escaped ("90d", "2w", "1d12h", "INF").
 */
export function durationLiteral(s: string): string {
  if (s === 'INF' || /^(\d+(ns|u|µ|ms|s|m|h|d|w))+$/.test(s)) return s;
  throw new Error(`invalid InfluxDB retention duration ${JSON.stringify(s)} (e.g. '90d', '2w', 'INF')`);
}

const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  u: 1e-3,
  µ: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** InfluxDB refuses shorter retention policies ("retention policy duration must be at least 1h0m0s"). */
export const MIN_RETENTION_MS = 3_600_000;

/**
 * A retention as both stores apply it: the InfluxQL literal (`30d`, `2w`, `1d12h`, `INF`) and
 * its length in ms (Infinity for INF). Throws a RangeError that says what is accepted.
 */
export function parseRetention(s: string): { literal: string; ms: number } {
  const literal = durationLiteral(s.trim());
  if (literal === 'INF') return { literal, ms: Infinity };
  let ms = 0;
  for (const [, n, unit] of literal.matchAll(/(\d+)(ns|u|µ|ms|s|m|h|d|w)/g))
    ms += Number(n) * (DURATION_UNIT_MS[unit ?? ''] ?? Number.NaN);
  if (!(ms >= MIN_RETENTION_MS))
    throw new RangeError(`retention ${JSON.stringify(s)} is shorter than 1h, the least InfluxDB accepts`);
  return { literal, ms };
}

/**
 * Stored form of an empty tag value. InfluxDB drops a tag whose value is empty (and node-influx's
 * line then fails the whole batch); no encoded value contains a '%' that does not start an escape,
 * so this token can never be the encoding of a real id.
 */
export const EMPTY_TAG = '%empty';

// '%' is encoded so that decoding is exact; '\' because a trailing backslash escapes the
// separator after it on the line protocol; C0 controls and DEL because a newline ends the line
// (and the others are invisible in Grafana).
// eslint-disable-next-line no-control-regex
const TAG_UNSAFE = /[%\\\u0000-\u001f\u007f]/g;

/**
 * The tag value stored for an id: the id itself, except that '%', '\', control characters and
 * DEL are percent-encoded (%25, %5C, %0A, …) and '' becomes '%empty'. Deterministic and
 * reversible (decodeTag), so every id round-trips and two ids never share a series.
 */
export function encodeTag(id: string): string {
  if (id === '') return EMPTY_TAG;
  return id.replace(TAG_UNSAFE, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function decodeTag(tag: string): string {
  if (tag === EMPTY_TAG) return '';
  return tag.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** `"metric" = 'a' OR "metric" = 'b'`-style condition on an encoded tag, for WHERE clauses. */
export function tagEquals(key: string, id: string): string {
  return `${quoteIdent(key)} = ${quoteString(encodeTag(id))}`;
}

/** A time bound on an epoch-ms integer (InfluxQL reads `123ms` as an instant). */
export function timeMs(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new Error(`time bound ${ms} is not an integer ms`);
  return `${ms}ms`;
}

export interface InfluxTarget {
  protocol: 'http' | 'https';
  /** As node-influx needs it: an IPv6 literal keeps its brackets ("[::1]"). */
  host: string;
  port: number;
  database: string;
  username?: string;
  password?: string;
  /** The URL without credentials, for messages and `Store.location`. */
  location: string;
}

/**
 * Parses `http://user:pass@[::1]:8086/lianwang`. WHATWG URL keeps the brackets of an IPv6 host,
 * which is what node-influx needs: it builds `http://${host}:${port}` and re-parses it, so a bare
 * `::1` silently becomes localhost (127.0.0.1).
 */
export function parseInfluxUrl(url: string): InfluxTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new Error(`invalid InfluxDB URL (expected http://host:8086/database)`, { cause: err });
  }
  const protocol = u.protocol.slice(0, -1);
  if (protocol !== 'http' && protocol !== 'https')
    throw new Error(`InfluxDB URL must be http:// or https://, got ${u.protocol}//${u.host}`);
  const database = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, '')) || 'lianwang';
  if (database.includes('/'))
    throw new Error(`InfluxDB URL path must be one database name, got ${u.pathname}`);
  const port = u.port === '' ? 8086 : Number(u.port);
  const target: InfluxTarget = {
    protocol,
    host: u.hostname,
    port,
    database,
    location: `${protocol}://${u.hostname}:${port}/${encodeURIComponent(database)}`,
  };
  if (u.username !== '') target.username = decodeURIComponent(u.username);
  if (u.password !== '') target.password = decodeURIComponent(u.password);
  return target;
}
