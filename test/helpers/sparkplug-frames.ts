/**
 * Sparkplug B messages of one scripted edge node, encoded with the shared codec: what a
 * gateway would publish, with exact control over seq, bdSeq, aliases and timestamps. Used to
 * replay known traffic into ingest (rate oracle, malformed-input and ordering tests).
 */
import {
  BD_SEQ,
  encodePayload,
  NODE_CONTROL_REBIRTH,
  SparkplugType,
  topic,
  type Metric,
} from '../../wire/sparkplug/index.ts';

export interface Frame {
  topic: string;
  payload: Buffer;
}

export interface DeviceDef {
  id: string;
  /** metric name → Sparkplug datatype */
  metrics: Record<string, number>;
}

export class EdgeScript {
  seq = 0;
  bdSeq = 0;
  readonly aliases = new Map<string, number>();

  constructor(
    readonly group: string,
    readonly node: string,
    readonly devices: DeviceDef[],
  ) {
    let next = 1;
    for (const d of devices) for (const m of Object.keys(d.metrics)) this.aliases.set(`${d.id}|${m}`, next++);
  }

  #nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) % 256;
    return s;
  }

  nbirth(time: number): Frame {
    this.seq = 0;
    const metrics: Metric[] = [
      { name: BD_SEQ, datatype: SparkplugType.UInt64, value: BigInt(this.bdSeq), timestamp: time },
      { name: NODE_CONTROL_REBIRTH, datatype: SparkplugType.Boolean, value: false, timestamp: time },
    ];
    return this.#frame(topic.nbirth(this.group, this.node), {
      timestamp: time,
      seq: this.#nextSeq(),
      metrics,
    });
  }

  ndeath(bdSeq = this.bdSeq): Frame {
    return {
      topic: topic.ndeath(this.group, this.node),
      payload: Buffer.from(
        encodePayload({
          timestamp: Date.now(),
          metrics: [{ name: BD_SEQ, datatype: SparkplugType.UInt64, value: BigInt(bdSeq) }],
        }),
      ),
    };
  }

  dbirth(device: string, time: number, values: Record<string, number | boolean | string> = {}): Frame {
    const d = this.#device(device);
    const metrics: Metric[] = Object.entries(d.metrics).map(([name, datatype]) => ({
      name,
      alias: this.aliases.get(`${device}|${name}`),
      datatype,
      timestamp: time,
      ...(name in values ? { value: values[name] } : { isNull: true, value: null }),
    }));
    return this.#frame(topic.dbirth(this.group, this.node, device), {
      timestamp: time,
      seq: this.#nextSeq(),
      metrics,
    });
  }

  ddeath(device: string, time: number): Frame {
    return this.#frame(topic.ddeath(this.group, this.node, device), {
      timestamp: time,
      seq: this.#nextSeq(),
      metrics: [],
    });
  }

  /** DDATA by alias (as a live gateway sends); `historical` adds names too, as replay does. */
  ddata(
    device: string,
    samples: { metric: string; time: number; value: number | boolean | string | null }[],
    opts: { historical?: boolean; seq?: number; alias?: number } = {},
  ): Frame {
    const d = this.#device(device);
    const metrics: Metric[] = samples.map((s) => {
      const datatype = d.metrics[s.metric];
      if (datatype === undefined) throw new Error(`no metric ${s.metric} on ${device}`);
      return {
        ...(opts.historical ? { name: s.metric, isHistorical: true } : {}),
        alias: opts.alias ?? this.aliases.get(`${device}|${s.metric}`),
        datatype,
        timestamp: s.time,
        ...(s.value === null ? { isNull: true, value: null } : { value: s.value }),
      };
    });
    const seq = opts.seq ?? this.#nextSeq();
    return this.#frame(
      topic.ddata(this.group, this.node, device),
      { timestamp: Math.max(...samples.map((s) => s.time)), seq, metrics },
      true,
    );
  }

  #device(id: string): DeviceDef {
    const d = this.devices.find((x) => x.id === id);
    if (!d) throw new Error(`no device ${id}`);
    return d;
  }

  #frame(t: string, p: Parameters<typeof encodePayload>[0], omitDatatypes = false): Frame {
    return { topic: t, payload: Buffer.from(encodePayload(p, { omitDatatypes })) };
  }
}
