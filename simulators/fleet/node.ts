/**
 * One virtual Sparkplug B edge node (spec 3.0 ch. 5–6), without Modbus: Will = NDEATH with the
 * connection's bdSeq (+1 on every new connection, 0–255), NCMD/DCMD subscribed before NBIRTH
 * (seq 0, bdSeq, Node Control/Rebirth), a DBIRTH per reachable device, DDATA by alias, DDEATH
 * when a device becomes unreachable, seq +1 per message, rebirth on NCMD. While the uplink is
 * down its devices' reports go to a bounded in-memory buffer (oldest dropped first) that is
 * replayed after the births as historical DDATA (names, aliases, isHistorical).
 */
import {
  BD_SEQ,
  decodePayload,
  encodePayload,
  type Metric,
  NODE_CONTROL_REBIRTH,
  nextSeq,
  parseTopic,
  SparkplugType,
  topic,
} from '../../wire/sparkplug/index.ts';
import type { FleetDevice } from './device.ts';
import type { Frame, LinkFactory, NodeLink } from './link.ts';
import type { NodePlan } from './plan.ts';
import type { FleetCounters, MessageType } from './stats.ts';

export interface NodeContext {
  links: LinkFactory;
  /** QoS of DDATA; births and deaths always go at QoS 1. */
  qos: 0 | 1;
  /** Per-node buffer bound while the uplink is down. */
  bufferMaxBytes: number;
  counters: FleetCounters;
  clientPrefix: string;
  now(): number;
  /** The connection was lost outside the outage schedule: call connect() again after a while. */
  lost(node: EdgeNode): void;
  /** Births are out: the node has buffered messages to replay. */
  replayDue(node: EdgeNode): void;
}

export type NodeState = 'idle' | 'connecting' | 'up' | 'down';

interface Buffered {
  /** The DDATA payload without seq: encodePayload writes fields in number order and seq (3)
   * comes after timestamp (1) and metrics (2), so appending the seq field gives exactly the
   * bytes encodePayload would produce with it. */
  body: Buffer;
  /** Index of the device in the node. */
  device: number;
  points: number;
}

/** The protobuf bytes of `seq = n` (field 3, varint), n in 0–255. */
const SEQ_FIELD: Buffer[] = Array.from({ length: 256 }, (_, n) =>
  Buffer.from(n < 128 ? [0x18, n] : [0x18, (n & 0x7f) | 0x80, n >> 7]),
);

/** A payload encoded without seq, with seq: the bytes encodePayload gives with it (fields 1, 2, then 3). */
export const withSeq = (body: Uint8Array, seq: number): Buffer =>
  Buffer.concat([body, SEQ_FIELD[seq] ?? Buffer.alloc(0)]);

export class EdgeNode {
  readonly group: string;
  readonly node: string;
  readonly devices: FleetDevice[];
  readonly #ctx: NodeContext;
  readonly #ddataTopics: string[];
  #state: NodeState = 'idle';
  #link: NodeLink | undefined;
  /** bdSeq of the current (or last) connection; the first connection uses 0. */
  #bdSeq = -1;
  #seq = 0;
  /** Connection attempts; handlers of an older one are void. */
  #attempt = 0;
  readonly #buffer: Buffered[] = [];
  #bufferHead = 0;
  #bufferBytes = 0;
  /** Consecutive connections lost outside the schedule (back-off). */
  failures = 0;

  constructor(plan: NodePlan, devices: FleetDevice[], ctx: NodeContext) {
    this.group = plan.group;
    this.node = plan.node;
    this.devices = devices;
    this.#ctx = ctx;
    this.#ddataTopics = plan.devices.map((d) => topic.ddata(plan.group, plan.node, d.id));
  }

  get key(): string {
    return `${this.group}/${this.node}`;
  }

  get state(): NodeState {
    return this.#state;
  }

  get bdSeq(): number {
    return this.#bdSeq;
  }

  get buffered(): { messages: number; bytes: number } {
    return { messages: this.#buffer.length - this.#bufferHead, bytes: this.#bufferBytes };
  }

  socketBacklog(): number {
    return this.#link?.backlog() ?? 0;
  }

  /** A new connection with the next bdSeq in its Will; births follow when it is up. */
  connect(): void {
    if (this.#state === 'connecting' || this.#state === 'up') return;
    this.#bdSeq = (this.#bdSeq + 1) % 256;
    this.#state = 'connecting';
    const attempt = ++this.#attempt;
    this.#link = this.#ctx.links(
      {
        clientId: `${this.#ctx.clientPrefix}${this.group}-${this.node}`,
        will: { topic: topic.ndeath(this.group, this.node), payload: death(this.#bdSeq, this.#ctx.now()) },
        // topic.dcmd() refuses wildcards, rightly: this filter is the one place that needs one.
        subscribe: [topic.ncmd(this.group, this.node), `spBv1.0/${this.group}/DCMD/${this.node}/+`],
      },
      {
        onUp: (link) => {
          if (attempt !== this.#attempt) return;
          this.#link = link; // a memory link reports up before links() returns
          this.#state = 'up';
          this.failures = 0;
          this.#ctx.counters.connects++;
          this.births();
          if (this.buffered.messages) this.#ctx.replayDue(this);
        },
        onDown: () => {
          if (attempt !== this.#attempt || this.#state === 'down') return;
          this.#down();
          this.failures++;
          this.#ctx.counters.connectionsLost++;
          this.#ctx.lost(this);
        },
        onCommand: (t, payload) => this.#command(t, payload),
      },
    );
  }

  /** Gateway outage: the uplink is cut (the broker publishes the Will); data is buffered. */
  drop(): void {
    const link = this.#link;
    if (!link) return;
    const wasUp = this.#state === 'up';
    this.#down();
    link.drop();
    if (wasUp) this.#ctx.counters.messages.NDEATH++; // published by the broker: the Will
  }

  /** Deliberate stop: NDEATH, DISCONNECT. */
  async close(): Promise<void> {
    const link = this.#link;
    const wasUp = this.#state === 'up';
    this.#down();
    this.#state = 'idle';
    if (link) {
      const last: Frame = {
        topic: topic.ndeath(this.group, this.node),
        payload: death(this.#bdSeq, this.#ctx.now()),
      };
      await link.close(last);
      if (wasUp) this.#ctx.counters.messages.NDEATH++;
    }
  }

  #down(): void {
    this.#attempt++;
    this.#state = 'down';
    this.#link = undefined;
    for (const d of this.devices) d.born = false;
  }

  /** NBIRTH (seq 0) and a DBIRTH for every reachable device. */
  births(): void {
    const link = this.#link;
    if (!link?.up) return;
    const now = this.#ctx.now();
    const b = this.buffered;
    const metrics: Metric[] = [
      { name: BD_SEQ, datatype: SparkplugType.UInt64, value: BigInt(this.#bdSeq), timestamp: now },
      { name: NODE_CONTROL_REBIRTH, datatype: SparkplugType.Boolean, value: false, timestamp: now },
      // The gateway's store-and-forward depth (the dashboard shows it): aliases 1 and 2.
      {
        name: 'Buffer/Entries',
        alias: 1,
        datatype: SparkplugType.UInt64,
        value: BigInt(b.messages),
        timestamp: now,
      },
      {
        name: 'Buffer/Bytes',
        alias: 2,
        datatype: SparkplugType.UInt64,
        value: BigInt(b.bytes),
        timestamp: now,
      },
    ];
    this.#seq = 0;
    this.#send(link, 'NBIRTH', topic.nbirth(this.group, this.node), { timestamp: now, seq: 0, metrics }, 2);
    for (const d of this.devices) if (d.reachable) this.#dbirth(link, d);
  }

  #dbirth(link: NodeLink, d: FleetDevice, unknown?: { time: number }): void {
    d.born = true;
    const metrics = d.birth(unknown);
    const t = topic.dbirth(this.group, this.node, d.plan.id);
    const timestamp = unknown?.time ?? d.time;
    this.#send(link, 'DBIRTH', t, { timestamp, seq: this.#next(), metrics }, metrics.length);
  }

  #ddeath(link: NodeLink, d: FleetDevice): void {
    d.born = false;
    const t = topic.ddeath(this.group, this.node, d.plan.id);
    this.#send(link, 'DDEATH', t, { timestamp: this.#ctx.now(), seq: this.#next(), metrics: [] }, 0);
  }

  /** A device report (the device was just stepped): live DDATA when up, else into the buffer. */
  report(d: FleetDevice): void {
    if (!d.reachable) return;
    const link = this.#link;
    if (this.#state === 'up' && link?.up) {
      if (!d.born) return this.#dbirth(link, d);
      const metrics = d.changed(false);
      if (!metrics.length) return;
      const payload = { timestamp: d.time, seq: this.#next(), metrics };
      this.#send(link, 'DDATA', this.#ddataTopics[d.index] as string, payload, metrics.length, true);
      return;
    }
    // A gateway not started yet (before its first connection) reports nothing; connecting or in
    // an outage: store and forward.
    if (this.#state === 'idle') return;
    const metrics = d.changed(true);
    if (!metrics.length) return;
    const body = Buffer.from(encodePayload({ timestamp: d.time, metrics }, { omitDatatypes: true }));
    this.#buffer.push({ body, device: d.index, points: metrics.length });
    this.#bufferBytes += body.length;
    this.#ctx.counters.bufferedPoints += metrics.length;
    while (this.#bufferBytes > this.#ctx.bufferMaxBytes && this.#bufferHead < this.#buffer.length) {
      const old = this.#buffer[this.#bufferHead++] as Buffered;
      this.#bufferBytes -= old.body.length;
      this.#ctx.counters.droppedPoints += old.points;
    }
  }

  /** The device stopped answering: DDEATH if it was born in this session. */
  deviceDown(d: FleetDevice): void {
    d.reachable = false;
    const link = this.#link;
    if (d.born && this.#state === 'up' && link?.up) this.#ddeath(link, d);
  }

  /** The device answers again: DBIRTH with what it reads now. */
  deviceUp(d: FleetDevice): void {
    d.reachable = true;
    const link = this.#link;
    if (this.#state === 'up' && link?.up) this.#dbirth(link, d);
  }

  /**
   * Replays up to `budget` buffered messages as historical DDATA; returns how many remain. DATA
   * needs its device born in this session: a device that became unreachable meanwhile gets a
   * DBIRTH without values before its data and a DDEATH after.
   */
  replay(budget: number): number {
    const link = this.#link;
    if (this.#state !== 'up' || !link?.up) return this.buffered.messages;
    const bornForReplay: FleetDevice[] = [];
    for (let n = 0; n < budget && this.#bufferHead < this.#buffer.length; n++) {
      const b = this.#buffer[this.#bufferHead++] as Buffered;
      this.#bufferBytes -= b.body.length;
      const d = this.devices[b.device] as FleetDevice;
      if (!d.born) {
        this.#dbirth(link, d, d.reachable ? undefined : { time: this.#ctx.now() });
        if (!d.reachable) bornForReplay.push(d);
      }
      const payload = withSeq(b.body, this.#next());
      this.#publish(link, 'DDATA', this.#ddataTopics[b.device] as string, payload, b.points, 'historical');
    }
    for (const d of bornForReplay) if (!d.reachable && d.born) this.#ddeath(link, d);
    if (this.#bufferHead === this.#buffer.length) {
      this.#buffer.length = 0;
      this.#bufferHead = 0;
    } else if (this.#bufferHead > 4096 && this.#bufferHead * 2 > this.#buffer.length) {
      this.#buffer.splice(0, this.#bufferHead);
      this.#bufferHead = 0;
    }
    return this.buffered.messages;
  }

  #next(): number {
    this.#seq = nextSeq(this.#seq);
    return this.#seq;
  }

  #send(
    link: NodeLink,
    type: MessageType,
    t: string,
    p: { timestamp: number; seq: number; metrics: Metric[] },
    points: number,
    data = false,
  ): void {
    const payload = Buffer.from(encodePayload(p, { omitDatatypes: data }));
    this.#publish(link, type, t, payload, points, type === 'DDATA' ? 'live' : 'birth');
  }

  #publish(
    link: NodeLink,
    type: MessageType,
    t: string,
    payload: Buffer,
    points: number,
    kind: 'live' | 'historical' | 'birth',
  ): void {
    const c = this.#ctx.counters;
    link.publish(t, payload, type === 'DDATA' ? this.#ctx.qos : 1, (err) => {
      if (err) {
        c.lostPoints += points;
        return;
      }
      c.messages[type]++;
      if (kind === 'live') c.livePoints += points;
      else if (kind === 'historical') c.historicalPoints += points;
      else c.birthPoints += points;
    });
  }

  #command(t: string, payload: Buffer): void {
    const parsed = parseTopic(t);
    if (parsed?.type !== 'NCMD') return;
    try {
      const metrics = decodePayload(payload).metrics;
      if (metrics.some((m) => m.name === NODE_CONTROL_REBIRTH && m.value === true)) {
        this.#ctx.counters.rebirths++;
        this.births();
      }
    } catch {
      // an unreadable command is ignored, as the gateway does
    }
  }
}

/** NDEATH (and the Will): only bdSeq. */
function death(bdSeq: number, now: number): Buffer {
  return Buffer.from(
    encodePayload({
      timestamp: now,
      metrics: [{ name: BD_SEQ, datatype: SparkplugType.UInt64, value: BigInt(bdSeq) }],
    }),
  );
}
