/**
 * Rejected messages and dropped metrics: counted by reason, logged once per source and
 * reason, then at most once a minute with the number suppressed in between — a flood of
 * garbage from one gateway never floods the log nor hides another source's first error.
 */
import type { Logger } from 'pino';

export type RejectReason =
  | 'too_large'
  | 'bad_topic'
  | 'unauthorised_group'
  | 'malformed_payload'
  | 'malformed_json'
  | 'stale_ndeath'
  | 'no_birth'
  | 'park_overflow';

export class Rejects {
  readonly rejected: Record<string, number> = {};
  readonly dropped: Record<string, number> = {};
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 60_000,
  ) {}

  reject(reason: RejectReason, source: string, detail: string, now = Date.now()): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
    this.#log('message rejected', reason, source, detail, now);
  }

  drop(reasons: Partial<Record<string, number>>, source: string, now = Date.now()): void {
    for (const [reason, n] of Object.entries(reasons)) {
      if (!n) continue;
      this.dropped[reason] = (this.dropped[reason] ?? 0) + n;
      this.#log('metrics dropped', reason, source, `${n} metric(s)`, now);
    }
  }

  #log(what: string, reason: string, source: string, detail: string, now: number): void {
    const key = `${source}\u0000${reason}`;
    const seen = this.#last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    if (this.#last.size > 10_000) this.#last.clear(); // bounded: sources are attacker-chosen
    this.#last.set(key, { at: now, suppressed: 0 });
    this.log.warn({ reason, source, detail, suppressed: seen?.suppressed ?? 0 }, what);
  }
}
