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

/** Escaped series keys cached at most (≈ 150 B each); beyond, the cache starts again empty. */
const MAX_SERIES = 200_000;

type Level<T> = Map<string, T>;

/**
 * Telemetry samples → lines, with the series key of each (enterprise, node, device, metric) cached.
 * The cache is bounded (MAX_SERIES by default): when full it is dropped whole (a plain Map has no eviction
 * order worth keeping, and rebuilding a key costs what writing it without a cache did).
 */
export class SampleLines {
  // enterprise → node → device → metric → "telemetry,device=…,enterprise=…,metric=…,node=… good="
  readonly #cache: Level<Level<Level<Level<string>>>> = new Map();
  #size = 0;
  readonly #maxSeries: number;
  // Consecutive samples mostly share a device (one Sparkplug message): its map, looked up once.
  #last: { enterprise: string; node: string; device: string; metrics: Level<string> } | undefined;

  constructor(maxSeries = MAX_SERIES) {
    this.#maxSeries = Math.max(1, maxSeries);
  }

  /** Cached series keys. */
  get size(): number {
    return this.#size;
  }

  line(s: Sample): string {
    const value = normaliseValue(s.value);
    const flags = s.good
      ? s.historical
        ? 'true,historical=true'
        : 'true,historical=false'
      : s.historical
        ? 'false,historical=true'
        : 'false,historical=false';
    // Field keys in order: good, historical, value | value_bool | value_str.
    const field =
      typeof value === 'number'
        ? `,value=${value}`
        : typeof value === 'boolean'
          ? `,value_bool=${value}`
          : typeof value === 'string'
            ? `,value_str=${quoteField(value)}`
            : '';
    return `${this.#key(s)}${flags}${field} ${s.time}`;
  }

  /** Lines of `rows`, `chunk` per string (newline-separated): the bodies of the write requests. */
  bodies(rows: readonly Sample[], chunk: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < rows.length; i += chunk) {
      const end = Math.min(rows.length, i + chunk);
      let body = this.line(rows[i] as Sample);
      for (let j = i + 1; j < end; j++) body += `\n${this.line(rows[j] as Sample)}`;
      out.push(body);
    }
    return out;
  }

  #key(s: Sample): string {
    const last = this.#last;
    let metrics: Level<string>;
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
      key =
        `${TELEMETRY},device=${tag(s.device)},enterprise=${tag(s.enterprise)}` +
        `,metric=${tag(s.metric)},node=${tag(s.node)} good=`;
      metrics.set(s.metric, key);
      this.#size++;
    }
    return key;
  }

  #device(enterprise: string, node: string, device: string): Level<string> {
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
