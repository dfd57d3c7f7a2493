/**
 * The state machine of one OPC UA device, from what the driver knows: whether the session to its
 * server is up, and the quality of the last sample of each of its points.
 *
 *   connecting  the driver started and has no answer yet; or the session is (re)established and no
 *               point has reported since
 *   online      the session is up and every point that reported is Good (at least one reported)
 *   degraded    some points are Good, some are not: reason lists the bad StatusCodes and points
 *   offline     the session is down (reason: why), or every point that reported is not Good
 *               (reason: the StatusCodes, e.g. "BadDeviceFailure")
 *
 * When the session goes down every point counts as unreported again, until the server sends values
 * (it sends every monitored item's current value when items are created or subscriptions are
 * transferred): a device is never shown online on the strength of samples from before an outage.
 * Samples that arrive while the session is being re-established count once it is up.
 * A status is emitted only when the state or the reason changes; `since` is when the state began.
 */
import type { DeviceState, DeviceStatus } from '../types.ts';

/** A point's last quality: undefined = not reported since the session came up, null = Good, else the bad status. */
type PointQuality = string | null | undefined;

const NAMES_PER_STATUS = 3;

export class DeviceHealth {
  readonly #points = new Map<string, PointQuality>();
  readonly #emit: (status: DeviceStatus) => void;
  readonly #now: () => number;
  #link: { up: boolean; reason: string } = { up: false, reason: 'not started' };
  #started = false;
  #current: DeviceStatus | undefined;

  constructor(points: readonly string[], emit: (status: DeviceStatus) => void, now: () => number = Date.now) {
    for (const p of points) this.#points.set(p, undefined);
    this.#emit = emit;
    this.#now = now;
  }

  get status(): DeviceStatus | undefined {
    return this.#current;
  }

  /** The driver started on this device: 'connecting'. */
  start(reason: string): void {
    this.#started = true;
    this.#link = { up: false, reason };
    this.#set('connecting', reason);
  }

  /** The session is down, or could not be established: offline with `reason`; qualities forgotten. */
  linkDown(reason: string): void {
    this.#link = { up: false, reason };
    for (const p of this.#points.keys()) this.#points.set(p, undefined);
    this.#evaluate();
  }

  /** The session and its subscriptions are (again) in place. */
  linkUp(): void {
    this.#link = { up: true, reason: '' };
    this.#evaluate();
  }

  /** Qualities of some points: null = Good, else the bad StatusCode's name. One evaluation for all. */
  report(qualities: Iterable<readonly [point: string, quality: string | null]>): void {
    for (const [point, quality] of qualities) if (this.#points.has(point)) this.#points.set(point, quality);
    this.#evaluate();
  }

  #evaluate(): void {
    if (!this.#started) return;
    if (!this.#link.up) {
      this.#set('offline', this.#link.reason);
      return;
    }
    let good = 0;
    const bad = new Map<string, string[]>();
    let badCount = 0;
    for (const [point, quality] of this.#points) {
      if (quality === null) good++;
      else if (quality !== undefined) {
        badCount++;
        const names = bad.get(quality) ?? [];
        names.push(point);
        bad.set(quality, names);
      }
    }
    if (good === 0 && badCount === 0) this.#set('connecting', 'session up, waiting for values');
    else if (badCount === 0) this.#set('online', undefined);
    else if (good === 0) this.#set('offline', [...bad.keys()].join(', '));
    else this.#set('degraded', `${badCount} of ${this.#points.size} points bad: ${describe(bad)}`);
  }

  #set(state: DeviceState, reason: string | undefined): void {
    const current = this.#current;
    if (current && current.state === state && current.reason === reason) return;
    const since = current?.state === state ? current.since : this.#now();
    this.#current = reason === undefined ? { state, since } : { state, reason, since };
    this.#emit(this.#current);
  }
}

/** "BadNodeIdUnknown (speed, temp); BadTypeMismatch (x, y, z +2)". */
function describe(bad: ReadonlyMap<string, readonly string[]>): string {
  return [...bad]
    .map(([status, points]) => {
      const shown = points.slice(0, NAMES_PER_STATUS).join(', ');
      const more = points.length > NAMES_PER_STATUS ? ` +${points.length - NAMES_PER_STATUS}` : '';
      return `${status} (${shown}${more})`;
    })
    .join('; ');
}
