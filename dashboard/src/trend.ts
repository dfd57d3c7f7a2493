/**
 * The province rate over time: the window of the current report cut into a handful of
 * consecutive steps, all answered by one `/api/rates/trend` request (each point is exactly the
 * API's rate for that sub-window). The trend is refreshed less often than the figures (see
 * TREND_MIN_INTERVAL_MS in the province view).
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

/** [sub-window start, province networked rate (fraction) or null] for each sub-window, oldest first. */
export async function loadTrend(
  report: RatesReport,
  plan: TrendPlan,
  signal?: AbortSignal,
): Promise<[number, number | null][]> {
  const { from, to, widthMs } = report.window;
  // Steps must be whole buckets (the API refuses others); as many as fit the report's window.
  const step = Math.max(widthMs, Math.floor(plan.stepMs / widthMs) * widthMs);
  const count = Math.min(plan.count, Math.floor((to - from) / step));
  if (count < 1) return [];
  const trend = await api.trend({ from: to - count * step, to, step: `${step}ms` }, signal);
  return trend.points.map((p): [number, number | null] => [p.from, p.networkedRate]);
}
