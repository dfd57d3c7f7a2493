/**
 * What the Sparkplug edge node knows about its devices' points: aliases (ALIAS_BASE + the point's number
 * in a dense index), datatypes, and the latest reading of each (births carry them). Kept in arrays, not
 * per-point objects: see pipeline/points.ts.
 */
import { DataEncoder } from '../../wire/sparkplug/data-encoder.ts';
import { type Metric, SparkplugType } from '../../wire/sparkplug/index.ts';
import { LastSamples, PointIndex } from '../pipeline/points.ts';
import { birthProperties, coerce, toMetric } from './metrics.ts';
import type { Command, DeviceMeta, Reading } from './types.ts';

/** Aliases 1–99 are the node's own metrics; device points get ALIAS_BASE + their index. */
export const ALIAS_BASE = 100;

export class PointTable {
  readonly devices = new Map<string, DeviceMeta>();
  #index = new PointIndex([]);
  #types = new Uint8Array(0);
  #last = new LastSamples(0);
  /** Devices with at least one reading. */
  readonly #seen = new Set<string>();
  readonly #encoder = new DataEncoder();
  /** The point numbers `record` found for its last batch, for `encodeData` of the same batch. */
  #numbers = new Int32Array(256);
  #numbered: { device: string; readings: readonly Reading[] } | undefined;

  /** A new device list; last readings are carried over by device and point name. */
  setDevices(devices: readonly DeviceMeta[]): void {
    const before = this.#index;
    const last = this.#last;
    this.#numbered = undefined;
    this.devices.clear();
    for (const d of devices) this.devices.set(d.key, d);
    this.#index = new PointIndex(devices);
    this.#types = new Uint8Array(this.#index.size);
    this.#last = new LastSamples(this.#index.size);
    for (const d of devices) {
      for (const p of d.points) {
        const i = this.#index.of(d.key, p.name);
        this.#types[i] = p.datatype;
        const j = before.of(d.key, p.name);
        if (j >= 0 && last.has(j)) {
          this.#last.set(i, { point: p.name, value: last.value(j), good: last.good(j), time: last.time(j) });
        }
      }
    }
    for (const key of [...this.#seen]) if (!this.devices.has(key)) this.#seen.delete(key);
  }

  /** Remembers the readings as the device's latest. */
  record(device: string, readings: readonly Reading[]): void {
    const points = this.#index.points(device);
    this.#numbered = undefined;
    if (!points) return;
    this.#seen.add(device);
    if (this.#numbers.length < readings.length) this.#numbers = new Int32Array(readings.length * 2);
    const numbers = this.#numbers;
    for (let k = 0; k < readings.length; k++) {
      const r = readings[k] as Reading;
      const i = points.get(r.point) ?? -1;
      numbers[k] = i;
      if (i >= 0) this.#last.set(i, r);
    }
    this.#numbered = { device, readings };
  }

  hasData(device: string): boolean {
    return this.#seen.has(device);
  }

  /** The readings as DATA metrics: alias (and name when asked), source time, datatype. */
  metrics(device: string, readings: readonly Reading[], withNames: boolean): Metric[] {
    const points = this.#index.points(device);
    const out: Metric[] = new Array<Metric>(readings.length);
    for (let k = 0; k < readings.length; k++) {
      const r = readings[k] as Reading;
      out[k] = this.#metric(points?.get(r.point) ?? -1, r, withNames);
    }
    return out;
  }

  /**
   * The readings as a DATA payload (aliases, no names, no datatypes), written straight from the
   * readings (wire/sparkplug/data-encoder.ts): the same bytes as encodePayload of `metrics(…, false)`,
   * without a Metric object per reading. Undefined when a reading needs the general encoder (a point
   * outside the index, a value its datatype cannot carry): the caller uses encodePayload then.
   */
  encodeData(
    device: string,
    readings: readonly Reading[],
    timestamp: number,
    seq: number,
  ): Buffer | undefined {
    const points = this.#index.points(device);
    if (!points) return undefined;
    // The batch just recorded (the usual case) comes numbered already.
    const n = this.#numbered;
    const numbers = n?.readings === readings && n.device === device ? this.#numbers : undefined;
    const enc = this.#encoder;
    enc.begin();
    for (let k = 0; k < readings.length; k++) {
      const r = readings[k] as Reading;
      const i = numbers ? (numbers[k] as number) : (points.get(r.point) ?? -1);
      if (i < 0) return undefined;
      const datatype = this.#types[i] ?? SparkplugType.Double;
      const value = r.good && r.value !== null ? coerce(r.value, datatype) : null;
      if (!enc.add(ALIAS_BASE + i, r.time, datatype, value)) return undefined;
    }
    return enc.finish(timestamp, seq);
  }

  /** DBIRTH metrics: every point with name, alias, datatype, last value and its time, properties. */
  birth(device: string): Metric[] | undefined {
    const meta = this.devices.get(device);
    if (!meta) return undefined;
    const points = this.#index.points(device);
    const last = this.#last;
    return meta.points.map((p): Metric => {
      const i = points?.get(p.name) ?? -1;
      const known = i >= 0 && last.has(i);
      const m = this.#metric(
        i,
        {
          point: p.name,
          value: known ? last.value(i) : null,
          good: known && last.good(i),
          time: known ? last.time(i) : Date.now(),
        },
        true,
      );
      const properties = birthProperties(p);
      return properties ? { ...m, properties } : m;
    });
  }

  /** A point's alias, for replayed records that carry names only. */
  alias(device: string, point: string): number | undefined {
    const i = this.#index.of(device, point);
    return i < 0 ? undefined : ALIAS_BASE + i;
  }

  /** Buffered metrics (named) for replay: historical, with today's aliases of their points. */
  historical(device: string, metrics: readonly Metric[]): Metric[] {
    return metrics.map((m): Metric => {
      const alias = this.alias(device, m.name ?? '');
      return { ...m, ...(alias === undefined ? {} : { alias }), isHistorical: true };
    });
  }

  /** The device key of a Sparkplug device id (the first device with that id). */
  keyOf(deviceId: string): string | undefined {
    for (const d of this.devices.values()) if (d.id === deviceId) return d.key;
    return undefined;
  }

  /** The point with this alias on the device (commands may name points by alias only). */
  pointOf(device: string, alias: number): string | undefined {
    for (const [name, i] of this.#index.points(device) ?? []) if (ALIAS_BASE + i === alias) return name;
    return undefined;
  }

  /** Each metric of a DCMD as a Command, with the device key and the point's name (or alias) resolved. */
  commands(deviceId: string, metrics: readonly Metric[]): Command[] {
    const device = this.keyOf(deviceId);
    return metrics.map((m) => {
      const alias = m.alias === undefined ? undefined : Number(m.alias);
      const point =
        m.name ?? (device === undefined || alias === undefined ? undefined : this.pointOf(device, alias));
      return { device, deviceId, point, metric: m.name ?? `alias ${String(m.alias)}`, value: m.value };
    });
  }

  /** A reading of point `i` of the index (-1: unknown, a Double without alias). */
  #metric(i: number, r: Reading, withName: boolean): Metric {
    if (i < 0) return toMetric(r, SparkplugType.Double, undefined, withName);
    return toMetric(r, this.#types[i] ?? SparkplugType.Double, ALIAS_BASE + i, withName);
  }
}
