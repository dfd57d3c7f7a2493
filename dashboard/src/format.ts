/**
 * Number and time formatting. Ratios arrive from the API as fractions at full precision and
 * are shown as percentages with one decimal, the same rounding everywhere (cards, tables,
 * chart labels), so a figure on screen can be checked against `/api/rates` by hand.
 */
import { locale, t } from './i18n.ts';

/** 0.375 → "37.5%"; null (no devices in the denominator) → "—". */
export function pct(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return t('common.none');
  return `${(r * 100).toFixed(1)}%`;
}

/** A fraction as a percentage number for charts (one decimal), or null. */
export function pctValue(r: number | null | undefined): number | null {
  if (r === null || r === undefined || !Number.isFinite(r)) return null;
  return Math.round(r * 1000) / 10;
}

export function count(n: number): string {
  return new Intl.NumberFormat(locale()).format(n);
}

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i] ?? 'B'}`;
}

/** Absolute local date and time, e.g. "2025-03-01 08:10". */
export function dateTime(ms: number | undefined): string {
  if (ms === undefined) return t('common.none');
  return new Intl.DateTimeFormat(locale(), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(ms);
}

/** Clock time only, e.g. "08:10" (or "08:10:15" with seconds). */
export function clock(ms: number, seconds = false): string {
  return new Intl.DateTimeFormat(locale(), {
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
    hour12: false,
  }).format(ms);
}

/** "3 minutes ago" / "3分钟前"; the absolute time goes in a title attribute beside it. */
export function ago(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return t('common.none');
  const s = Math.round((ms - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  const abs = Math.abs(s);
  if (abs < 60) return rtf.format(s, 'second');
  if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86_400), 'day');
}

/** A length of time in the largest whole unit: 90 s → "90 s", 2 h → "2 h" ("90秒", "2小时"). */
export function duration(ms: number): string {
  const units = [
    [86_400_000, 'unit.d'],
    [3_600_000, 'unit.h'],
    [60_000, 'unit.min'],
  ] as const;
  for (const [size, key] of units) if (ms >= size && ms % size === 0) return t(key, { n: ms / size });
  return t('unit.s', { n: Math.round(ms / 1000) });
}
