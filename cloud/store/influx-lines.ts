/**
 * Line protocol for the InfluxDB store, built here instead of by node-influx's `writePoints`.
 *
 * Why by hand: `writePoints` takes point objects only and, for every point, sorts and escapes
 * the field keys, escapes every tag key and value with a regex, and checks the timestamp — about
 * a quarter of ingest's CPU at 150,000 points/s (bench/ingest.ts profile). A telemetry series
 * (enterprise, node, device, metric) repeats every poll, so its escaped key is built once and
 * cached here; only the fields and the time are written per point. The escaping itself is
 * node-influx's (`escape.tag`), and the tag values are the sanitised ones of `encodeTag`
 * (DOMAIN.md §3), so a line says exactly what `writePoints` said for the same point, with the
 * tags in key order (what InfluxDB sorts them into anyway). `pointLine` serialises the rare
 * points (online marks, link events) the same way; the tests hold both to each other.
 */
import { escape } from 'influx';
import { normaliseValue } from './common.ts';
import { encodeTag } from './influxql.ts';
import { TELEMETRY, type LinePoint } from './influx-layout.ts';
import type { Sample } from './types.ts';

/**
 * A string field value on the line protocol: `\` and `"` escaped, in quotes. (node-influx's
 * `escape.quoted` first turns the first `\'` into `\\'`, so `it\'s` came back as `it\\'s`.)
 */
export function quoteField(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

function fieldValue(v: number | boolean | string): string {
  return typeof v === 'string' ? quoteField(v) : String(v);
}

const byKey = (a: [string, unknown], b: [string, unknown]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

/** One point as a line: tags and fields in key order, time in ms. */
export function pointLine(p: LinePoint): string {
  let line = escape.measurement(p.measurement);
  for (const [k, v] of Object.entries(p.tags).sort(byKey)) line += `,${escape.tag(k)}=${escape.tag(v)}`;
  const fields = Object.entries(p.fields).sort(byKey);
  line += fields.map(([k, v], i) => `${i === 0 ? ' ' : ','}${escape.tag(k)}=${fieldValue(v)}`).join('');
  return `${line} ${p.timestamp}`;
}

/** Escaped series keys cached at most (≈ 200 B each); beyond, the cache starts again empty. */
const MAX_SERIES = 200_000;

type Level<T> = Map<string, T>;

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
// The fields after the series key ("… good="), by [good][historical].
const FLAGS = [
  [ascii('false,historical=false'), ascii('false,historical=true')],
  [ascii('true,historical=false'), ascii('true,historical=true')],
] as const;
const VALUE = ascii(',value=');
const VALUE_TRUE = ascii(',value_bool=true');
const VALUE_FALSE = ascii(',value_bool=false');
const VALUE_STR = ascii(',value_str=');

/**
 * A growing byte buffer a request body is written into. Why not strings: a body of 5,000 lines
 * joined from pieces is a rope V8 must flatten and then encode as UTF-8 in one more pass when it
 * is sent — 8% of ingest's CPU in the bench profile; series keys and constant fields are copied
 * as bytes here, numbers (always ASCII) written digit by digit, only string values encoded.
 */
class Bytes {
  #buf = Buffer.allocUnsafe(1 << 16);
  length = 0;

  #room(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.length + n));
    this.#buf.copy(next, 0, 0, this.length);
    this.#buf = next;
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }

  byte(c: number): void {
    this.#room(1);
    this.#buf[this.length++] = c;
  }

  /** A string known to be ASCII (a number's text). */
  ascii(s: string): void {
    this.#room(s.length);
    const buf = this.#buf;
    for (let i = 0; i < s.length; i++) buf[this.length++] = s.charCodeAt(i);
  }

  utf8(s: string): void {
    this.#room(s.length * 3);
    this.length += this.#buf.write(s, this.length, 'utf8');
  }

  /** A copy of what was written; the buffer is reused. */
  take(): Buffer {
    const out = Buffer.from(this.#buf.subarray(0, this.length));
    this.length = 0;
    return out;
  }
}

/**
 * Telemetry samples → request bodies, with the series key of each (enterprise, node, device,
 * metric) cached as bytes. The cache is bounded (MAX_SERIES by default): when full it is dropped
 * whole (a plain Map has no eviction order worth keeping, and rebuilding a key costs what writing
 * it without a cache did).
 */
export class SampleLines {
  // enterprise → node → device → metric → "telemetry,device=…,enterprise=…,metric=…,node=… good="
  readonly #cache: Level<Level<Level<Level<Buffer>>>> = new Map();
  #size = 0;
  readonly #maxSeries: number;
  // Consecutive samples mostly share a device (one Sparkplug message): its map, looked up once.
  #last: { enterprise: string; node: string; device: string; metrics: Level<Buffer> } | undefined;
  readonly #out = new Bytes();
  // …and a time: " <ms>" of the latest time written.
  #time = Number.NaN;
  #timeBytes = ascii(' ');

  constructor(maxSeries = MAX_SERIES) {
    this.#maxSeries = Math.max(1, maxSeries);
  }

  /** Cached series keys. */
  get size(): number {
    return this.#size;
  }

  /** One sample's line (what `bodies` writes for it). */
  line(s: Sample): string {
    return this.bodies([s], 1)[0]?.toString() ?? '';
  }

  /** Lines of `rows`, `chunk` per body (newline-separated): the bodies of the write requests. */
  bodies(rows: readonly Sample[], chunk: number): Buffer[] {
    const out: Buffer[] = [];
    const w = this.#out;
    w.length = 0;
    for (let i = 0; i < rows.length; i++) {
      if (i % chunk === 0 && i > 0) out.push(w.take());
      else if (i > 0) w.byte(0x0a);
      this.#write(rows[i] as Sample);
    }
    if (rows.length > 0) out.push(w.take());
    return out;
  }

  #write(s: Sample): void {
    const w = this.#out;
    w.bytes(this.#key(s));
    // Field keys in order: good, historical, value | value_bool | value_str.
    w.bytes(FLAGS[s.good ? 1 : 0][s.historical ? 1 : 0]);
    const value = normaliseValue(s.value);
    if (typeof value === 'number') {
      w.bytes(VALUE);
      w.ascii(String(value));
    } else if (typeof value === 'boolean') w.bytes(value ? VALUE_TRUE : VALUE_FALSE);
    else if (typeof value === 'string') {
      w.bytes(VALUE_STR);
      w.utf8(quoteField(value));
    }
    if (s.time !== this.#time) {
      this.#time = s.time;
      this.#timeBytes = ascii(` ${s.time}`);
    }
    w.bytes(this.#timeBytes);
  }

  #key(s: Sample): Buffer {
    const last = this.#last;
    let metrics: Level<Buffer>;
    if (last && last.device === s.device && last.node === s.node && last.enterprise === s.enterprise)
      metrics = last.metrics;
    else {
      metrics = this.#device(s.enterprise, s.node, s.device);
      this.#last = { enterprise: s.enterprise, node: s.node, device: s.device, metrics };
    }
    let key = metrics.get(s.metric);
    if (key === undefined) {
      if (this.#size >= this.#maxSeries) {
        this.#cache.clear();
        this.#size = 0;
        metrics = this.#device(s.enterprise, s.node, s.device);
        this.#last = { enterprise: s.enterprise, node: s.node, device: s.device, metrics };
      }
      key = Buffer.from(
        `${TELEMETRY},device=${tag(s.device)},enterprise=${tag(s.enterprise)}` +
          `,metric=${tag(s.metric)},node=${tag(s.node)} good=`,
      );
      metrics.set(s.metric, key);
      this.#size++;
    }
    return key;
  }

  #device(enterprise: string, node: string, device: string): Level<Buffer> {
    const nodes = child(this.#cache, enterprise);
    const devices = child(nodes, node);
    return child(devices, device);
  }
}

const tag = (id: string): string => escape.tag(encodeTag(id));

function child<T>(map: Level<Level<T>>, key: string): Level<T> {
  let next = map.get(key);
  if (!next) {
    next = new Map();
    map.set(key, next);
  }
  return next;
}
