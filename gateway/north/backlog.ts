/**
 * The publisher side of store-and-forward: records that cannot go out now are appended to the
 * disk queue (batched per event-loop turn), and once connected the queue is drained oldest
 * first through `send`, acknowledging only what the broker acknowledged.
 */
import type { DiskQueue, QueueEntry, QueueRecord } from '../buffer/disk-queue.ts';
import type { DriverLog } from './types.ts';

const REPLAY_BATCH = 256;

export class Backlog {
  readonly #queue: DiskQueue;
  readonly #log: DriverLog;
  #pending: QueueRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  #appending: Promise<void> = Promise.resolve();
  #replaying = false;

  constructor(queue: DiskQueue, log: DriverLog) {
    this.#queue = queue;
    this.#log = log;
  }

  /** Queues a record; records added in the same turn share one append. */
  add(record: QueueRecord): void {
    this.#pending.push(record);
    if (this.#pending.length >= 512) this.#append();
    else this.#timer ??= setTimeout(() => this.#append(), 0);
  }

  /** Writes what is pending and waits until every append has completed. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#append();
    await this.#appending;
  }

  /**
   * Sends the queue oldest first while `current()` holds; `send` resolves true once the broker
   * acknowledged the entry (or it is unreadable and must go), false if it was not delivered.
   */
  async replay(current: () => boolean, send: (entry: QueueEntry) => Promise<boolean>): Promise<void> {
    if (this.#replaying) return;
    this.#replaying = true;
    try {
      await this.#appending;
      while (current()) {
        const entries = await this.#queue.peek(REPLAY_BATCH, 4 << 20);
        if (!entries.length) break;
        const acked: number[] = [];
        await Promise.all(entries.map((e) => send(e).then((ok) => ok && acked.push(e.id))));
        await this.#queue.ack(acked);
        if (acked.length < entries.length) break; // connection lost: the rest stays queued
      }
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'replay failed');
    } finally {
      this.#replaying = false;
    }
  }

  #append(): void {
    this.#timer = undefined;
    if (!this.#pending.length) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#appending = this.#appending
      .then(() => this.#queue.append(batch))
      .catch((err: unknown) =>
        this.#log.error({ err: (err as Error).message, records: batch.length }, 'buffer append failed'),
      );
  }
}
