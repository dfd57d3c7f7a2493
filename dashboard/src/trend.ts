/**
 * The province rate over time. The API has no trend endpoint, so the window of the current
 * report is cut into a handful of consecutive sub-windows and `/api/rates` is asked for each
 * (explicit `from`/`to`, so every point is exactly the API's rate for that sub-window).
 * A few requests run at once; the trend is refreshed less often than the figures (see
 * TREND_MIN_INTERVAL_MS in the province view) because each request walks the whole ledger.
 */
import { api, type RatesReport } from './api.ts';
import { windowMs, type WindowKey } from './state.ts';

export interface TrendPlan {
  stepMs: number;
  count: number;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

const PRESET_PLANS: Readonly<Record<string, TrendPlan>> = {
  '1h': { stepMs: 5 * MIN, count: 12 },
  '24h': { stepMs: HOUR, count: 24 },
  '7d': { stepMs: 6 * HOUR, count: 28 },
  '30d': { stepMs: 24 * HOUR, count: 30 },
};

/** Sub-windows for a window: the presets' round steps, else twelve equal parts. */
export function trendPlan(win: WindowKey): TrendPlan {
  const preset = PRESET_PLANS[win];
  if (preset) return preset;
  const ms = windowMs(win) ?? 24 * HOUR;
  return { stepMs: Math.max(1000, Math.floor(ms / 12)), count: 12 };
}

const CONCURRENCY = 4;

/** [sub-window start, province networked rate (fraction) or null] for each sub-window, oldest first. */
export async function loadTrend(
  report: RatesReport,
  plan: TrendPlan,
  signal?: AbortSignal,
): Promise<[number, number | null][]> {
  const { to, widthMs } = report.window;
  // Sub-windows must be whole buckets, or the engine would round them and overlap.
  const step = Math.max(widthMs, Math.floor(plan.stepMs / widthMs) * widthMs);
  const starts: number[] = [];
  for (let k = plan.count; k >= 1; k--) if (to - k * step >= report.window.from) starts.push(to - k * step);
  const out: [number, number | null][] = starts.map((s) => [s, null]);
  let next = 0;
  const worker = async () => {
    while (next < starts.length) {
      const i = next++;
      const from = starts[i] ?? 0;
      const r = await api.rates({ from, to: from + step }, signal);
      out[i] = [from, r.province.window.networkedRate];
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return out;
}
