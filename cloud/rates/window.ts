/**
 * The report window: [from, to) in ms, both multiples of the bucket width, and the live
 * bucket (the latest complete one). Bad input is a RatesError (a RangeError with a stable
 * `code` the HTTP API maps to 400).
 */
export type RatesErrorCode = 'bad_window' | 'window_too_long' | 'bad_theta' | 'bad_step';

export class RatesError extends RangeError {
  override readonly name = 'RatesError';
  constructor(
    readonly code: RatesErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const DAY_MS = 86_400_000;

export interface ResolvedWindow {
  from: number;
  to: number;
  buckets: number;
  /** Start of the latest complete bucket at `now`. */
  liveBucket: number;
}

/**
 * Defaults: `to` = end of the latest complete bucket at `now` (the bucket holding `now` is
 * still filling, so counting it would understate every device), `from` = `to` − 24 h.
 * Given values are rounded down to bucket starts. A window that ends in the future is
 * accepted as asked: its future buckets count as offline.
 */
export function resolveWindow(
  q: { from?: number | undefined; to?: number | undefined },
  now: number,
  widthMs: number,
  maxWindowMs: number,
): ResolvedWindow {
  for (const [name, v] of [
    ['from', q.from],
    ['to', q.to],
    ['now', now],
  ] as const) {
    if (v !== undefined && !Number.isFinite(v)) {
      throw new RatesError('bad_window', `${name} must be a time in ms, got ${String(v)}`);
    }
  }
  const floor = (t: number) => Math.floor(t / widthMs) * widthMs;
  const liveBucket = floor(now) - widthMs;
  const to = q.to === undefined ? liveBucket + widthMs : floor(q.to);
  const from = q.from === undefined ? floor(to - DAY_MS) : floor(q.from);
  if (from >= to) {
    throw new RatesError(
      'bad_window',
      `the window is empty: from ${new Date(from).toISOString()} is not before to ${new Date(to).toISOString()} (rounded to ${widthMs} ms buckets)`,
    );
  }
  if (to - from > maxWindowMs) {
    throw new RatesError(
      'window_too_long',
      `the window spans ${((to - from) / DAY_MS).toFixed(1)} days; at most ${(maxWindowMs / DAY_MS).toFixed(0)} are allowed`,
    );
  }
  return { from, to, buckets: (to - from) / widthMs, liveBucket };
}

export function checkTheta(theta: number): number {
  if (!(Number.isFinite(theta) && theta >= 0 && theta <= 1)) {
    throw new RatesError('bad_theta', `theta must be between 0 and 1, got ${String(theta)}`);
  }
  return theta;
}
