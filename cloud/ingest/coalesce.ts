/**
 * Many small writes (online marks, link events) → one store call per tick. Each add()
 * resolves when the write that carried its items succeeded; a failed write is retried with
 * backoff, so callers (holding an MQTT acknowledgement) simply wait.
 */
export class Coalescer<T> {
  #items: T[] = [];
  #waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #closed = false;
  failures = 0;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly delayMs = 50,
  ) {}

  add(items: readonly T[]): Promise<void> {
    if (!items.length) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('closed'));
    this.#items.push(...items);
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#schedule();
    return done;
  }

  #schedule(): void {
    if (this.#timer || this.#flushing || !this.#items.length) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = undefined;
        if (!this.#closed) this.#schedule();
      });
    }, this.delayMs);
  }

  async #flush(): Promise<void> {
    const items = this.#items;
    const waiters = this.#waiters;
    this.#items = [];
    this.#waiters = [];
    for (let attempt = 0; ; attempt++) {
      try {
        await this.write(items);
        for (const w of waiters) w.resolve();
        return;
      } catch (err) {
        this.failures++;
        if (this.#closed) {
          for (const w of waiters) w.reject(err as Error);
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }

  /** Writes what is pending (one attempt more if the store is down), then refuses new items. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#closed = true;
    await this.#flushing;
    if (this.#items.length) await this.#flush();
  }
}
