import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  /** What is awaited, for the timeout message: "influxd /ping on port 8086". */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Stops waiting at once with the signal's reason, e.g. when the awaited process exits. */
  signal?: AbortSignal;
}

/**
 * Polls `condition` until it returns true, with a deadline. A condition that throws counts as "not yet";
 * the last error is reported if the deadline passes.
 */
export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  { what, timeoutMs = 10_000, intervalMs = 50, signal }: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      if (await condition()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    signal?.throwIfAborted();
    if (Date.now() >= deadline) {
      const last = lastError === undefined ? '' : `; last error: ${describe(lastError)}`;
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last}`, { cause: lastError });
    }
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())), undefined, { signal }).catch(
      () => undefined,
    );
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return `${err.message}${cause}`;
}
