/**
 * Sparkplug `seq` tracking with a reorder window (spec 3.0 §5.x: a host should wait a
 * reorder timeout before treating a missing seq as lost, then request a rebirth).
 *
 * seq counts 0..255 per edge node across NBIRTH, DBIRTH, NDATA, DDATA and DDEATH. Messages
 * are processed as they arrive (their aliases resolve regardless of order); a seq that skips
 * ahead records the skipped ones as missing with a deadline; a late arrival inside the window
 * clears them; a deadline that passes is a gap, and the caller asks the node to rebirth.
 */
import { nextSeq } from '../../wire/sparkplug/index.ts';

export type SeqVerdict = 'in_order' | 'ahead' | 'late' | 'duplicate';

export class SeqTracker {
  #expected: number | undefined;
  /** Missing seq → the time by which it must arrive. */
  readonly #missing = new Map<number, number>();

  constructor(private readonly reorderMs: number) {}

  /** After an NBIRTH (seq 0 normally): the session starts over. */
  reset(seq: number): void {
    this.#missing.clear();
    this.#expected = nextSeq(seq);
  }

  /** Seq of any message but NDEATH. */
  see(seq: number, now: number): SeqVerdict {
    if (this.#expected === undefined) {
      this.#expected = nextSeq(seq);
      return 'in_order';
    }
    if (seq === this.#expected) {
      this.#expected = nextSeq(seq);
      return 'in_order';
    }
    if (this.#missing.delete(seq)) return 'late';
    // Distance forward from the expected seq (mod 256): up to half the ring counts as ahead,
    // the rest as an old message delivered again (QoS 1 redelivery after reconnect).
    const ahead = (seq - this.#expected + 256) % 256;
    if (ahead < 128) {
      for (let s = this.#expected; s !== seq; s = nextSeq(s)) this.#missing.set(s, now + this.reorderMs);
      this.#expected = nextSeq(seq);
      return 'ahead';
    }
    return 'duplicate';
  }

  /** Missing seqs whose reorder window has passed (removed); > 0 means a real gap. */
  expire(now: number): number {
    let lost = 0;
    for (const [s, deadline] of this.#missing) {
      if (deadline <= now) {
        this.#missing.delete(s);
        lost++;
      }
    }
    return lost;
  }

  /** Earliest pending deadline, for the caller's timer. */
  get nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const d of this.#missing.values()) if (min === undefined || d < min) min = d;
    return min;
  }

  get missing(): number {
    return this.#missing.size;
  }
}
