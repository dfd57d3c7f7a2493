/**
 * Devices seen in telemetry that the ledger does not list. They are shown to the operator
 * (so the ledger can be corrected) but never enter a denominator: the KPI's denominator is
 * the registered inventory, by definition (DOMAIN.md §1).
 */
import type { LedgerView, UnregisteredDevice } from './types.ts';

export interface UnregisteredOptions {
  /**
   * Most devices tracked. Telemetry is outside the operator's control (a misconfigured
   * gateway can invent ids without end), so the list is bounded; beyond it new ids are
   * only counted in `dropped`.
   */
  max?: number;
}

export class UnregisteredDevices {
  readonly #ledger: Pick<LedgerView, 'device'>;
  readonly #max: number;
  /** enterprise → device → entry */
  readonly #seen = new Map<string, Map<string, UnregisteredDevice>>();
  #size = 0;
  #dropped = 0;

  constructor(ledger: Pick<LedgerView, 'device'>, opts: UnregisteredOptions = {}) {
    this.#ledger = ledger;
    this.#max = opts.max ?? 10_000;
  }

  /**
   * Notes a sample (source time `time`); true when the device is not in the ledger.
   * Node-level metrics (device '') describe the gateway, not a production device: ignored.
   */
  see(enterprise: string, node: string, device: string, time: number): boolean {
    if (device === '' || this.#ledger.device(enterprise, device)) return false;
    let m = this.#seen.get(enterprise);
    const entry = m?.get(device);
    if (entry) {
      entry.firstSeen = Math.min(entry.firstSeen, time);
      // The node that reported most recently (by source time) is where to look for it.
      if (time >= entry.lastSeen) {
        entry.lastSeen = time;
        entry.node = node;
      }
      return true;
    }
    if (this.#size >= this.#max) {
      this.#dropped++;
      return true;
    }
    if (!m) this.#seen.set(enterprise, (m = new Map<string, UnregisteredDevice>()));
    m.set(device, { enterprise, node, device, firstSeen: time, lastSeen: time });
    this.#size++;
    return true;
  }

  /** Whether the device is tracked here (unregistered, seen, and not dropped for lack of room). */
  has(enterprise: string, device: string): boolean {
    return this.#seen.get(enterprise)?.has(device) ?? false;
  }

  /**
   * Unregistered devices, by enterprise then device id. Devices registered since they were
   * seen are dropped here: the ledger is checked at read time, not only when first seen.
   */
  list(enterprise?: string): UnregisteredDevice[] {
    const out: UnregisteredDevice[] = [];
    const groups = enterprise === undefined ? [...this.#seen.keys()] : [enterprise];
    for (const e of groups) {
      const m = this.#seen.get(e);
      if (!m) continue;
      for (const [id, entry] of m) {
        if (this.#ledger.device(e, id)) {
          m.delete(id);
          this.#size--;
        } else out.push({ ...entry });
      }
      if (!m.size) this.#seen.delete(e);
    }
    return out.sort((a, b) => cmp(a.enterprise, b.enterprise) || cmp(a.device, b.device));
  }

  /** New ids not tracked because the list was full. */
  get dropped(): number {
    return this.#dropped;
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
