/**
 * Report by exception: a reading goes north when its quality changed, when a number moved by
 * more than the point's deadband (or any other value changed), or when the point has been
 * silent for `maxSilenceMs` — that heartbeat keeps a steady device provably online in every
 * time bucket of the networked-rate KPI (docs/kpi.md), which needs one good sample per bucket.
 */
import type { Reading, Value } from '../drivers/types.ts';

interface Last {
  value: Value | null;
  good: boolean;
  time: number;
}

export class ReportByException {
  readonly #deadband: ReadonlyMap<string, number>;
  readonly #maxSilenceMs: number;
  readonly #last = new Map<string, Last>();
  /** Readings held back (unchanged within deadband), for metrics. */
  suppressed = 0;

  /** `deadbands`: `<device>|<point>` → deadband in engineering units (0 = every change). */
  constructor(deadbands: ReadonlyMap<string, number>, maxSilenceMs: number) {
    this.#deadband = deadbands;
    this.#maxSilenceMs = maxSilenceMs;
  }

  filter(device: string, readings: readonly Reading[]): Reading[] {
    const out: Reading[] = [];
    for (const r of readings) {
      const key = `${device}|${r.point}`;
      const last = this.#last.get(key);
      if (last && !this.#changed(last, r, this.#deadband.get(key) ?? 0)) {
        this.suppressed++;
        continue;
      }
      this.#last.set(key, { value: r.value, good: r.good, time: r.time });
      out.push(r);
    }
    return out;
  }

  /** Forgets a device's last values, so everything is reported again (after a rebirth). */
  reset(device: string): void {
    for (const key of this.#last.keys()) if (key.startsWith(`${device}|`)) this.#last.delete(key);
  }

  #changed(last: Last, r: Reading, deadband: number): boolean {
    if (last.good !== r.good) return true;
    if (r.time - last.time >= this.#maxSilenceMs) return true;
    if (!r.good) return false;
    if (typeof r.value === 'number' && typeof last.value === 'number') {
      if (Number.isNaN(r.value) !== Number.isNaN(last.value)) return true;
      return Math.abs(r.value - last.value) > deadband || (deadband === 0 && r.value !== last.value);
    }
    return r.value !== last.value;
  }
}
