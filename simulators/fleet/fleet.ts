/**
 * The fleet: every connected device of a plant as virtual Sparkplug edge nodes (plan.ts), driven
 * by one timeline (heap.ts) instead of a timer per device. Each device reports every 1/rate s at
 * its own seeded phase; its k-th report always carries the model state after k steps and the
 * timestamp start + phase + k/rate, so a seed and a start time give the same values however the
 * event loop is scheduled. Outages (outages.ts) are on the same timeline; tests inject more.
 *
 * Lifecycle: the constructor only builds state; start() connects (at most `connectConcurrency`
 * nodes at a time) and, unless `manual`, ticks in real time; stop() sends every node's NDEATH and
 * releases every socket and timer. A manual fleet is advanced by advance(t) (virtual clock).
 */
import { FleetDevice } from './device.ts';
import { EventHeap } from './heap.ts';
import type { LinkFactory } from './link.ts';
import { EdgeNode, type NodeContext, type NodeState } from './node.ts';
import { type OutageConfig, outageLength, REALISTIC_OUTAGES, rngFor, timeToOutage } from './outages.ts';
import type { FleetPlan } from './plan.ts';
import { emptyCounters, type FleetCounters, type FleetStats } from './stats.ts';

export interface FleetOptions {
  plan: FleetPlan;
  links: LinkFactory;
  seed?: number;
  /** DDATA per device per second (default 0.2: every 5 s). */
  rate?: number;
  /** QoS of DDATA (default 0); births and deaths use QoS 1. */
  qos?: 0 | 1;
  outages?: OutageConfig;
  /** Per-node buffer while the uplink is down (default 16 MiB). */
  bufferMaxBytes?: number;
  /** MQTT client id = prefix + group + '-' + node (default 'lianwang-fleet-'). */
  clientPrefix?: string;
  /** Nodes connecting at once (default 100). */
  connectConcurrency?: number;
  /** Buffered messages replayed per tick, all nodes together (default 2,000). */
  replayPerTick?: number;
  tickMs?: number;
  /** Default Date.now. */
  clock?: () => number;
  /** Timeline origin; default clock() at start(). */
  startTime?: number;
  /** No timers: the caller drives the fleet with advance(). */
  manual?: boolean;
}

type Event =
  | { kind: 'deviceDown' | 'deviceUp'; node: EdgeNode; device: FleetDevice; epoch: number }
  | { kind: 'gatewayDown' | 'gatewayUp' | 'reconnect'; node: EdgeNode; epoch: number };

interface NodeExtra {
  rng: ReturnType<typeof rngFor>;
  /** Bumped by injected outages: scheduled gateway events of an older epoch are void. */
  epoch: number;
  /** In an outage (scheduled or injected): no reconnect until it ends. */
  out: boolean;
}

interface DeviceExtra {
  epoch: number;
}

export class Fleet {
  readonly nodes: EdgeNode[] = [];
  readonly counters: FleetCounters = emptyCounters();
  readonly #o: Required<Omit<FleetOptions, 'startTime' | 'plan' | 'links'>> & { links: LinkFactory };
  readonly #plan: FleetPlan;
  /** Outages and reconnects. Reports are not in the heap: see #reports. */
  readonly #heap = new EventHeap<Event>();
  /**
   * Every device reports every #intervalMs at its phase, so the reports of one round are the
   * devices sorted by phase: a cursor walks them (report k of device i is due at
   * start + phase_i + k·interval) — no heap traffic for 10,000+ reports per second.
   */
  #reports: { node: EdgeNode; device: FleetDevice; phase: number }[] = [];
  #cursor = 0;
  #round = 0;
  readonly #nodeExtra = new Map<EdgeNode, NodeExtra>();
  readonly #deviceExtra = new Map<FleetDevice, DeviceExtra>();
  readonly #byDevice = new Map<string, [EdgeNode, FleetDevice]>();
  readonly #byNode = new Map<string, EdgeNode>();
  readonly #toConnect: EdgeNode[] = [];
  readonly #replaying = new Set<EdgeNode>();
  #startOption: number | undefined;
  #start = 0;
  #intervalMs = 5000;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #lagMs = 0;

  constructor(o: FleetOptions) {
    this.#plan = o.plan;
    this.#startOption = o.startTime;
    this.#o = {
      links: o.links,
      seed: o.seed ?? 1,
      rate: o.rate ?? 0.2,
      qos: o.qos ?? 0,
      outages: o.outages ?? REALISTIC_OUTAGES,
      bufferMaxBytes: o.bufferMaxBytes ?? 16 * 2 ** 20,
      clientPrefix: o.clientPrefix ?? 'lianwang-fleet-',
      connectConcurrency: o.connectConcurrency ?? 100,
      replayPerTick: o.replayPerTick ?? 2000,
      tickMs: o.tickMs ?? 50,
      clock: o.clock ?? Date.now,
      manual: o.manual ?? false,
    };
    if (!(this.#o.rate > 0 && this.#o.rate <= 100))
      throw new RangeError(`rate must be in (0, 100], got ${o.rate}`);
  }

  get startTime(): number {
    return this.#start;
  }

  /** ms between two reports of one device. */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const o = this.#o;
    const now = o.clock();
    this.#start = this.#startOption ?? now;
    this.#intervalMs = Math.max(1, Math.round(1000 / o.rate));
    const ctx: NodeContext = {
      links: o.links,
      qos: o.qos,
      bufferMaxBytes: o.bufferMaxBytes,
      counters: this.counters,
      clientPrefix: o.clientPrefix,
      now: o.clock,
      lost: (node) => this.#lost(node),
      replayDue: (node) => this.#replaying.add(node),
    };
    const { outages, seed } = o;
    for (const plan of this.#plan.nodes) {
      const devices = plan.devices.map((d, i) => {
        const outRng = rngFor(seed, 'outage', plan.group, d.id);
        const flaky = outRng.chance(outages.flakyShare) ? outages.flakyFactor : 1;
        return new FleetDevice(d, i, rngFor(seed, 'model', plan.group, d.id), outRng, flaky, this.#start);
      });
      const node = new EdgeNode(plan, devices, ctx);
      this.nodes.push(node);
      this.#byNode.set(node.key, node);
      const extra: NodeExtra = { rng: rngFor(seed, 'gateway', plan.group, plan.node), epoch: 0, out: false };
      this.#nodeExtra.set(node, extra);
      this.#heap.push(this.#start + timeToOutage(extra.rng, outages.gateway), {
        kind: 'gatewayDown',
        node,
        epoch: 0,
      });
      for (const d of devices) {
        this.#byDevice.set(`${plan.group}/${d.plan.id}`, [node, d]);
        this.#deviceExtra.set(d, { epoch: 0 });
        const phase = Math.floor(d.outageRng.next() * this.#intervalMs);
        this.#reports.push({ node, device: d, phase });
        const down = timeToOutage(d.outageRng, outages.device, d.outageFactor);
        this.#heap.push(this.#start + down, { kind: 'deviceDown', node, device: d, epoch: 0 });
      }
      this.#toConnect.push(node);
    }
    // Stable: equal phases keep plan order.
    this.#reports.sort((a, b) => a.phase - b.phase);
    this.#pump();
    if (!o.manual) this.#schedule();
  }

  /**
   * Processes the events due at or before `t` in time order, then connects and replays. With a
   * budget it stops after about `budgetMs` of work and returns true (behind): the real-time loop
   * then lets socket I/O run before it continues, so CONNACKs and PUBACKs are not starved when
   * the process is short of CPU — the lag shows it instead.
   */
  advance(t: number, budgetMs = Infinity): boolean {
    const due = Math.min(this.#heap.peekTime(), this.#nextReport());
    this.#lagMs = due <= t ? t - due : 0;
    const reports = this.#reports;
    const seconds = this.#intervalMs / 1000;
    const deadline = performance.now() + budgetMs;
    let behind = false;
    for (let n = 1; ; n++) {
      if ((n & 255) === 0 && performance.now() > deadline) {
        behind = true;
        break;
      }
      const r = this.#nextReport();
      const h = this.#heap.peekTime();
      if (r <= h && r <= t) {
        const { node, device } = reports[this.#cursor] as (typeof reports)[number];
        device.advance(seconds, r);
        node.report(device);
        if (++this.#cursor === reports.length) {
          this.#cursor = 0;
          this.#round++;
        }
      } else if (h <= t) {
        const e = this.#heap.pop() as { time: number; item: Event };
        this.#handle(e.time, e.item);
      } else break;
    }
    this.#pump();
    return behind;
  }

  #nextReport(): number {
    const r = this.#reports[this.#cursor];
    return r ? this.#start + r.phase + this.#round * this.#intervalMs : Infinity;
  }

  #schedule(delay = this.#o.tickMs): void {
    this.#timer = setTimeout(() => {
      if (!this.#running) return;
      const behind = this.advance(this.#o.clock(), this.#o.tickMs);
      this.#schedule(behind ? 0 : this.#o.tickMs);
    }, delay);
  }

  #handle(t: number, e: Event): void {
    const { outages } = this.#o;
    switch (e.kind) {
      case 'deviceDown': {
        if (e.epoch !== this.#deviceExtra.get(e.device)?.epoch || !e.device.reachable) return;
        this.counters.deviceOutages++;
        e.node.deviceDown(e.device);
        const back = t + outageLength(e.device.outageRng, outages.device);
        this.#heap.push(back, { ...e, kind: 'deviceUp' });
        return;
      }
      case 'deviceUp': {
        if (e.epoch !== this.#deviceExtra.get(e.device)?.epoch) return;
        e.node.deviceUp(e.device);
        const next = t + timeToOutage(e.device.outageRng, outages.device, e.device.outageFactor);
        this.#heap.push(next, { ...e, kind: 'deviceDown' });
        return;
      }
      case 'gatewayDown': {
        const x = this.#nodeExtra.get(e.node);
        if (!x || e.epoch !== x.epoch) return;
        this.counters.gatewayOutages++;
        x.out = true;
        e.node.drop();
        this.#heap.push(t + outageLength(x.rng, outages.gateway), { ...e, kind: 'gatewayUp' });
        return;
      }
      case 'gatewayUp': {
        const x = this.#nodeExtra.get(e.node);
        if (!x || e.epoch !== x.epoch) return;
        x.out = false;
        this.#toConnect.push(e.node);
        this.#heap.push(t + timeToOutage(x.rng, outages.gateway), { ...e, kind: 'gatewayDown' });
        return;
      }
      case 'reconnect': {
        const x = this.#nodeExtra.get(e.node);
        if (!x || x.out || e.node.state !== 'down') return;
        this.#toConnect.push(e.node);
        return;
      }
    }
  }

  /** Starts queued connects up to the concurrency limit; replays buffers within the tick budget. */
  #pump(): void {
    if (this.#toConnect.length) {
      let connecting = 0;
      for (const n of this.nodes) if (n.state === 'connecting') connecting++;
      while (this.#toConnect.length && connecting < this.#o.connectConcurrency) {
        const node = this.#toConnect.shift() as EdgeNode;
        if (node.state === 'up' || node.state === 'connecting' || this.#nodeExtra.get(node)?.out) continue;
        node.connect();
        if (stateOf(node) === 'connecting') connecting++; // memory links are up at once
      }
    }
    if (this.#replaying.size) {
      const share = Math.max(1, Math.floor(this.#o.replayPerTick / this.#replaying.size));
      for (const node of this.#replaying) {
        if (node.state !== 'up' || node.replay(share) === 0) this.#replaying.delete(node);
      }
    }
  }

  #lost(node: EdgeNode): void {
    const x = this.#nodeExtra.get(node);
    if (!x || !this.#running) return;
    const delay = Math.min(30_000, 1000 * 2 ** Math.min(5, node.failures - 1));
    this.#heap.push(this.#o.clock() + delay, { kind: 'reconnect', node, epoch: x.epoch });
  }

  /**
   * Cuts the uplink of edge node `key` ('group/node') now: the broker publishes its Will. It
   * stays down for `forMs`, or until restoreGateway(). Its scheduled outages resume afterwards.
   */
  gatewayOutage(key: string, forMs?: number): void {
    const node = this.#node(key);
    const x = this.#nodeExtra.get(node) as NodeExtra;
    x.epoch++;
    x.out = true;
    this.counters.gatewayOutages++;
    node.drop();
    if (forMs !== undefined)
      this.#heap.push(this.#o.clock() + forMs, { kind: 'gatewayUp', node, epoch: x.epoch });
  }

  /** Ends an injected gateway outage: reconnect with the next bdSeq, births, replay. */
  restoreGateway(key: string): void {
    const node = this.#node(key);
    const x = this.#nodeExtra.get(node) as NodeExtra;
    x.epoch++;
    this.#handle(this.#o.clock(), { kind: 'gatewayUp', node, epoch: x.epoch });
    this.#pump();
  }

  /** Makes device `group/device` unreachable now (DDEATH) for `forMs` or until restoreDevice(). */
  deviceOutage(key: string, forMs?: number): void {
    const [node, device] = this.#device(key);
    const x = this.#deviceExtra.get(device) as DeviceExtra;
    x.epoch++;
    this.counters.deviceOutages++;
    node.deviceDown(device);
    if (forMs !== undefined)
      this.#heap.push(this.#o.clock() + forMs, { kind: 'deviceUp', node, device, epoch: x.epoch });
  }

  restoreDevice(key: string): void {
    const [node, device] = this.#device(key);
    const x = this.#deviceExtra.get(device) as DeviceExtra;
    x.epoch++;
    this.#handle(this.#o.clock(), { kind: 'deviceUp', node, device, epoch: x.epoch });
  }

  node(key: string): EdgeNode | undefined {
    return this.#byNode.get(key);
  }

  #node(key: string): EdgeNode {
    const node = this.#byNode.get(key);
    if (!node) throw new Error(`no edge node "${key}" in the fleet (expected group/node, e.g. e1/gw-1)`);
    return node;
  }

  #device(key: string): [EdgeNode, FleetDevice] {
    const found = this.#byDevice.get(key);
    if (!found) throw new Error(`no published device "${key}" in the fleet (expected group/device)`);
    return found;
  }

  stats(): FleetStats {
    const c = this.counters;
    const nodes = { total: this.nodes.length, up: 0, connecting: 0, down: 0, replaying: 0 };
    const buffer = { messages: 0, bytes: 0 };
    let reachable = 0;
    let socketBacklogBytes = 0;
    for (const n of this.nodes) {
      if (n.state === 'up') nodes.up++;
      else if (n.state === 'connecting') nodes.connecting++;
      else nodes.down++;
      const b = n.buffered;
      if (n.state === 'up' && b.messages) nodes.replaying++;
      buffer.messages += b.messages;
      buffer.bytes += b.bytes;
      socketBacklogBytes += n.socketBacklog();
      for (const d of n.devices) if (d.reachable) reachable++;
    }
    return {
      ...c,
      messages: { ...c.messages },
      elapsedMs: this.#o.clock() - this.#start,
      nodes,
      devices: { total: this.#plan.devices, reachable },
      samples: c.livePoints + c.historicalPoints + c.birthPoints,
      buffer,
      lagMs: this.#lagMs,
      socketBacklogBytes,
    };
  }

  /** NDEATH and DISCONNECT from every node (a few at a time), timers cleared. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    const nodes = [...this.nodes];
    const lane = async () => {
      for (let n = nodes.shift(); n; n = nodes.shift()) await n.close();
    };
    await Promise.all(Array.from({ length: Math.min(50, nodes.length) }, lane));
  }
}

/** A node's state read afresh (TypeScript keeps a getter narrowed across a method call). */
const stateOf = (n: EdgeNode): NodeState => n.state;
