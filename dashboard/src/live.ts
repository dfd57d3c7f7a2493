/**
 * Live updates: the cloud's `/api/stream` says *when* the numbers may have changed (an
 * `update` event carries only the time and the ledger version); the dashboard then refetches
 * what it shows. Refetches are throttled and never overlap, so a burst of events (ingest
 * catching up on a replayed backlog) costs one refresh per interval, plus one at the end.
 */
import { streamUrl } from './api.ts';

export interface UpdateEvent {
  time?: number;
  ledgerVersion?: number;
}

/** Runs `run` on request, at most once per `minIntervalMs`, one at a time; requests meanwhile coalesce. */
export class Refresher {
  #running = false;
  #pending = false;
  #last = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly minIntervalMs: number,
  ) {}

  request(): void {
    if (this.#running) {
      this.#pending = true;
      return;
    }
    const wait = this.#last + this.minIntervalMs - Date.now();
    if (wait > 0) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.request();
      }, wait);
      return;
    }
    this.#running = true;
    this.#last = Date.now();
    void this.run()
      .catch(() => undefined) // run reports its own errors; a throw here must not stop refreshing
      .finally(() => {
        this.#running = false;
        if (this.#pending) {
          this.#pending = false;
          this.request();
        }
      });
  }

  /** Forgets the interval (a route change or a new window is worth an immediate fetch). */
  reset(): void {
    this.#last = Number.NEGATIVE_INFINITY;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

const RECONNECT_MS = 5_000;

/**
 * One EventSource on `/api/stream`. The browser reconnects by itself after a dropped
 * connection (the server sets `retry: 5000`), but not after an error answer such as 401:
 * then the source is closed and reopened here, with the token current at that time.
 */
export class LiveUpdates {
  #source: EventSource | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly onUpdate: (e: UpdateEvent) => void,
    private readonly onState: (connected: boolean) => void,
  ) {}

  start(): void {
    this.stop();
    const es = new EventSource(streamUrl());
    this.#source = es;
    es.addEventListener('open', () => this.onState(true));
    es.addEventListener('update', (ev: MessageEvent<string>) => {
      let data: UpdateEvent = {};
      try {
        data = JSON.parse(ev.data) as UpdateEvent;
      } catch {
        // An event without a readable body still means "refetch".
      }
      this.onUpdate(data);
    });
    es.addEventListener('error', () => {
      this.onState(false);
      if (es.readyState === EventSource.CLOSED && this.#source === es) {
        this.#retry = setTimeout(() => this.start(), RECONNECT_MS);
      }
    });
  }

  stop(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#source?.close();
    this.#source = undefined;
  }
}
