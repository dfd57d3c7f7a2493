/**
 * Report by exception: a reading goes north when its quality changed, when a number moved by
 * more than the point's deadband (or any other value changed), or when the point has been
 * silent for `maxSilenceMs` — that heartbeat keeps a steady device provably online in every
 * time bucket of the networked-rate KPI (docs/kpi.md), which needs one good sample per bucket.
 * Readings of points outside the index always pass.
 */
import type { Reading } from '../drivers/types.ts';
import { LastSamples, type PointIndex } from './points.ts';

export class ReportByException {
  readonly #index: PointIndex;
  readonly #deadband: Float64Array;
  readonly #maxSilenceMs: number;
  /** The last reading let through, per point. */
  readonly #last: LastSamples;
  /** Readings held back (unchanged within deadband), for metrics. */
  suppressed = 0;

  /** `deadbands`: per point of `index`, in engineering units (0 = every change). */
  constructor(index: PointIndex, deadbands: Float64Array, maxSilenceMs: number) {
    this.#index = index;
    this.#deadband = deadbands;
    this.#maxSilenceMs = maxSilenceMs;
    this.#last = new LastSamples(index.size);
  }

  /** The readings to send north: `readings` itself when none is held back. */
  filter(device: string, readings: Reading[]): Reading[] {
    const numbers = this.#index.resolve(device, readings);
    let out: Reading[] | undefined;
    for (let k = 0; k < readings.length; k++) {
      const r = readings[k] as Reading;
      const i = numbers?.[k] ?? -1;
      if (i >= 0 && this.#last.has(i) && !this.#changed(i, r)) {
        this.suppressed++;
        out ??= readings.slice(0, k);
        continue;
      }
      if (i >= 0) this.#last.set(i, r);
      out?.push(r);
    }
    return out ?? readings;
  }

  /** Forgets a device's last values, so everything is reported again (after a rebirth). */
  reset(device: string): void {
    for (const i of this.#index.points(device)?.values() ?? []) this.#last.clear(i);
  }

  #changed(i: number, r: Reading): boolean {
    const last = this.#last;
    if (last.good(i) !== r.good) return true;
    if (r.time - last.time(i) >= this.#maxSilenceMs) return true;
    if (!r.good) return false;
    const deadband = this.#deadband[i] ?? 0;
    if (typeof r.value === 'number' && last.isNumber(i)) {
      const before = last.number(i);
      if (Number.isNaN(r.value) !== Number.isNaN(before)) return true;
      return Math.abs(r.value - before) > deadband || (deadband === 0 && r.value !== before);
    }
    return r.value !== last.value(i);
  }
}
