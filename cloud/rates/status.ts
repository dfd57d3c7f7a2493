/**
 * Why a device is offline (DOMAIN.md §1, gap attribution), from the Sparkplug session
 * events and the samples: which edge node last reported each device, whether that node is
 * alive (NBIRTH/NDEATH) and whether the device is (DBIRTH/DDEATH).
 *
 * Events can arrive out of order (replayed from the store on start, delivered late by a
 * broker): every state is kept with the time of the event that set it, and an event only
 * replaces it when it is at least as recent. On equal times the later arrival wins.
 */
import type { LinkEvent } from '../store/types.ts';
import type { LedgerDevice } from '../ledger/types.ts';
import type { OfflineReason } from './types.ts';

interface Timed {
  up: boolean;
  time: number;
}

interface DeviceLink {
  /** From DBIRTH/DDEATH, if any was seen. */
  state?: Timed;
  /** The node of the event that set `state`. */
  stateNode?: string;
  /** The edge node that reported the device most recently (by source/event time). */
  node?: string;
  nodeTime: number;
}

export interface NodeStatus {
  enterprise: string;
  node: string;
  online: boolean;
  /** Time of the NBIRTH or NDEATH that set `online`. */
  since: number;
}

export class LinkStatus {
  /** enterprise → node → state */
  readonly #nodes = new Map<string, Map<string, Timed>>();
  /** enterprise → device → link */
  readonly #devices = new Map<string, Map<string, DeviceLink>>();

  event(e: LinkEvent): void {
    if (!Number.isFinite(e.time)) return;
    if (e.type === 'NBIRTH' || e.type === 'NDEATH') {
      let m = this.#nodes.get(e.enterprise);
      if (!m) this.#nodes.set(e.enterprise, (m = new Map<string, Timed>()));
      const cur = m.get(e.node);
      if (!cur || e.time >= cur.time) m.set(e.node, { up: e.type === 'NBIRTH', time: e.time });
      return;
    }
    if (e.device === undefined || e.device === '') return;
    const link = this.#link(e.enterprise, e.device);
    if (!link.state || e.time >= link.state.time) {
      link.state = { up: e.type === 'DBIRTH', time: e.time };
      link.stateNode = e.node;
    }
    this.#via(link, e.node, e.time);
  }

  /**
   * The event that set each node's and device's state: replayed (with compareEvents order) they
   * give the state every event seen so far gives — what an availability snapshot keeps instead
   * of the events. Which node last *sampled* a device is not kept, as it is not in the store.
   */
  latest(): LinkEvent[] {
    const out: LinkEvent[] = [];
    for (const [enterprise, m] of this.#nodes)
      for (const [node, s] of m)
        out.push({ time: s.time, type: s.up ? 'NBIRTH' : 'NDEATH', enterprise, node });
    for (const [enterprise, m] of this.#devices) {
      for (const [device, link] of m) {
        if (!link.state || link.stateNode === undefined) continue;
        const type = link.state.up ? 'DBIRTH' : 'DDEATH';
        out.push({ time: link.state.time, type, enterprise, node: link.stateNode, device });
      }
    }
    return out;
  }

  /** A good sample of the device from `node` at source time `time`. */
  seen(enterprise: string, node: string, device: string, time: number): void {
    if (device === '' || !Number.isFinite(time)) return;
    const m = this.#devices.get(enterprise);
    const link = m?.get(device);
    // Hot path: most samples come from the node already recorded, with a newer time.
    if (link && link.node === node) {
      if (time > link.nodeTime) link.nodeTime = time;
      return;
    }
    this.#via(link ?? this.#link(enterprise, device), node, time);
  }

  /** The edge node that last reported the device. */
  node(enterprise: string, device: string): string | undefined {
    return this.#devices.get(enterprise)?.get(device)?.node;
  }

  /** undefined when no NBIRTH/NDEATH of the node was seen. */
  nodeOnline(enterprise: string, node: string): boolean | undefined {
    return this.#nodes.get(enterprise)?.get(node)?.up;
  }

  nodes(enterprise?: string): NodeStatus[] {
    const out: NodeStatus[] = [];
    for (const [ent, m] of this.#nodes) {
      if (enterprise !== undefined && ent !== enterprise) continue;
      for (const [node, s] of m) out.push({ enterprise: ent, node, online: s.up, since: s.time });
    }
    return out;
  }

  /**
   * Why a device that is not online in the live bucket is offline:
   * - `never_connected`: the ledger says no gateway is configured for it (connectivity
   *   'none'), or nothing was ever heard of it (no sample, no DBIRTH);
   * - `gateway_down`: the node that last reported it is dead (its latest session event is
   *   an NDEATH) — the root cause even when the device's own DDEATH came with it;
   * - `device_unreachable`: otherwise (DDEATH'd, or its node is up but it is not reporting).
   * `seen` says whether availability has any sample of the device (it survives restarts
   * through the persisted marks, where the session state may not).
   */
  reason(
    enterprise: string,
    device: Pick<LedgerDevice, 'id' | 'connectivity'>,
    seen: boolean,
  ): OfflineReason {
    if (device.connectivity === 'none') return 'never_connected';
    const link = this.#devices.get(enterprise)?.get(device.id);
    if (!link && !seen) return 'never_connected';
    if (link?.node !== undefined && this.#nodes.get(enterprise)?.get(link.node)?.up === false) {
      return 'gateway_down';
    }
    return 'device_unreachable';
  }

  #link(enterprise: string, device: string): DeviceLink {
    let m = this.#devices.get(enterprise);
    if (!m) this.#devices.set(enterprise, (m = new Map<string, DeviceLink>()));
    let link = m.get(device);
    if (!link) m.set(device, (link = { nodeTime: -Infinity }));
    return link;
  }

  /** A device can move between gateways: the most recent report names its node. */
  #via(link: DeviceLink, node: string, time: number): void {
    if (time >= link.nodeTime) {
      link.node = node;
      link.nodeTime = time;
    }
  }
}
