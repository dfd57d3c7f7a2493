/**
 * Retention for the embedded store (InfluxDB's retention policy does the same server-side):
 * rows older than the cutoff are deleted, in one transaction on the writer connection. Samples,
 * marks and events are appended roughly in time order, so each DELETE touches the old row groups
 * only (zone maps); DuckDB reuses the freed space after its next (automatic) checkpoint.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { messageOf, type StoreLog } from './common.ts';

/** Rows deleted by one pass. */
export interface PruneCounts {
  /** The cutoff, ms: everything before it is gone. */
  before: number;
  samples: number;
  marks: number;
  events: number;
  /** Availability snapshots taken before the cutoff (a cloud down for longer than the retention). */
  snapshots: number;
}

const STATEMENTS = [
  ['samples', 'DELETE FROM samples WHERE time < ?'],
  ['marks', 'DELETE FROM online WHERE bucket < ?'],
  ['events', 'DELETE FROM link_events WHERE time < ?'],
  ['snapshots', 'DELETE FROM runs_snapshot_done WHERE taken_at < ?'],
  [undefined, 'DELETE FROM runs_snapshot WHERE taken_at < ?'],
  [undefined, 'DELETE FROM runs_snapshot_links WHERE taken_at < ?'],
] as const;

export async function pruneBefore(writer: DuckDBConnection, before: number): Promise<PruneCounts> {
  const counts: PruneCounts = { before, samples: 0, marks: 0, events: 0, snapshots: 0 };
  const cutoff = BigInt(before);
  await writer.run('BEGIN TRANSACTION');
  try {
    for (const [key, sql] of STATEMENTS) {
      const r = await writer.run(sql, [cutoff]);
      if (key) counts[key] = r.rowsChanged;
    }
    await writer.run('COMMIT');
  } catch (err) {
    await writer.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return counts;
}

/** Runs `pass` right away, then every `everyMs` until stopped; a failure is logged, the next pass tries again. */
export class PruneSchedule {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly pass: () => Promise<PruneCounts | undefined>,
    private readonly everyMs: number,
    private readonly log: StoreLog,
    private readonly location: string,
  ) {}

  start(): void {
    if (!this.#stopped && !this.#timer) this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      if (this.#stopped) return;
      void this.pass()
        .then(
          (c) => {
            if (c && c.samples + c.marks + c.events + c.snapshots > 0)
              this.log.info({ location: this.location, ...c }, 'duckdb retention: old rows deleted');
          },
          (err: unknown) =>
            this.log.error({ location: this.location, err: messageOf(err) }, 'duckdb retention pass failed'),
        )
        .finally(() => {
          if (!this.#stopped) this.#schedule(this.everyMs);
        });
    }, delayMs);
    // Retention alone never keeps the process alive.
    this.#timer.unref();
  }
}
