/**
 * Plain-JSON mode for consumers such as Node-RED: one object per poll on
 * `lianwang/{enterprise}/{device}/data`, the device state retained on
 * `lianwang/{enterprise}/{device}/status`. Same store-and-forward as Sparkplug: undelivered
 * data is queued on disk and replayed in order, marked `"historical": true`.
 */
import type { MqttClient } from 'mqtt';
import type { GatewayFile } from '../../config/index.ts';
import type { DiskQueue } from '../buffer/disk-queue.ts';
import { Backlog } from './backlog.ts';
import { MqttLink } from './mqtt-link.ts';
import {
  type DeviceMeta,
  type DeviceStatus,
  type DriverLog,
  emptyNorthStats,
  type NorthStats,
  type Publisher,
  type Reading,
} from './types.ts';

export interface JsonContext {
  config: GatewayFile;
  devices: readonly DeviceMeta[];
  queue: DiskQueue;
  log: DriverLog;
}

/** The data message: values and source times by point; bad points are null. */
export interface JsonData {
  enterprise: string;
  device: string;
  /** Latest source time in the message (ms since the epoch). */
  time: number;
  values: Record<string, number | boolean | string | null>;
  times: Record<string, number>;
  historical?: true;
}

const jsonValue = (v: Reading['value']): number | boolean | string | null =>
  typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v;

export class JsonPublisher implements Publisher {
  readonly #ctx: JsonContext;
  readonly #link: MqttLink;
  readonly #devices = new Map<string, DeviceMeta>();
  readonly #stats: NorthStats = emptyNorthStats();
  readonly #backlog: Backlog;

  constructor(ctx: JsonContext) {
    this.#ctx = ctx;
    this.#backlog = new Backlog(ctx.queue, ctx.log);
    for (const d of ctx.devices) this.#devices.set(d.key, d);
    const g = ctx.config.gateway;
    this.#link = new MqttLink({
      mqtt: ctx.config.mqtt,
      clientId: ctx.config.mqtt.clientId ?? `lianwang-${g.group}-${g.node}`,
      log: ctx.log,
      will: () => Promise.resolve(undefined),
      onConnect: () => Promise.resolve(),
      onUp: (client) => void this.#replay(client),
      onDisconnect: () => undefined,
      onMessage: () => undefined,
    });
  }

  start(): Promise<void> {
    this.#link.start();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.#link.stop();
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
    const client = this.#link.client;
    const meta = this.#devices.get(device);
    if (!client || !meta) return;
    client.publish(this.#topic(meta, 'status'), JSON.stringify(status), { qos: 1, retain: true });
  }

  readings(device: string, readings: Reading[]): void {
    const meta = this.#devices.get(device);
    if (!meta || !readings.length) return;
    const data: JsonData = { enterprise: meta.enterprise, device: meta.id, time: 0, values: {}, times: {} };
    for (const r of readings) {
      data.values[r.point] = r.good ? jsonValue(r.value) : null;
      data.times[r.point] = r.time;
      data.time = Math.max(data.time, r.time);
    }
    const topic = this.#topic(meta, 'data');
    const payload = Buffer.from(JSON.stringify(data));
    const store = () => {
      this.#stats.pointsQueued += readings.length;
      this.#ctx.queue
        .append([{ topic, payload, sourceTime: Math.min(...Object.values(data.times)) }])
        .catch((err: unknown) =>
          this.#ctx.log.error({ err: (err as Error).message }, 'buffer append failed'),
        );
    };
    const client = this.#link.client;
    if (!client) return store();
    client.publish(topic, payload, { qos: this.#ctx.config.sparkplug.qos }, (err) => {
      if (err) return store();
      this.#stats.published.data = (this.#stats.published.data ?? 0) + 1;
      this.#stats.pointsPublished += readings.length;
    });
  }

  setDevices(devices: readonly DeviceMeta[]): void {
    this.#devices.clear();
    for (const d of devices) this.#devices.set(d.key, d);
  }

  #topic(meta: DeviceMeta, leaf: 'data' | 'status'): string {
    return `lianwang/${meta.enterprise}/${meta.id}/${leaf}`;
  }

  #replay(client: MqttClient): Promise<void> {
    return this.#backlog.replay(
      () => this.#link.client === client,
      async (e) => {
        let data: JsonData;
        try {
          data = { ...(JSON.parse(Buffer.from(e.payload).toString('utf8')) as JsonData), historical: true };
        } catch (err) {
          this.#ctx.log.error(
            { id: e.id, err: (err as Error).message },
            'dropping an unreadable buffered record',
          );
          return true;
        }
        try {
          await client.publishAsync(e.topic, JSON.stringify(data), { qos: 1 });
        } catch {
          return false;
        }
        this.#stats.pointsReplayed += Object.keys(data.values).length;
        return true;
      },
    );
  }
}
