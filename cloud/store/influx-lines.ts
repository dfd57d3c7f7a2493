/**
 * Line protocol for the InfluxDB store, built here instead of by node-influx's `writePoints`.
 *
 * Why by hand: `writePoints` takes point objects only and, for every point, sorts and escapes
 * the field keys, escapes every tag key and value with a regex, and checks the timestamp — about
 * a quarter of ingest's CPU at 150,000 points/s (bench/ingest.ts profile). The tags of a
 * telemetry series (enterprise, node, device, metric) repeat every poll, so they are escaped once
 * and cached here (SampleLines); only the fields and the time are written per point. The escaping itself is
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

/** Cached key pieces at most; beyond, the cache starts again empty. */
const MAX_PIECES = 200_000;

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
// What follows the tags, by [good][historical]: the flags alone, or the flags and the number's field.
const FLAGS = [
  [latin1(' good=false,historical=false'), latin1(' good=false,historical=true')],
  [latin1(' good=true,historical=false'), latin1(' good=true,historical=true')],
] as const;
const NUMBER = FLAGS.map((f) => f.map((b) => Buffer.concat([b, latin1(',value=')])));
const TRUE = latin1(',value_bool=true');
const FALSE = latin1(',value_bool=false');
const STRING = latin1(',value_str=');

/**
 * Telemetry samples → request bodies of line protocol bytes.
 *
 * Why bytes: a body of 5,000 lines joined from strings is a rope V8 must flatten and then encode as
 * UTF-8 in another pass when it is sent (8% of ingest's CPU in the bench profile). Here the tag
 * pieces of a line are cached as UTF-8 bytes and copied, numbers (always ASCII) are written digit
 * by digit, the time text is reused while it repeats (one Sparkplug message, one time), and only
 * string values are encoded.
 *
 * The pieces are cached by what they depend on — "telemetry,device=…,enterprise=…" per
 * (enterprise, device), ",metric=…" per metric name, ",node=…" per node — so a province of
 * 50,000 devices × 100 metrics needs ~50,000 pieces, not 5 million series keys. The cache is
 * bounded (MAX_PIECES by default): when full it is dropped whole (rebuilding a piece costs what
 * writing it without a cache did).
 */
export class SampleLines {
  // enterprise → device → "telemetry,device=…,enterprise=…"
  readonly #devices = new Map<string, Map<string, Buffer>>();
  readonly #metrics = new Map<string, Buffer>();
  readonly #nodes = new Map<string, Buffer>();
  #size = 0;
  readonly #maxPieces: number;
  // Consecutive samples mostly share a device and node (one Sparkplug message): looked up once.
  #enterprise = '';
  #device = '';
  #devicePiece: Buffer | undefined;
  #node = '';
  #nodePiece: Buffer | undefined;
  #time = Number.NaN;
  #timeText = latin1(' ');
  #buf = Buffer.allocUnsafe(1 << 16);
  #length = 0;

  constructor(maxPieces = MAX_PIECES) {
    this.#maxPieces = Math.max(3, maxPieces);
  }

  /** Cached key pieces. */
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
    this.#length = 0;
    for (let i = 0; i < rows.length; i++) {
      if (i % chunk === 0 && i > 0) out.push(this.#take());
      else if (i > 0) this.#byte(0x0a);
      this.#line(rows[i] as Sample);
    }
    if (rows.length > 0) out.push(this.#take());
    return out;
  }

  #line(s: Sample): void {
    if (this.#size >= this.#maxPieces) this.#clear();
    if (s.enterprise !== this.#enterprise || s.device !== this.#device || !this.#devicePiece) {
      this.#devicePiece = this.#piece(
        child(this.#devices, s.enterprise),
        s.device,
        () => `${TELEMETRY},device=${tag(s.device)},enterprise=${tag(s.enterprise)}`,
      );
      this.#enterprise = s.enterprise;
      this.#device = s.device;
    }
    this.#bytes(this.#devicePiece);
    this.#bytes(this.#piece(this.#metrics, s.metric, () => `,metric=${tag(s.metric)}`));
    if (s.node !== this.#node || !this.#nodePiece) {
      this.#nodePiece = this.#piece(this.#nodes, s.node, () => `,node=${tag(s.node)}`);
      this.#node = s.node;
    }
    this.#bytes(this.#nodePiece);
    // Field keys in order: good, historical, value | value_bool | value_str.
    const good = s.good ? 1 : 0;
    const historical = s.historical ? 1 : 0;
    const value = normaliseValue(s.value);
    if (typeof value === 'number') {
      this.#bytes(NUMBER[good]?.[historical] as Buffer);
      this.#ascii(String(value));
    } else {
      this.#bytes(FLAGS[good][historical]);
      if (typeof value === 'boolean') this.#bytes(value ? TRUE : FALSE);
      else if (typeof value === 'string') {
        this.#bytes(STRING);
        this.#utf8(quoteField(value));
      }
    }
    if (s.time !== this.#time) {
      this.#time = s.time;
      this.#timeText = latin1(` ${s.time}`);
    }
    this.#bytes(this.#timeText);
  }

  #piece(map: Map<string, Buffer>, key: string, text: () => string): Buffer {
    let piece = map.get(key);
    if (piece === undefined) {
      piece = Buffer.from(text());
      map.set(key, piece);
      this.#size++;
    }
    return piece;
  }

  #clear(): void {
    this.#devices.clear();
    this.#metrics.clear();
    this.#nodes.clear();
    this.#size = 0;
    this.#devicePiece = this.#nodePiece = undefined;
  }

  #room(n: number): void {
    if (this.#length + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#length + n));
    this.#buf.copy(next, 0, 0, this.#length);
    this.#buf = next;
  }

  #bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#length);
    this.#length += b.length;
  }

  #byte(c: number): void {
    this.#room(1);
    this.#buf[this.#length++] = c;
  }

  /** A string known to be ASCII (a number's text). */
  #ascii(s: string): void {
    this.#room(s.length);
    const buf = this.#buf;
    let at = this.#length;
    for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i);
    this.#length = at;
  }

  #utf8(s: string): void {
    this.#room(s.length * 3);
    this.#length += this.#buf.write(s, this.#length, 'utf8');
  }

  /** A copy of what was written; the buffer is reused. */
  #take(): Buffer {
    const out = Buffer.from(this.#buf.subarray(0, this.#length));
    this.#length = 0;
    return out;
  }
}

const tag = (id: string): string => escape.tag(encodeTag(id));

function child<T>(map: Map<string, Map<string, T>>, key: string): Map<string, T> {
  let next = map.get(key);
  if (!next) {
    next = new Map();
    map.set(key, next);
  }
  return next;
}
