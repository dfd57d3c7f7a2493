/**
 * Query parameters shared by several routes: the time window (from / to / window) and theta.
 * The schema fragments document and pre-check them; the parsers below give the coded errors
 * with the parameter's name (a schema cannot say "from must be before to").
 */
import { apiError } from './errors.ts';

const INSTANT_DOC =
  'ms since the epoch, or an ISO 8601 date-time with an offset, e.g. 2025-03-01T08:00:00+08:00 or 2025-03-01T00:00:00Z';

export const TIME_QUERY = {
  from: { type: 'string', description: `Window start (inclusive): ${INSTANT_DOC}.` },
  to: { type: 'string', description: `Window end (exclusive): ${INSTANT_DOC}.` },
  window: {
    type: 'string',
    pattern: '^[0-9]+(ms|s|m|h|d|w)$',
    description: 'Window length ending at `to`, e.g. 1h, 24h, 7d, 30d (instead of `from`).',
  },
} as const;

export const THETA_QUERY = {
  theta: {
    type: 'number',
    minimum: 0,
    maximum: 1,
    description: 'Online-fraction threshold θ above which a device counts as networked (default 0.5).',
  },
} as const;

export interface TimeQuery {
  from?: string;
  to?: string;
  window?: string;
}

// Date-times without an offset are refused: the server's time zone is not the user's (Hebei
// is UTC+8), and a silently shifted window gives plausible but wrong rates.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
// Date's own limit: ±8.64e15 ms.
const MAX_INSTANT = 8.64e15;

export function parseInstant(parameter: string, raw: string): number {
  if (/^\d{1,16}$/.test(raw) && Number(raw) <= MAX_INSTANT) return Number(raw);
  if (ISO_DATE_TIME.test(raw)) {
    const ms = Date.parse(raw);
    if (Number.isFinite(ms)) return ms;
  }
  throw apiError(
    'LW_BAD_QUERY',
    { reason: `${parameter} must be ${INSTANT_DOC}; got ${JSON.stringify(raw.slice(0, 64))}` },
    { parameter },
  );
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `90s`, `15m`, `24h`, `7d`, `2w` → ms. */
export function parseDuration(parameter: string, raw: string): number {
  const m = /^(\d{1,12})(ms|s|m|h|d|w)$/.exec(raw);
  const ms = m ? Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN) : Number.NaN;
  if (!(ms > 0)) {
    throw apiError(
      'LW_BAD_QUERY',
      {
        reason: `${parameter} must be a positive length like 1h, 24h, 7d; got ${JSON.stringify(raw.slice(0, 64))}`,
      },
      { parameter },
    );
  }
  return ms;
}

export interface RangeDefaults {
  /** `to` when a window or `from` is given without it. */
  defaultTo: () => number;
  /** Span when neither `from` nor `window` is given; without it `from` stays unset (the callee's default). */
  defaultSpanMs?: number;
  maxSpanMs: number;
}

export interface Range {
  from?: number;
  to?: number;
}

/** from / to / window → a checked range (from < to, span ≤ the maximum). */
export function resolveRange(q: TimeQuery, d: RangeDefaults): Range {
  if (q.from !== undefined && q.window !== undefined) {
    throw apiError(
      'LW_BAD_QUERY',
      { reason: 'give either from or window, not both' },
      { parameter: 'window' },
    );
  }
  let to = q.to === undefined ? undefined : parseInstant('to', q.to);
  let from: number | undefined;
  if (q.window !== undefined) {
    to ??= d.defaultTo();
    from = to - parseDuration('window', q.window);
  } else if (q.from !== undefined) {
    from = parseInstant('from', q.from);
    to ??= d.defaultTo();
  } else if (d.defaultSpanMs !== undefined) {
    to ??= d.defaultTo();
    from = to - d.defaultSpanMs;
  }
  if (from !== undefined && to !== undefined) {
    if (from >= to) {
      throw apiError(
        'LW_BAD_QUERY',
        {
          reason: `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`,
        },
        { parameter: 'from' },
      );
    }
    if (to - from > d.maxSpanMs) {
      throw apiError(
        'LW_BAD_QUERY',
        { reason: `the window is longer than the maximum of ${Math.round(d.maxSpanMs / 86_400_000)} days` },
        { parameter: q.window === undefined ? 'from' : 'window', maxMs: d.maxSpanMs },
      );
    }
  }
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

/** Like resolveRange, for callees that need both ends: the span defaults to `defaultSpanMs` before `to`. */
export function resolveSpan(
  q: TimeQuery,
  d: RangeDefaults & { defaultSpanMs: number },
): { from: number; to: number } {
  const { from, to } = resolveRange(q, d);
  // resolveRange sets both whenever a default span is given.
  if (from === undefined || to === undefined) throw new Error('resolveRange left an end open');
  return { from, to };
}
