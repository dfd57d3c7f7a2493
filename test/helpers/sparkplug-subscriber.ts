/**
 * A Sparkplug host-side observer for tests: decodes every message of a group, keeps the alias
 * tables from births, checks seq continuity, and records every sample by device, point and
 * source time.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { decodePayload, type Metric, parseTopic, topic } from '../../wire/sparkplug/index.ts';

export interface Observed {
  type: string;
  device?: string;
  seq?: number;
  metrics: Metric[];
}

/** A sample (device, point, source time) that arrived again in a message the broker did not mark DUP. */
export interface Repeat {
  key: string;
  time: number;
  /** How it came first and again: 'DBIRTH', 'DDATA' or 'DDATA historical'. */
  first: string;
  again: string;
}

export class SparkplugObserver {
  readonly messages: Observed[] = [];
  /** `<device>|<point>` → source time → value */
  readonly samples = new Map<string, Map<number, unknown>>();
  readonly seqGaps: string[] = [];
  /** Samples delivered more than once (not counting the broker's own DUP redeliveries). */
  readonly repeats: Repeat[] = [];
  readonly #via = new Map<string, string>();
  /** Messages that failed to decode: a test should expect none. */
  readonly errors: string[] = [];
  readonly #names = new Map<string, string>();
  #lastSeq: number | undefined;
  client: MqttClient | undefined;

  constructor(readonly group: string) {}

  async connect(url: string, protocolVersion: 4 | 5, persistent = false): Promise<void> {
    const options = {
      protocolVersion,
      clientId: `observer-${this.group}`,
      clean: !persistent,
      reconnectPeriod: persistent ? 100 : 0,
      connectTimeout: 5000,
      ...(persistent && protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
    };
    // A persistent observer must keep reconnecting through broker restarts: connectAsync's
    // no-retry mode would end the client at its first disconnect.
    this.client = persistent ? mqtt.connect(url, options) : await mqtt.connectAsync(url, options, false);
    if (persistent) {
      const client = this.client;
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
    }
    this.client.on('message', (t, payload, packet) => this.#on(t, payload, packet.dup));
    await this.client.subscribeAsync(`spBv1.0/${this.group}/#`, { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true);
  }

  async rebirth(node: string): Promise<void> {
    const { encodePayload, NODE_CONTROL_REBIRTH, SparkplugType } =
      await import('../../wire/sparkplug/index.ts');
    const payload = encodePayload({
      timestamp: Date.now(),
      metrics: [{ name: NODE_CONTROL_REBIRTH, datatype: SparkplugType.Boolean, value: true }],
    });
    await this.client?.publishAsync(topic.ncmd(this.group, node), Buffer.from(payload), { qos: 1 });
  }

  /** Publishes a DCMD to a device of an edge node (QoS 1). */
  async dcmd(node: string, device: string, metrics: Metric[]): Promise<void> {
    const { encodePayload } = await import('../../wire/sparkplug/index.ts');
    const payload = encodePayload({ timestamp: Date.now(), metrics });
    await this.client?.publishAsync(topic.dcmd(this.group, node, device), Buffer.from(payload), { qos: 1 });
  }

  count(type: string, device?: string): number {
    return this.messages.filter((m) => m.type === type && (device === undefined || m.device === device))
      .length;
  }

  #on(t: string, payload: Buffer, dup = false): void {
    const parsed = parseTopic(t);
    if (!parsed || parsed.type === 'STATE') return;
    let p: ReturnType<typeof decodePayload>;
    try {
      p = decodePayload(payload);
    } catch (err) {
      this.errors.push(`${t}: ${(err as Error).message}`);
      return;
    }
    const device = 'device' in parsed ? parsed.device : undefined;
    this.messages.push({
      type: parsed.type,
      ...(device ? { device } : {}),
      ...(p.seq === undefined ? {} : { seq: p.seq }),
      metrics: p.metrics,
    });
    if (parsed.type !== 'NDEATH' && parsed.type !== 'NCMD' && parsed.type !== 'DCMD') {
      if (parsed.type === 'NBIRTH') this.#lastSeq = p.seq;
      else if (this.#lastSeq !== undefined && p.seq !== (this.#lastSeq + 1) % 256) {
        this.seqGaps.push(`${parsed.type} ${device ?? ''}: seq ${p.seq} after ${this.#lastSeq}`);
        this.#lastSeq = p.seq;
      } else this.#lastSeq = p.seq;
    }
    if (!device) return;
    for (const m of p.metrics) {
      if (m.name !== undefined && m.alias !== undefined)
        this.#names.set(`${device}|${String(m.alias)}`, m.name);
      const name = m.name ?? this.#names.get(`${device}|${String(m.alias)}`);
      if (!name || m.timestamp === undefined || m.isNull) continue;
      const key = `${device}|${name}`;
      let byTime = this.samples.get(key);
      if (!byTime) this.samples.set(key, (byTime = new Map<number, unknown>()));
      const how = m.isHistorical ? `${parsed.type} historical` : parsed.type;
      const first = this.#via.get(`${key}@${m.timestamp}`);
      if (first === undefined) this.#via.set(`${key}@${m.timestamp}`, how);
      else if (!dup) this.repeats.push({ key, time: m.timestamp, first, again: how });
      byTime.set(m.timestamp, m.value);
    }
  }
}
