/**
 * Batches rows in front of a store write (ingest → `store.writeSamples`). `add()` resolves when
 * the rows are durable; a failed write is retried (exponential backoff with jitter, capped) until
 * it succeeds or `close()` gives up at its deadline, so an outage of the store turns into a
 * growing `pending` count, and `full` / `waitForDrain()` let ingest stop acknowledging MQTT
 * messages (backpressure) instead of losing or buffering without bound.
 */
import { EventEmitter } from 'node:events';
import { messageOf, PermanentStoreError, silentLog, type StoreLog } from './common.ts';

export interface BatcherOptions<T> {
  /** Durable when it resolves; safe to call again with the same rows (the stores are idempotent). */
  write: (rows: readonly T[]) => Promise<void>;
  /** A batch is written as soon as this many rows are waiting (default 5,000). */
  maxRows?: number;
  /** …or when the oldest waiting row has waited this long (default 200 ms). */
  maxDelayMs?: number;
  /** Batches written at the same time (default 1; 2 suits InfluxDB). */
  concurrency?: number;
  /** `full` from this many pending rows on (default 50,000). */
  highWater?: number;
  /** Retry delay: min · 2^(attempt-1), capped at max, times a jitter in [0.5, 1) (100 ms … 5 s). */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** How long close() keeps retrying before it rejects what is still pending (default 10 s). */
  closeTimeoutMs?: number;
  /**
   * Errors not worth retrying (default: PermanentStoreError). Such an error rejects the rows of a
   * batch that came from one add(); a batch mixing several add()s is first split into one batch
   * per add(), so only the add() holding the refused rows is rejected.
   */
  retryable?: (err: unknown) => boolean;
  /** Checks rows in add() (e.g. `checkSamples`): a throw rejects that add() alone, before batching. */
  check?: (rows: readonly T[]) => void;
  /** Named in logs and errors, e.g. the store's location. */
  name?: string;
  log?: StoreLog;
  /** Called after every written batch: feed a histogram (rows, latency) from here. */
  onBatch?: (batch: BatchInfo) => void;
  /** For tests: replaces Math.random in the jitter. */
  random?: () => number;
}

export interface BatchInfo {
  rows: number;
  /** Duration of the successful write call. */
  latencyMs: number;
  /** 1 when the first write succeeded. */
  attempts: number;
}

export interface BatcherStats {
  batches: number;
  rows: number;
  /** Failed write calls (each retry that failed counts). */
  failures: number;
  /** Rows whose add() was rejected (a permanent error, or close() past its deadline). */
  rejectedRows: number;
  lastLatencyMs: number;
  avgLatencyMs: number;
  lastBatchRows: number;
  maxBatchRows: number;
  pending: number;
  /** Batches being written now. */
  inFlight: number;
}

interface Ticket {
  remaining: number;
  settled: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Segment<T> {
  rows: readonly T[];
  offset: number;
  ticket: Ticket;
  /** When it was added, for maxDelayMs. */
  at: number;
  /** Written in a batch of its own: the rows of one add() split out of a refused batch. */
  solo?: boolean;
}

type Part = { ticket: Ticket; count: number };

export class Batcher<T> extends EventEmitter<{ drain: [] }> {
  readonly #write: (rows: readonly T[]) => Promise<void>;
  readonly #maxRows: number;
  readonly #maxDelayMs: number;
  readonly #concurrency: number;
  readonly #highWater: number;
  readonly #backoffMinMs: number;
  readonly #backoffMaxMs: number;
  readonly #closeTimeoutMs: number;
  readonly #retryable: (err: unknown) => boolean;
  readonly #check: ((rows: readonly T[]) => void) | undefined;
  readonly #name: string;
  readonly #log: StoreLog;
  readonly #onBatch: ((b: BatchInfo) => void) | undefined;
  readonly #random: () => number;

  #queue: Segment<T>[] = [];
  #queued = 0;
  #inFlight = 0;
  #inFlightRows = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Aborted when close() gives up: stops retry loops and their backoff sleeps. */
  readonly #abandon = new AbortController();
  #lastError: unknown;
  #drainWaiters: (() => void)[] = [];
  /** Set when pending reached the high water mark; 'drain' fires when it drops below again. */
  #wasFull = false;
  /** The tickets of the batches being written, for close() to reject when it gives up. */
  readonly #writing = new Set<Part[]>();
  #idleWaiters: (() => void)[] = [];
  readonly #stats = { batches: 0, rows: 0, failures: 0, rejectedRows: 0, latencySum: 0 };
  #lastLatencyMs = 0;
  #lastBatchRows = 0;
  #maxBatchRows = 0;

  constructor(opts: BatcherOptions<T>) {
    super();
    this.#write = opts.write;
    this.#maxRows = Math.max(1, opts.maxRows ?? 5_000);
    this.#maxDelayMs = Math.max(0, opts.maxDelayMs ?? 200);
    this.#concurrency = Math.max(1, opts.concurrency ?? 1);
    this.#highWater = Math.max(1, opts.highWater ?? 50_000);
    this.#backoffMinMs = Math.max(1, opts.backoffMinMs ?? 100);
    this.#backoffMaxMs = Math.max(this.#backoffMinMs, opts.backoffMaxMs ?? 5_000);
    this.#closeTimeoutMs = opts.closeTimeoutMs ?? 10_000;
    this.#retryable = opts.retryable ?? ((err) => !(err instanceof PermanentStoreError));
    this.#check = opts.check;
    this.#name = opts.name ?? 'store';
    this.#log = opts.log ?? silentLog;
    this.#onBatch = opts.onBatch;
    this.#random = opts.random ?? Math.random;
  }

  /** Rows added and not yet durable (waiting or being written). */
  get pending(): number {
    return this.#queued + this.#inFlightRows;
  }

  /** pending ≥ highWater: stop taking in more until waitForDrain() resolves. */
  get full(): boolean {
    return this.pending >= this.#highWater;
  }

  get stats(): BatcherStats {
    const s = this.#stats;
    return {
      batches: s.batches,
      rows: s.rows,
      failures: s.failures,
      rejectedRows: s.rejectedRows,
      lastLatencyMs: this.#lastLatencyMs,
      avgLatencyMs: s.batches === 0 ? 0 : s.latencySum / s.batches,
      lastBatchRows: this.#lastBatchRows,
      maxBatchRows: this.#maxBatchRows,
      pending: this.pending,
      inFlight: this.#inFlight,
    };
  }

  /**
   * Resolves when all of `rows` are durable; rejects if they can never be written (a permanent
   * error) or close() gave up on them. The array must not be changed until then.
   */
  add(rows: readonly T[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`batcher for ${this.#name} is closed`));
    if (rows.length === 0) return Promise.resolve();
    try {
      this.#check?.(rows);
    } catch (err) {
      this.#stats.rejectedRows += rows.length;
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise<void>((resolve, reject) => {
      const ticket: Ticket = { remaining: rows.length, settled: false, resolve, reject };
      this.#queue.push({ rows, offset: 0, ticket, at: Date.now() });
      this.#queued += rows.length;
      if (this.full) this.#wasFull = true;
      this.#pump();
    });
  }

  /** Resolves at once when not full, else when pending drops below the high water mark. */
  waitForDrain(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /**
   * Writes everything pending without waiting for maxDelayMs, then stops. If the target stays
   * down past closeTimeoutMs, the remaining add() promises reject with the last error.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#pump();
    const idle = new Promise<void>((resolve) => {
      if (this.pending === 0) resolve();
      else this.#idleWaiters.push(resolve);
    });
    const deadline = new AbortController();
    const timedOut = await Promise.race([
      idle.then(() => false),
      sleep(this.#closeTimeoutMs, deadline.signal).then(() => !deadline.signal.aborted),
    ]);
    deadline.abort();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!timedOut) return;
    const lost = this.pending;
    const err = new Error(
      `batcher for ${this.#name} closed with ${lost} rows not written after ${this.#closeTimeoutMs} ms` +
        (this.#lastError === undefined ? '' : `: ${messageOf(this.#lastError)}`),
      { cause: this.#lastError },
    );
    this.#abandon.abort(err);
    for (const seg of this.#queue) this.#reject(seg.ticket, err, seg.rows.length - seg.offset);
    for (const parts of this.#writing)
      for (const { ticket, count } of parts) this.#reject(ticket, err, count);
    this.#queue = [];
    this.#queued = 0;
    this.#log.error({ name: this.#name, rows: lost }, 'batcher closed with rows not written');
  }

  /** Starts as many due batches as the concurrency allows, and arms the timer for the rest. */
  #pump(): void {
    if (this.#abandon.signal.aborted) return;
    while (this.#inFlight < this.#concurrency && this.#queued > 0 && this.#due()) this.#startBatch();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const oldest = this.#queue[0];
    if (oldest && this.#inFlight < this.#concurrency)
      this.#timer = setTimeout(() => this.#pump(), Math.max(0, oldest.at + this.#maxDelayMs - Date.now()));
  }

  #due(): boolean {
    const oldest = this.#queue[0];
    return (
      this.#closed ||
      this.#queued >= this.#maxRows ||
      (oldest !== undefined && Date.now() >= oldest.at + this.#maxDelayMs)
    );
  }

  #startBatch(): void {
    const rows: T[] = [];
    const parts: Part[] = [];
    while (rows.length < this.#maxRows && this.#queue.length > 0) {
      const seg = this.#queue[0] as Segment<T>;
      if (seg.solo && parts.length > 0) break;
      const take = Math.min(this.#maxRows - rows.length, seg.rows.length - seg.offset);
      for (let i = seg.offset; i < seg.offset + take; i++) rows.push(seg.rows[i] as T);
      parts.push({ ticket: seg.ticket, count: take });
      seg.offset += take;
      if (seg.offset === seg.rows.length) this.#queue.shift();
      if (seg.solo) break;
    }
    this.#queued -= rows.length;
    this.#inFlight++;
    this.#inFlightRows += rows.length;
    this.#writing.add(parts);
    void this.#runBatch(rows, parts);
  }

  /** Never rejects: outcomes go to the tickets. */
  async #runBatch(rows: T[], parts: Part[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        await this.#write(rows);
        this.#succeeded(rows.length, performance.now() - started, attempt);
        for (const { ticket, count } of parts) {
          ticket.remaining -= count;
          if (ticket.remaining === 0 && !ticket.settled) {
            ticket.settled = true;
            ticket.resolve();
          }
        }
        break;
      } catch (err) {
        this.#stats.failures++;
        this.#lastError = err;
        if (this.#abandon.signal.aborted) break; // close() already rejected these rows
        if (!this.#retryable(err) && parts.length > 1) {
          this.#split(rows, parts);
          break;
        }
        if (!this.#retryable(err)) {
          const e = new Error(`${this.#name}: ${rows.length} rows cannot be written: ${messageOf(err)}`, {
            cause: err,
          });
          for (const { ticket, count } of parts) this.#reject(ticket, e, count);
          this.#log.error({ name: this.#name, rows: rows.length, err: messageOf(err) }, 'batch rejected');
          break;
        }
        const base = Math.min(this.#backoffMaxMs, this.#backoffMinMs * 2 ** Math.min(attempt - 1, 30));
        const waitMs = Math.round(base * (0.5 + this.#random() * 0.5));
        this.#log.warn(
          { name: this.#name, rows: rows.length, attempt, waitMs, err: messageOf(err) },
          'batch write failed, retrying',
        );
        await sleep(waitMs, this.#abandon.signal);
        if (this.#abandon.signal.aborted) break;
      }
    }
    this.#writing.delete(parts);
    this.#inFlight--;
    this.#inFlightRows -= rows.length;
    this.#settle();
  }

  /** Puts a refused batch back at the front of the queue as one solo batch per add(), due now. */
  #split(rows: T[], parts: Part[]): void {
    const solos: Segment<T>[] = [];
    let offset = 0;
    for (const { ticket, count } of parts) {
      solos.push({ rows: rows.slice(offset, offset + count), offset: 0, ticket, at: 0, solo: true });
      offset += count;
    }
    this.#queue.unshift(...solos);
    this.#queued += rows.length;
    this.#log.warn(
      { name: this.#name, rows: rows.length, parts: parts.length },
      'batch refused: retrying each add() alone',
    );
  }

  #succeeded(rows: number, latencyMs: number, attempts: number): void {
    const s = this.#stats;
    s.batches++;
    s.rows += rows;
    s.latencySum += latencyMs;
    this.#lastLatencyMs = latencyMs;
    this.#lastBatchRows = rows;
    this.#maxBatchRows = Math.max(this.#maxBatchRows, rows);
    this.#onBatch?.({ rows, latencyMs, attempts });
  }

  #reject(ticket: Ticket, err: Error, rows: number): void {
    this.#stats.rejectedRows += rows;
    if (ticket.settled) return;
    ticket.settled = true;
    ticket.reject(err);
  }

  /** After a batch: wake drain and idle waiters, then start what is due. */
  #settle(): void {
    if (this.#wasFull && !this.full) {
      this.#wasFull = false;
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const w of waiters) w();
      this.emit('drain');
    }
    if (this.pending === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
    this.#pump();
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts (global timers, so tests can fake them). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
