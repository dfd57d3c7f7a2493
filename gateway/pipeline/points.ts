/**
 * Dense numbering of a gateway's points — device key → point name → 0…size-1, in device order then
 * point order — so per-point state (counters, last values, aliases, datatypes) lives in arrays indexed
 * by number instead of maps keyed by `<device>|<point>` strings. At 50,000 points those maps held
 * ~45 MB of keys and entries, and every reading built a fresh key string per map on the hot path.
 */
import type { Reading, Value } from '../drivers/types.ts';

export interface IndexedDevice {
  key: string;
  points: readonly { name: string }[];
}

export class PointIndex {
  readonly size: number;
  readonly #devices = new Map<string, ReadonlyMap<string, number>>();
  /** Per device, the point names of the last batch `resolve` saw and their numbers. */
  readonly #last = new Map<string, { names: string[]; numbers: Int32Array }>();

  constructor(devices: readonly IndexedDevice[]) {
    let next = 0;
    for (const d of devices) {
      const points = new Map<string, number>();
      for (const p of d.points) if (!points.has(p.name)) points.set(p.name, next++);
      this.#devices.set(d.key, points);
    }
    this.size = next;
  }

  /** The device's point numbers, or undefined for a device not in the index. */
  points(device: string): ReadonlyMap<string, number> | undefined {
    return this.#devices.get(device);
  }

  /**
   * The numbers (-1: not in the index) of a batch of readings' points, in order, or undefined for a
   * device not in the index. A driver delivers a device's points in the same order poll after poll,
   * so the answer is kept per device and reused while the batch names the same point strings — a
   * pointer comparison per reading instead of a map lookup per reading per consumer (the app's
   * counters and report-by-exception share one index). The array is never changed afterwards.
   */
  resolve(device: string, readings: readonly Reading[]): Int32Array | undefined {
    const points = this.#devices.get(device);
    if (!points) return undefined;
    const last = this.#last.get(device);
    if (last?.names.length === readings.length) {
      let same = true;
      for (let k = 0; k < readings.length; k++) {
        if ((readings[k] as Reading).point !== last.names[k]) {
          same = false;
          break;
        }
      }
      if (same) return last.numbers;
    }
    const names = new Array<string>(readings.length);
    const numbers = new Int32Array(readings.length);
    for (let k = 0; k < readings.length; k++) {
      const name = (readings[k] as Reading).point;
      names[k] = name;
      numbers[k] = points.get(name) ?? -1;
    }
    this.#last.set(device, { names, numbers });
    return numbers;
  }

  /** A point's number, or -1. */
  of(device: string, point: string): number {
    return this.#devices.get(device)?.get(point) ?? -1;
  }

  /** Every point, in index order. */
  forEach(fn: (device: string, point: string, index: number) => void): void {
    for (const [device, points] of this.#devices) for (const [point, i] of points) fn(device, point, i);
  }

  /** `<device>|<point>` → value, for the points where `include` holds (reports and tests, not hot paths). */
  toMap<T>(values: ArrayLike<T>, include: (value: T) => boolean = () => true): Map<string, T> {
    const out = new Map<string, T>();
    this.forEach((device, point, i) => {
      const v = values[i] as T;
      if (include(v)) out.set(`${device}|${point}`, v);
    });
    return out;
  }

  /** Per-point numbers carried over to a new index by device and point name; new points start at 0. */
  carry(to: PointIndex, values: Float64Array): Float64Array {
    const out = new Float64Array(to.size);
    to.forEach((device, point, i) => {
      const j = this.of(device, point);
      if (j >= 0) out[i] = values[j] ?? 0;
    });
    return out;
  }
}

const NONE = 0;
const NUMBER = 1;
const OTHER = 2;

/**
 * The last sample of every point of an index, without an object per sample: numbers go into a
 * Float64Array, other values (bigint, boolean, string) into a sparse array. Updating a point allocates
 * nothing for numeric values, so 50,000 updates a second leave no garbage in the old generation.
 */
export class LastSamples {
  readonly #kind: Uint8Array;
  readonly #good: Uint8Array;
  readonly #time: Float64Array;
  readonly #num: Float64Array;
  readonly #other: (Value | null | undefined)[] = [];

  constructor(size: number) {
    this.#kind = new Uint8Array(size);
    this.#good = new Uint8Array(size);
    this.#time = new Float64Array(size);
    this.#num = new Float64Array(size);
  }

  has(i: number): boolean {
    return this.#kind[i] !== NONE;
  }

  set(i: number, r: Reading): void {
    const v = r.value;
    if (typeof v === 'number') {
      if (this.#kind[i] === OTHER) this.#other[i] = undefined;
      this.#kind[i] = NUMBER;
      this.#num[i] = v;
    } else {
      this.#kind[i] = OTHER;
      this.#other[i] = v;
    }
    this.#good[i] = r.good ? 1 : 0;
    this.#time[i] = r.time;
  }

  clear(i: number): void {
    if (this.#kind[i] === OTHER) this.#other[i] = undefined;
    this.#kind[i] = NONE;
  }

  good(i: number): boolean {
    return this.#good[i] === 1;
  }

  time(i: number): number {
    return this.#time[i] ?? 0;
  }

  value(i: number): Value | null {
    return this.#kind[i] === NUMBER ? (this.#num[i] ?? 0) : (this.#other[i] ?? null);
  }

  /** The numeric value (NaN when the last value is not a number): no boxing on the hot path. */
  number(i: number): number {
    return this.#kind[i] === NUMBER ? (this.#num[i] ?? Number.NaN) : Number.NaN;
  }

  isNumber(i: number): boolean {
    return this.#kind[i] === NUMBER;
  }
}
