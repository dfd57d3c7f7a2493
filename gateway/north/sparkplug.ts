/**
 * The Sparkplug B edge node (spec 3.0 ch. 5–6): NBIRTH/NDEATH with a bdSeq that survives
 * restarts, Will = NDEATH, seq over every message, aliases in DATA, DBIRTH when a device is
 * reachable and DDEATH when it is not, rebirth on NCMD, and store-and-forward: whatever cannot
 * be delivered now goes to the disk queue and is replayed oldest first as historical DDATA
 * while live data keeps flowing.
 */
import type { MqttClient } from 'mqtt';
import type { GatewayFile } from '../../config/index.ts';
import {
  decodePayload,
  encodePayload,
  type Metric,
  NODE_CONTROL_REBIRTH,
  nextSeq,
  parseTopic,
  topic,
} from '../../wire/sparkplug/index.ts';
import type { DiskQueue, QueueEntry } from '../buffer/disk-queue.ts';
import { Backlog } from './backlog.ts';
import { nextBdSeq } from './bdseq.ts';
import { deathPayload, nodeBirthMetrics } from './metrics.ts';
import { MqttLink } from './mqtt-link.ts';
import { PointTable } from './point-table.ts';
import {
  type Command,
  type DeviceMeta,
  type DeviceStatus,
  type DriverLog,
  emptyNorthStats,
  type NorthStats,
  type Publisher,
  type Reading,
} from './types.ts';

export interface SparkplugContext {
  config: GatewayFile;
  devices: readonly DeviceMeta[];
  queue: DiskQueue;
  bufferDir: string;
  log: DriverLog;
  /** Device commands (DCMD), one call per metric; without it they are counted as ignored. */
  onCommand?: (command: Command) => void;
}

export class SparkplugPublisher implements Publisher {
  readonly #ctx: SparkplugContext;
  readonly #group: string;
  readonly #node: string;
  readonly #qos: 0 | 1;
  readonly #link: MqttLink;
  readonly #points = new PointTable();
  readonly #status = new Map<string, DeviceStatus>();
  readonly #born = new Set<string>();
  /** DDATA topic per device (topic.ddata checks every token: once per device, not per message). */
  readonly #topics = new Map<string, string>();
  /** Good readings of a device that was still offline, for its coming DBIRTH to carry. */
  readonly #held = new Map<string, Reading[]>();
  #bdSeq = 0;
  #seq = 0;
  readonly #backlog: Backlog;
  /** Messages awaiting PUBACK → what to do if they never get it. */
  readonly #inFlight = new Map<number, () => void>();
  #nextToken = 0;
  readonly #stats: NorthStats = emptyNorthStats();

  constructor(ctx: SparkplugContext) {
    this.#ctx = ctx;
    this.#backlog = new Backlog(ctx.queue, ctx.log);
    this.#group = ctx.config.gateway.group;
    this.#node = ctx.config.gateway.node;
    this.#qos = ctx.config.sparkplug.qos;
    this.#points.setDevices(ctx.devices);
    this.#link = new MqttLink({
      mqtt: ctx.config.mqtt,
      clientId: ctx.config.mqtt.clientId ?? `lianwang-${this.#group}-${this.#node}`,
      log: ctx.log,
      will: () => this.#will(),
      onConnect: (client) => this.#online(client),
      onUp: (client) => void this.#replay(client),
      onDisconnect: () => {
        this.#born.clear();
        this.#stats.connected = false;
        // Whatever the broker never acknowledged is not delivered: back to the queue / replay.
        const lost = [...this.#inFlight.values()];
        this.#inFlight.clear();
        this.#stats.inFlight = 0;
        for (const fail of lost) fail();
        this.#storeHeld();
      },
      onMessage: (t, payload) => this.#command(t, payload),
    });
  }

  setDevices(devices: readonly DeviceMeta[]): void {
    this.#storeHeld();
    this.#points.setDevices(devices);
    this.#topics.clear();
    for (const key of [...this.#status.keys()]) if (!this.#points.devices.has(key)) this.#status.delete(key);
    const client = this.#link.client;
    if (client) {
      this.#stats.rebirths++;
      this.#births(client);
    }
  }

  start(): Promise<void> {
    this.#link.start();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.#link.stop(async (client) => {
      // A deliberate disconnect publishes the NDEATH itself (the broker only sends the Will on loss).
      await client.publishAsync(topic.ndeath(this.#group, this.#node), deathPayload(this.#bdSeq), { qos: 1 });
    });
    this.#storeHeld();
    await this.#backlog.flush();
  }

  stats(): NorthStats {
    return {
      ...this.#stats,
      connected: this.#link.connected,
      broker: this.#link.broker,
      connects: this.#link.connects,
      connectFailures: this.#link.failures,
    };
  }

  status(device: string, status: DeviceStatus): void {
    this.#status.set(device, status);
    const client = this.#link.client;
    if (!client) return;
    if (status.state === 'offline' && this.#born.has(device)) this.#death(client, device);
    else if (status.state !== 'offline' && status.state !== 'connecting' && !this.#born.has(device))
      this.#birth(client, device);
  }

  readings(device: string, readings: Reading[]): void {
    if (!readings.length) return;
    this.#points.record(device, readings);
    const client = this.#link.client;
    if (!client) {
      this.#store(device, readings);
      return;
    }
    if (!this.#born.has(device)) {
      if (!readings.some((r) => r.good)) {
        // Dead north: its DDEATH stands for these Bad readings (no DDATA may follow a DDEATH).
        this.#stats.pointsDead += readings.length;
        return;
      }
      // Good data of a device not born north. Its DBIRTH carries these values, and they go to the
      // disk queue if that DBIRTH is not acknowledged. A driver reports readings before the state
      // they imply, so a device still marked offline is born by the status() that follows: until
      // then the readings wait here, and a second batch sends the first to the queue.
      if (this.#status.get(device)?.state !== 'offline') {
        this.#birth(client, device, readings);
        return;
      }
      const held = this.#held.get(device);
      if (held) this.#store(device, held);
      this.#held.set(device, readings);
      return;
    }
    this.#publish(
      client,
      'DDATA',
      this.#ddataTopic(device),
      (seq) => this.#ddata(device, readings, seq),
      readings.length,
      () => this.#store(device, readings),
    );
  }

  async #will() {
    this.#bdSeq = await nextBdSeq(this.#ctx.bufferDir);
    return {
      topic: topic.ndeath(this.#group, this.#node),
      payload: deathPayload(this.#bdSeq),
      qos: 1 as const,
      retain: false,
    };
  }

  async #online(client: MqttClient): Promise<void> {
    await client.subscribeAsync(
      // topic.dcmd() refuses wildcards, rightly: this filter is the one place that needs one.
      [topic.ncmd(this.#group, this.#node), `spBv1.0/${this.#group}/DCMD/${this.#node}/+`],
      { qos: 1 },
    );
    this.#births(client);
    this.#stats.connected = true;
  }

  /** NBIRTH (seq 0) and a DBIRTH for every device that is reachable. */
  #births(client: MqttClient): void {
    this.#seq = 0;
    this.#born.clear();
    const payload = this.#encode('NBIRTH', 0, nodeBirthMetrics(this.#bdSeq, this.#ctx.queue.stats()));
    this.#send(client, 'NBIRTH', topic.nbirth(this.#group, this.#node), payload, 0);
    for (const key of this.#points.devices.keys()) {
      const s = this.#status.get(key)?.state;
      if ((s === 'online' || s === 'degraded') && this.#points.hasData(key)) this.#birth(client, key);
    }
  }

  /**
   * A DBIRTH with the latest value of every point. Readings that reached the north only through
   * this birth (`carried`, and any held while the device was offline) are queued on disk if the
   * broker does not acknowledge it: a birth is delivered at least once like any DATA.
   */
  #birth(client: MqttClient, device: string, carried?: readonly Reading[]): void {
    const meta = this.#points.devices.get(device);
    const metrics = this.#points.birth(device);
    if (!meta || !metrics) return;
    const held = this.#held.get(device);
    this.#held.delete(device);
    const unsent = held ? (carried ? [...held, ...carried] : held) : carried;
    this.#born.add(device);
    this.#publish(
      client,
      'DBIRTH',
      topic.dbirth(this.#group, this.#node, meta.id),
      (seq) => this.#encode('DBIRTH', seq, metrics),
      metrics.length,
      () => {
        if (unsent?.length) this.#store(device, unsent);
      },
    );
  }

  #death(client: MqttClient, device: string): void {
    const meta = this.#points.devices.get(device);
    if (!meta) return;
    this.#born.delete(device);
    this.#publish(
      client,
      'DDEATH',
      topic.ddeath(this.#group, this.#node, meta.id),
      (seq) => this.#encode('DDEATH', seq, []),
      0,
      () => undefined,
    );
  }

  #ddataTopic(device: string): string {
    let t = this.#topics.get(device);
    if (t === undefined) {
      t = topic.ddata(this.#group, this.#node, this.#points.devices.get(device)?.id ?? device);
      this.#topics.set(device, t);
    }
    return t;
  }

  /** A payload stamped now, by the general encoder (DATA and CMD without datatypes). */
  #encode(type: string, seq: number, metrics: Metric[]): Buffer {
    const omitDatatypes = type.endsWith('DATA');
    return Buffer.from(encodePayload({ timestamp: Date.now(), seq, metrics }, { omitDatatypes }));
  }

  /** Live DDATA straight from the readings (PointTable.encodeData), else by the general encoder. */
  #ddata(device: string, readings: readonly Reading[], seq: number): Buffer {
    const now = Date.now();
    return (
      this.#points.encodeData(device, readings, now, seq) ??
      this.#encode('DDATA', seq, this.#points.metrics(device, readings, false))
    );
  }

  /** Publishes with the next seq; `onFail` runs when the message is not acknowledged. */
  #publish(
    client: MqttClient,
    type: string,
    t: string,
    encode: (seq: number) => Buffer,
    points: number,
    onFail: () => void,
    onAck?: () => void,
  ): void {
    this.#seq = nextSeq(this.#seq);
    this.#send(client, type, t, encode(this.#seq), points, onFail, onAck);
  }

  #send(
    client: MqttClient,
    type: string,
    t: string,
    payload: Buffer,
    points: number,
    onFail?: () => void,
    onAck?: () => void,
  ): void {
    const token = this.#nextToken++;
    this.#inFlight.set(token, onFail ?? (() => undefined));
    this.#stats.inFlight = this.#inFlight.size;
    client.publish(
      t,
      payload,
      { qos: type.endsWith('BIRTH') || type.endsWith('DEATH') ? 1 : this.#qos },
      (err) => {
        const fail = this.#inFlight.get(token);
        if (!fail) return; // already failed over on disconnect
        this.#inFlight.delete(token);
        this.#stats.inFlight = this.#inFlight.size;
        if (err) {
          fail();
          return;
        }
        this.#stats.published[type] = (this.#stats.published[type] ?? 0) + 1;
        this.#stats.pointsPublished += points;
        onAck?.();
      },
    );
  }

  /** Held readings to the disk queue (the connection is gone, or the gateway stops). */
  #storeHeld(): void {
    for (const [device, readings] of this.#held) this.#store(device, readings);
    this.#held.clear();
  }

  /** Readings that cannot go out now: to the disk queue, with names so replay needs no birth. */
  #store(device: string, readings: readonly Reading[]): void {
    const metrics = this.#points.metrics(device, readings, true);
    let sourceTime = Infinity;
    for (const r of readings) sourceTime = Math.min(sourceTime, r.time);
    this.#backlog.add({ topic: device, payload: encodePayload({ metrics }), sourceTime });
    this.#stats.pointsQueued += readings.length;
    const client = this.#link.client;
    if (client) void this.#replay(client);
  }

  /** Drains the disk queue in order as historical DDATA while this connection lasts. */
  #replay(client: MqttClient): Promise<void> {
    return this.#backlog.replay(
      () => this.#link.client === client,
      (e) => this.#replayOne(client, e),
    );
  }

  #replayOne(client: MqttClient, e: QueueEntry): Promise<boolean> {
    let metrics: Metric[];
    try {
      metrics = decodePayload(e.payload).metrics;
    } catch (err) {
      this.#ctx.log.error(
        { id: e.id, err: (err as Error).message },
        'dropping an unreadable buffered record',
      );
      return Promise.resolve(true);
    }
    const device = e.topic;
    const out = this.#points.historical(device, metrics);
    return new Promise((resolve) =>
      this.#publish(
        client,
        'DDATA',
        this.#ddataTopic(device),
        (seq) => this.#encode('DDATA', seq, out),
        out.length,
        () => resolve(false),
        () => {
          this.#stats.pointsReplayed += out.length;
          resolve(true);
        },
      ),
    );
  }

  #command(t: string, payload: Buffer): void {
    const parsed = parseTopic(t);
    const client = this.#link.client;
    if (!parsed || !client) return;
    try {
      const metrics = decodePayload(payload).metrics;
      if (
        parsed.type === 'NCMD' &&
        metrics.some((m) => m.name === NODE_CONTROL_REBIRTH && m.value === true)
      ) {
        this.#stats.rebirths++;
        this.#ctx.log.info({}, 'rebirth requested');
        this.#births(client);
        return;
      }
      if (parsed.type === 'DCMD' && this.#ctx.onCommand) {
        const commands = this.#points.commands(parsed.device, metrics);
        this.#stats.commandsReceived += commands.length;
        for (const c of commands) this.#ctx.onCommand(c);
        return;
      }
    } catch (err) {
      this.#ctx.log.warn({ topic: t, err: (err as Error).message }, 'unreadable command');
    }
    this.#stats.commandsIgnored++;
  }
}
