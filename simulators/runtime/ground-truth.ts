/**
 * The ground-truth log: when each simulated device was reachable by a correct gateway
 * (serving good answers) and when not, with the cause. Tests and the chaos suite compute
 * from it the networked rate a correct system must report (docs/kpi.md).
 */
export interface TruthEntry {
  /** Device key `<enterprise>/<device>`. */
  device: string;
  reachable: boolean;
  /** Wall-clock time (ms since the epoch): samples carry wall-clock source timestamps. */
  at: number;
  /** Simulated seconds since the simulation started. */
  sim: number;
  cause: string;
}

export interface Interval {
  from: number;
  /** Exclusive; undefined while still open. */
  to: number | undefined;
}

export class GroundTruth {
  readonly entries: TruthEntry[] = [];
  readonly #state = new Map<string, boolean>();

  /** Records a change of reachability; repeated states are ignored. */
  record(device: string, reachable: boolean, at: number, sim: number, cause: string): void {
    if (this.#state.get(device) === reachable) return;
    this.#state.set(device, reachable);
    this.entries.push({ device, reachable, at, sim, cause });
  }

  isReachable(device: string): boolean {
    return this.#state.get(device) ?? false;
  }

  /** Wall-clock intervals during which the device was reachable. */
  reachableIntervals(device: string): Interval[] {
    const out: Interval[] = [];
    for (const e of this.entries) {
      if (e.device !== device) continue;
      const open = out.at(-1);
      if (e.reachable && (!open || open.to !== undefined)) out.push({ from: e.at, to: undefined });
      else if (!e.reachable && open && open.to === undefined) open.to = e.at;
    }
    return out;
  }
}
