/**
 * A third-party Sparkplug edge node whose devices stamp samples with their own, wrong clocks:
 * the chaos run's "clock-skewed device timestamps". lianwang's own gateways cannot produce them:
 * Modbus carries no time, so the gateway stamps each reading with its own clock when the answer
 * arrives (gateway/drivers/modbus/poller.ts), and the simulators have no clock to skew. Devices that
 * stamp themselves reach lianwang through OPC UA source timestamps or another vendor's Sparkplug
 * edge node; this is the latter, built on the test frames (test/helpers/sparkplug-frames.ts).
 *
 * It behaves like a careful edge node: a Will with its bdSeq, births on every connection and on a
 * rebirth command, and store-and-forward in memory — whatever was not acknowledged goes out again
 * as historical DDATA after a reconnect — so every sample it produces must reach the store, except
 * those ingest refuses by rule (source time more than maxFutureMs ahead of arrival).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { decodePayload, NODE_CONTROL_REBIRTH, SparkplugType, topic } from '../../wire/sparkplug/index.ts';
import { EdgeScript, type Frame } from '../helpers/sparkplug-frames.ts';

export interface SkewDevice {
  id: string;
  /** Added to the real clock for every sample the device stamps. */
  skewMs: number;
}

export interface SkewSample {
  device: string;
  metric: string;
  time: number;
  value: number;
}

const METRIC = 'v';
const REPLAY_CHUNK = 50;

export class SkewEdge {
  /** Every sample the devices produced, in order. */
  readonly produced: SkewSample[] = [];
  readonly #url: string;
  readonly #devices: readonly SkewDevice[];
  readonly #periodMs: number;
  readonly #script: EdgeScript;
  #buffer: SkewSample[] = [];
  readonly #inFlight = new Map<number, SkewSample[]>();
  #token = 0;
  #client: MqttClient | undefined;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #value = 0;
  connects = 0;

  constructor(o: { url: string; group: string; node: string; devices: SkewDevice[]; periodMs: number }) {
    this.#url = o.url;
    this.#devices = o.devices;
    this.#periodMs = o.periodMs;
    this.#script = new EdgeScript(
      o.group,
      o.node,
      o.devices.map((d) => ({ id: d.id, metrics: { [METRIC]: SparkplugType.Double } })),
    );
    this.#script.bdSeq = 255; // the first connection uses 0
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  /** Samples not yet acknowledged by the broker. */
  get pending(): number {
    let n = this.#buffer.length;
    for (const s of this.#inFlight.values()) n += s.length;
    return n;
  }

  start(): void {
    this.#loop = this.#run();
    this.#timer = setInterval(() => this.#tick(), this.#periodMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#client?.endAsync().catch(() => undefined);
    await this.#loop;
  }

  #tick(): void {
    const client = this.#client;
    for (const d of this.#devices) {
      const s: SkewSample = {
        device: d.id,
        metric: METRIC,
        time: Date.now() + d.skewMs,
        value: this.#value++,
      };
      this.produced.push(s);
      if (client) this.#send(client, this.#script.ddata(d.id, [s]), [s]);
      else this.#buffer.push(s);
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      this.#script.bdSeq = (this.#script.bdSeq + 1) % 256;
      const will = this.#script.ndeath();
      let client: MqttClient;
      try {
        client = await mqtt.connectAsync(
          this.#url,
          {
            protocolVersion: 5,
            clientId: `${this.#script.group}-${this.#script.node}`,
            clean: true,
            reconnectPeriod: 0,
            connectTimeout: 3_000,
            will: { topic: will.topic, payload: will.payload, qos: 1, retain: false },
          },
          false,
        );
      } catch {
        await sleep(300);
        continue;
      }
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.on('error', () => undefined);
      client.on('message', (t, payload) => this.#command(client, t, payload));
      try {
        await client.subscribeAsync(topic.ncmd(this.#script.group, this.#script.node), { qos: 1 });
        this.#client = client;
        this.connects++;
        this.#births(client);
        this.#replay(client);
      } catch {
        client.end(true);
      }
      await closed;
      this.#client = undefined;
      // Not acknowledged on this connection: not delivered, as far as this node can know.
      for (const samples of this.#inFlight.values()) this.#buffer.push(...samples);
      this.#inFlight.clear();
      client.end(true);
      if (!this.#stopped) await sleep(300);
    }
  }

  #births(client: MqttClient): void {
    const now = Date.now();
    this.#send(client, this.#script.nbirth(now), []);
    for (const d of this.#devices) this.#send(client, this.#script.dbirth(d.id, now), []);
  }

  #replay(client: MqttClient): void {
    const waiting = this.#buffer.sort((a, b) => a.time - b.time);
    this.#buffer = [];
    for (const d of this.#devices) {
      const mine = waiting.filter((s) => s.device === d.id);
      for (let i = 0; i < mine.length; i += REPLAY_CHUNK) {
        const chunk = mine.slice(i, i + REPLAY_CHUNK);
        this.#send(client, this.#script.ddata(d.id, chunk, { historical: true }), chunk);
      }
    }
  }

  #send(client: MqttClient, frame: Frame, samples: SkewSample[]): void {
    const token = this.#token++;
    this.#inFlight.set(token, samples);
    client.publish(frame.topic, frame.payload, { qos: 1 }, (err) => {
      if (!this.#inFlight.has(token)) return; // already put back when the connection closed
      this.#inFlight.delete(token);
      if (err) this.#buffer.push(...samples);
    });
  }

  #command(client: MqttClient, t: string, payload: Buffer): void {
    try {
      const rebirth = decodePayload(payload).metrics.some(
        (m) => m.name === NODE_CONTROL_REBIRTH && m.value === true,
      );
      if (rebirth && t === topic.ncmd(this.#script.group, this.#script.node)) this.#births(client);
    } catch {
      // Not a command this node understands: ignored, as the spec asks.
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
