/**
 * The networked rate over time (`/api/rates/trend`): the window cut into equal steps, each
 * point the ratios of DOMAIN.md §1 over that step alone — exactly what a report over
 * [step start, step end) would say, for the selected enterprises together.
 *
 * From the availability index only, no store reads: each ledger device's runs are walked once
 * across all steps (O(runs in the window + steps) per device), not counted step by step.
 */
import type { LedgerEnterprise, LedgerView } from '../ledger/types.ts';
import type { AvailabilityIndex, BucketRuns } from './availability.ts';
import { ratios, type Tally } from './tally.ts';
import type { RatesQuery, RatesTrend, TrendQuery } from './types.ts';
import { RatesError, type ResolvedWindow } from './window.ts';

/** Points one trend may have: bounds the work of a request (100,000 devices × 1,000 steps). */
export const MAX_TREND_STEPS = 1_000;

export interface TrendContext {
  ledger: LedgerView;
  availability: AvailabilityIndex;
  widthMs: number;
}

/** The enterprises a query's filters select (all without one). */
export function selectEnterprises(
  ledger: LedgerView,
  q: Pick<RatesQuery, 'enterprise' | 'industry' | 'city'>,
): LedgerEnterprise[] {
  return ledger
    .enterprises()
    .filter(
      (e) =>
        (q.enterprise === undefined || e.id === q.enterprise) &&
        (q.industry === undefined || e.industry === q.industry) &&
        (q.city === undefined || e.city === q.city),
    );
}

export function computeTrend(c: TrendContext, w: ResolvedWindow, q: TrendQuery, theta: number): RatesTrend {
  const { widthMs } = c;
  const stepMs = q.stepMs;
  if (!Number.isSafeInteger(stepMs) || stepMs < widthMs || stepMs % widthMs !== 0) {
    throw new RatesError(
      'bad_step',
      `step must be a whole number of ${widthMs} ms buckets, got ${stepMs} ms`,
    );
  }
  const span = w.to - w.from;
  if (span % stepMs !== 0) {
    throw new RatesError(
      'bad_step',
      `the window (${span} ms) is not a whole number of steps of ${stepMs} ms: choose a step that divides it`,
    );
  }
  const steps = span / stepMs;
  if (steps > MAX_TREND_STEPS) {
    throw new RatesError(
      'bad_step',
      `${steps} steps asked; at most ${MAX_TREND_STEPS}: choose a longer step`,
    );
  }
  const fromB = w.from / widthMs;
  const stepB = stepMs / widthMs;
  // Per step: networked devices, networked digital devices, online buckets of digital devices.
  const networked = new Float64Array(steps);
  const networkedDigital = new Float64Array(steps);
  const onlineDigital = new Float64Array(steps);
  const online = new Uint32Array(steps);
  // θ = 0: every device is networked in every step (0 / n ≥ 0), counted once at the end.
  const everyone = theta <= 0;
  let devices = 0;
  let digital = 0;
  for (const e of selectEnterprises(c.ledger, q)) {
    const runs = c.availability.enterprise(e.id);
    for (const d of c.ledger.devices(e.id)) {
      devices++;
      if (d.digital) digital++;
      const r = runs?.get(d.id);
      // A device without a bucket in the window adds nothing but its count (θ > 0).
      if (!r || !spread(r, fromB, stepB, steps, online)) continue;
      for (let k = 0; k < steps; k++) {
        const n = online[k]!;
        if (n === 0) continue;
        online[k] = 0;
        if (d.digital) onlineDigital[k]! += n;
        // Division, as in the report: 0.7 * 10 is 7.000000000000001 in doubles.
        if (!everyone && n / stepB >= theta) {
          networked[k]!++;
          if (d.digital) networkedDigital[k]!++;
        }
      }
    }
  }
  if (everyone) {
    networked.fill(devices);
    networkedDigital.fill(digital);
  }
  return {
    window: { from: w.from, to: w.to, widthMs, stepMs, steps, theta },
    points: Array.from({ length: steps }, (_, k) => {
      const t: Tally = {
        devices,
        digital,
        networked: networked[k]!,
        networkedDigital: networkedDigital[k]!,
        onlineBucketsDigital: onlineDigital[k]!,
      };
      return { from: w.from + k * stepMs, to: w.from + (k + 1) * stepMs, ...ratios(t, stepB) };
    }),
  };
}

/** Adds the online buckets of `r` in each step [fromB + k·stepB, +stepB) to `online[k]`; false when none. */
function spread(r: BucketRuns, fromB: number, stepB: number, steps: number, online: Uint32Array): boolean {
  const d = r.data;
  const toB = fromB + steps * stepB;
  // First run ending after the window's start.
  let lo = 0;
  let hi = r.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (d[mid * 3 + 1]! > fromB) hi = mid;
    else lo = mid + 1;
  }
  let any = false;
  for (let i = lo; i < r.n; i++) {
    const start = d[i * 3]!;
    if (start >= toB) break;
    any = true;
    const end = Math.min(d[i * 3 + 1]!, toB);
    let x = Math.max(start, fromB);
    while (x < end) {
      const k = Math.floor((x - fromB) / stepB);
      const next = Math.min(end, fromB + (k + 1) * stepB);
      online[k]! += next - x;
      x = next;
    }
  }
  return any;
}
