/**
 * The fleet's timeline: a binary min-heap of events by time, ties broken by insertion order, so
 * the same schedule always pops in the same order (one heap instead of 50,000 timers).
 */
export interface Timed<T> {
  time: number;
  order: number;
  item: T;
}

export class EventHeap<T> {
  readonly #a: Timed<T>[] = [];
  #order = 0;

  get size(): number {
    return this.#a.length;
  }

  /** Time of the earliest event, Infinity when empty. */
  peekTime(): number {
    return this.#a[0]?.time ?? Infinity;
  }

  push(time: number, item: T): void {
    const a = this.#a;
    const e: Timed<T> = { time, order: this.#order++, item };
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p] as Timed<T>;
      if (!before(e, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = e;
  }

  pop(): Timed<T> | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (!top || !last || !a.length) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && before(a[r] as Timed<T>, a[l] as Timed<T>) ? r : l;
      const child = a[c] as Timed<T>;
      if (!before(child, last)) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

const before = <T>(x: Timed<T>, y: Timed<T>): boolean =>
  x.time < y.time || (x.time === y.time && x.order < y.order);
