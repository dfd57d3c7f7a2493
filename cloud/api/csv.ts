/**
 * The rates report as CSV for spreadsheets: one row per RateRow (province, cities, industries,
 * enterprises), RFC 4180 quoting and CRLF line ends, UTF-8 with a byte-order mark — without
 * the BOM, Excel reads UTF-8 as the local ANSI code page and Chinese names turn to mojibake.
 */
import type { RateRow, Ratios, RatesReport, RatesTrend } from '../rates/types.ts';

export const BOM = '\uFEFF';

const RATIO_KEYS = [
  'networkedRate',
  'deviceNetworkedRate',
  'digitizationRate',
  'meanOnlineFraction',
] as const;
const COUNT_KEYS = ['devices', 'digital', 'networked', 'networkedDigital'] as const;

export const CSV_COLUMNS: readonly string[] = [
  'level',
  'id',
  'name',
  ...RATIO_KEYS.map((k) => `window_${k}`),
  ...RATIO_KEYS.map((k) => `live_${k}`),
  ...COUNT_KEYS.map((k) => `window_${k}`),
  ...COUNT_KEYS.map((k) => `live_${k}`),
  // Enterprise rows only (empty cells elsewhere); last, so older column positions hold.
  'city',
  'industry',
  'leading',
];

/** `/api/rates/trend` as CSV: one row per step, its start and end as ISO 8601 UTC. */
export const TREND_CSV_COLUMNS: readonly string[] = ['from', 'to', ...RATIO_KEYS, ...COUNT_KEYS];

// A cell starting with = + - @ (or a tab/CR) is run as a formula by Excel and LibreOffice;
// names come from the ledger, so they are defused with a leading apostrophe (OWASP's advice).
const FORMULA_START = /^[=+\-@\t\r]/;

function text(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Ratios are written as fractions (0.5, not 50%) at full precision; an undefined ratio is an empty cell. */
const number = (value: number | null): string => (value === null ? '' : String(value));

function row(r: RateRow): string {
  const ratios = (x: Ratios) => RATIO_KEYS.map((k) => number(x[k]));
  const counts = (x: Ratios) => COUNT_KEYS.map((k) => number(x[k]));
  return [
    r.level,
    text(r.id),
    text(r.name),
    ...ratios(r.window),
    ...ratios(r.live),
    ...counts(r.window),
    ...counts(r.live),
    text(r.city ?? ''),
    r.industry ?? '',
    r.leading === undefined ? '' : String(r.leading),
  ].join(',');
}

export function ratesCsv(report: RatesReport): string {
  const rows = [report.province, ...report.cities, ...report.industries, ...report.enterprises];
  return BOM + [CSV_COLUMNS.join(','), ...rows.map(row)].join('\r\n') + '\r\n';
}

export function trendCsv(trend: RatesTrend): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  const rows = trend.points.map((p) =>
    [
      iso(p.from),
      iso(p.to),
      ...RATIO_KEYS.map((k) => number(p[k])),
      ...COUNT_KEYS.map((k) => number(p[k])),
    ].join(','),
  );
  return BOM + [TREND_CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}
