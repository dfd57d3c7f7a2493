/**
 * One object per distinct point definition. Devices of one kind carry identical point maps, but the
 * config loader gives every device its own copies: at 500 devices × 100 points that is 50,000 point
 * objects with their `modbus` and `range` objects and 50,000 collect entries, ~20 MB of the gateway's
 * heap for the life of the process. The pool makes identical definitions (same JSON) one shared object
 * and identical point lists one shared array — in the device list it is given, in place, because the
 * caller (the command line, a test) usually keeps that list too, and a shared copy beside it would
 * save nothing. Config objects are never mutated otherwise, so the sharing is invisible but for
 * object identity.
 */
import type { CollectDevice, CollectPoint } from '../../config/index.ts';

type Point = CollectPoint['point'];

export class DefinitionPool {
  readonly #pools = new Map<string, object>();
  readonly #ids = new Map<object, number>();

  /** Replaces the devices' point lists with pooled ones (in place) and returns the same devices. */
  share<T extends readonly CollectDevice[]>(devices: T): T {
    for (const d of devices) {
      d.device.points = this.#list(
        'points',
        d.device.points.map((p) => this.#point(p)),
      );
      d.points = this.#list(
        'collect',
        d.points.map((cp) => this.#collect(cp)),
      );
    }
    return devices;
  }

  #point(p: Point): Point {
    return this.#intern('point', json(p), p);
  }

  #collect(cp: CollectPoint): CollectPoint {
    const point = this.#point(cp.point);
    const id = this.#ids.get(point);
    const shared = point === cp.point ? cp : { ...cp, point };
    return id === undefined ? shared : this.#intern('collect', json({ ...cp, point: id }), shared);
  }

  /** One array for lists of the same pooled objects; a list holding anything unpooled stays its own. */
  #list<T extends object>(kind: string, list: T[]): T[] {
    const ids = list.map((x) => this.#ids.get(x));
    if (ids.some((id) => id === undefined)) return list;
    return this.#intern(kind, ids.join(','), list);
  }

  /** The pooled object for `key`, or `value` after pooling it (no key: not poolable, kept as is). */
  #intern<T extends object>(kind: string, key: string | undefined, value: T): T {
    if (key === undefined) return value;
    const full = `${kind}:${key}`;
    const known = this.#pools.get(full);
    if (known) return known as T;
    this.#pools.set(full, value);
    this.#ids.set(value, this.#ids.size);
    return value;
  }
}

/** A structural key, or undefined for a value JSON cannot represent (a bigint). */
function json(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
