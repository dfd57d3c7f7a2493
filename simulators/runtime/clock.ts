/**
 * Simulated time: advances `speed` times faster than wall time, in ticks. Models step on
 * each tick; the fault timeline is read in simulated time.
 */
export class SimClock {
  readonly speed: number;
  readonly tickMs: number;
  #timer: NodeJS.Timeout | undefined;
  #last = 0;
  /** Simulated milliseconds since start. */
  now = 0;

  constructor(opts: { speed?: number; tickMs?: number } = {}) {
    this.speed = opts.speed ?? 1;
    this.tickMs = opts.tickMs ?? 500;
    if (!(this.speed > 0)) throw new RangeError(`speed must be > 0, got ${this.speed}`);
  }

  /** Calls `onTick(dtSimMs)` every tickMs of wall time, with the simulated time elapsed. */
  start(onTick: (dtMs: number) => void): void {
    this.#last = performance.now();
    this.#timer = setInterval(() => {
      const t = performance.now();
      const dt = (t - this.#last) * this.speed;
      this.#last = t;
      this.now += dt;
      onTick(dt);
    }, this.tickMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
