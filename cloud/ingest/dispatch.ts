/**
 * The host application's message logic, free of MQTT plumbing: topic → validation →
 * decode → session state (births, deaths, aliases, seq) → samples and link events → the
 * sinks. `handle()` returns a promise when the message carried something that must be
 * durable before it is acknowledged, else undefined.
 */
import type { Logger } from 'pino';
import {
  BD_SEQ,
  decodePayload,
  parseTopic,
  SparkplugDecodeError,
  type Payload,
} from '../../wire/sparkplug/index.ts';
import type { LinkEvent, LinkEventType, OnlineMark, Sample } from '../store/types.ts';
import type { ActivityFeed } from '../rates/types.ts';
import { NodeSession } from './node-session.ts';
import { Rejects } from './rejects.ts';
import { toSamples } from './samples.ts';
import { jsonMessage } from './json.ts';
import type { IngestStats } from './types.ts';

export interface DispatchOptions {
  /** Store samples (a worker) — false for a tracker that only keeps state and rates. */
  store: boolean;
  /** Own seq checks, rebirth requests, online marks and link events. */
  track: boolean;
  reorderMs: number;
  /** How long DATA waits for the birth it needs. */
  parkMs: number;
  /** Parked messages per edge node. */
  parkMax: number;
  rebirthIntervalMs: number;
  maxFutureMs: number;
  maxPayloadBytes: number;
  /** Accept only these Sparkplug groups (enterprises), when set. */
  groups?: ReadonlySet<string>;
}

export interface DispatchSinks {
  samples(rows: Sample[]): Promise<void>;
  marks(rows: OnlineMark[]): Promise<void>;
  events(rows: LinkEvent[]): Promise<void>;
  feed?: ActivityFeed;
  /** A device id seen in telemetry, for the unregistered list. */
  seen?(enterprise: string, node: string, device: string, time: number): void;
  rebirth(group: string, node: string): void;
  log: Logger;
}

export class Dispatcher {
  readonly sessions = new Map<string, NodeSession>();
  readonly rejects: Rejects;
  readonly counts = { messages: 0, samples: 0, samplesStored: 0, seqGaps: 0, rebirths: 0 };
  readonly byType: Record<string, number> = {};
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: DispatchOptions,
    private readonly sinks: DispatchSinks,
  ) {
    this.rejects = new Rejects(sinks.log);
  }

  /** Starts the timer that expires seq reorder windows and parked messages. */
  start(): void {
    this.#timer = setInterval(
      () => this.sweep(Date.now()),
      Math.max(50, Math.min(this.o.reorderMs, 1000) / 2),
    );
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  stats(pending: number): IngestStats {
    return {
      ...this.counts,
      rebirthsRequested: this.counts.rebirths,
      rejected: { ...this.rejects.rejected },
      dropped: { ...this.rejects.dropped },
      pending,
    };
  }

  handle(topic: string, payload: Buffer, now = Date.now()): Promise<void> | undefined {
    this.counts.messages++;
    if (payload.length > this.o.maxPayloadBytes) {
      this.rejects.reject('too_large', topic.slice(0, 200), `${payload.length} bytes`, now);
      return undefined;
    }
    if (topic.startsWith('lianwang/')) return this.#json(topic, payload, now);
    const t = parseTopic(topic);
    if (!t) {
      this.rejects.reject('bad_topic', topic.slice(0, 200), 'not a Sparkplug B topic', now);
      return undefined;
    }
    this.byType[t.type] = (this.byType[t.type] ?? 0) + 1;
    if (t.type === 'STATE' || t.type === 'NCMD' || t.type === 'DCMD') return undefined;
    if (this.o.groups && !this.o.groups.has(t.group)) {
      this.rejects.reject('unauthorised_group', `${t.group}/${t.node}`, 'group not in the ledger', now);
      return undefined;
    }
    let p: Payload;
    try {
      p = decodePayload(payload, { maxBytes: this.o.maxPayloadBytes });
    } catch (err) {
      const why = err instanceof SparkplugDecodeError ? err.message : String(err);
      this.rejects.reject('malformed_payload', `${t.group}/${t.node}`, why, now);
      return undefined;
    }
    // seq is 0–255 (spec 3.0); the decoder passes any safe integer, and the seq tracker walks
    // the ring from the expected seq to this one: 300 never came round and froze ingest.
    if (p.seq !== undefined && p.seq > 255 && t.type !== 'NDEATH') {
      this.rejects.reject('malformed_payload', `${t.group}/${t.node}`, `seq ${p.seq} outside 0–255`, now);
      return undefined;
    }
    const s = this.#session(t.group, t.node);
    s.lastMessage = now;
    const device = t.device ?? '';
    if (t.type !== 'NDEATH' && this.o.track) this.#seq(s, t.type, p.seq, now);
    switch (t.type) {
      case 'NBIRTH': {
        const bd = p.metrics.find((m) => m.name === BD_SEQ)?.value;
        s.nbirth(
          typeof bd === 'number' || typeof bd === 'bigint' ? Number(bd) : undefined,
          p.metrics,
          p.seq,
          now,
        );
        const done = this.#write(s, '', p, now, [this.#event('NBIRTH', s, undefined, p.timestamp ?? now)]);
        return this.#unpark(s, now, done);
      }
      case 'NDEATH': {
        const bd = p.metrics.find((m) => m.name === BD_SEQ)?.value;
        const bdSeq = typeof bd === 'number' || typeof bd === 'bigint' ? Number(bd) : undefined;
        if (!s.ndeath(bdSeq, now)) {
          this.rejects.reject('stale_ndeath', s.key, `bdSeq ${bdSeq} ≠ current ${s.bdSeq}`, now);
          return undefined;
        }
        // The Will was composed at connect time: the arrival time is when the node died.
        return this.#events([this.#event('NDEATH', s, undefined, now)]);
      }
      case 'DBIRTH': {
        if (!s.nodeAliases && this.o.track) this.#rebirth(s, now); // DBIRTH before NBIRTH
        s.dbirth(device, p.metrics);
        const done = this.#write(s, device, p, now, [this.#event('DBIRTH', s, device, p.timestamp ?? now)]);
        return this.#unpark(s, now, done);
      }
      case 'DDEATH':
        s.ddeath(device);
        return this.#events([this.#event('DDEATH', s, device, p.timestamp ?? now)]);
      case 'NDATA':
      case 'DDATA':
        if (!s.aliases(device)) {
          this.#park(s, device, p, now);
          return undefined;
        }
        if (device === '') s.noteBacklog(p.metrics);
        return this.#write(s, device, p, now, []);
    }
  }

  /** Expires reorder windows (→ rebirth) and parked DATA whose birth never came. */
  sweep(now: number): void {
    for (const s of this.sessions.values()) {
      const lost = s.seq.expire(now);
      if (lost > 0 && this.o.track) {
        this.counts.seqGaps++;
        this.sinks.log.warn({ node: s.key, missing: lost }, 'seq gap: requesting rebirth');
        this.#rebirth(s, now);
      }
      while (s.parked.length && (s.parked[0]?.arrived ?? now) + this.o.parkMs <= now) {
        s.parked.shift();
        this.rejects.reject('no_birth', s.key, `DATA waited ${this.o.parkMs} ms for a birth`, now);
      }
    }
  }

  #session(group: string, node: string): NodeSession {
    const key = `${group}/${node}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = new NodeSession(group, node, this.o.reorderMs);
      this.sessions.set(key, s);
    }
    return s;
  }

  #seq(s: NodeSession, type: string, seq: number | undefined, now: number): void {
    if (seq === undefined) return;
    if (type === 'NBIRTH') return; // nbirth() resets the tracker
    s.seq.see(seq, now);
  }

  /**
   * Asks the edge node to publish its births again. Only the tracker does so for session-level
   * reasons (seq gaps, unknown aliases); any role may when it holds DATA of a node whose birth
   * it never saw — a worker (re)started mid-stream has no alias tables and no other way to get
   * them (Sparkplug births are not retained).
   */
  #rebirth(s: NodeSession, now: number, anyRole = false): void {
    if ((!this.o.track && !anyRole) || now - s.lastRebirthRequest < this.o.rebirthIntervalMs) return;
    s.lastRebirthRequest = now;
    s.rebirthsRequested++;
    this.counts.rebirths++;
    this.sinks.rebirth(s.group, s.node);
  }

  #park(s: NodeSession, device: string, p: Payload, now: number): void {
    if (s.parked.length >= this.o.parkMax) {
      s.parked.shift();
      this.rejects.reject('park_overflow', s.key, `over ${this.o.parkMax} messages waiting for a birth`, now);
    }
    s.parked.push({ device, payload: p, arrived: now });
    this.#rebirth(s, now, true);
  }

  /** After a birth: DATA parked for it goes through now (oldest first). */
  #unpark(s: NodeSession, now: number, done: Promise<void> | undefined): Promise<void> | undefined {
    if (!s.parked.length) return done;
    const waiting = s.parked.splice(0);
    const writes: Promise<void>[] = done ? [done] : [];
    for (const m of waiting) {
      if (!s.aliases(m.device)) {
        s.parked.push(m);
        continue;
      }
      const w = this.#write(s, m.device, m.payload, now, []);
      if (w) writes.push(w);
    }
    return writes.length ? Promise.all(writes).then(() => undefined) : undefined;
  }

  #event(type: LinkEventType, s: NodeSession, device: string | undefined, time: number): LinkEvent {
    return { time, type, enterprise: s.group, node: s.node, ...(device === undefined ? {} : { device }) };
  }

  #events(events: LinkEvent[]): Promise<void> | undefined {
    if (!this.o.track) return undefined;
    for (const e of events) this.sinks.feed?.event(e);
    return this.sinks.events(events);
  }

  /** Samples of one message → store (worker), then marks and events (tracker). */
  #write(
    s: NodeSession,
    device: string,
    p: Payload,
    now: number,
    events: LinkEvent[],
  ): Promise<void> | undefined {
    const conv = toSamples(p.metrics, s.aliases(device), {
      enterprise: s.group,
      node: s.node,
      device,
      payloadTime: p.timestamp,
      now,
      maxFutureMs: this.o.maxFutureMs,
    });
    this.rejects.drop(conv.dropped, device ? `${s.key}/${device}` : s.key, now);
    if (conv.unknownAlias) this.#rebirth(s, now);
    return this.#deliver(conv.samples, events);
  }

  #deliver(samples: Sample[], events: LinkEvent[]): Promise<void> | undefined {
    this.counts.samples += samples.length;
    const n = samples.length;
    const stored =
      this.o.store && n
        ? this.sinks.samples(samples).then(() => void (this.counts.samplesStored += n))
        : undefined;
    if (!this.o.track) return stored;
    const after = (): Promise<void> | undefined => {
      const marks: OnlineMark[] = [];
      for (const x of samples) {
        if (!x.good || x.device === '') continue;
        this.sinks.seen?.(x.enterprise, x.node, x.device, x.time);
        const bucket = this.sinks.feed?.sample(x.enterprise, x.node, x.device, x.time);
        if (bucket !== undefined) marks.push({ enterprise: x.enterprise, device: x.device, bucket });
      }
      const writes = [this.#events(events), marks.length ? this.sinks.marks(marks) : undefined].filter(
        (w): w is Promise<void> => w !== undefined,
      );
      return writes.length ? Promise.all(writes).then(() => undefined) : undefined;
    };
    // Online only once the samples reached the store (DOMAIN.md §1).
    return stored ? stored.then(after) : after();
  }

  #json(topic: string, payload: Buffer, now: number): Promise<void> | undefined {
    const m = jsonMessage(topic, payload, now, this.o.maxFutureMs);
    if (!m) return undefined;
    if (!m.ok) {
      this.rejects.reject(m.reason, topic.slice(0, 200), m.detail, now);
      return undefined;
    }
    if (this.o.groups && !this.o.groups.has(m.enterprise)) {
      this.rejects.reject('unauthorised_group', m.enterprise, 'enterprise not in the ledger', now);
      return undefined;
    }
    this.byType[m.kind] = (this.byType[m.kind] ?? 0) + 1;
    this.rejects.drop(m.dropped, `${m.enterprise}/${m.device}`, now);
    return this.#deliver(m.samples, m.events);
  }
}
