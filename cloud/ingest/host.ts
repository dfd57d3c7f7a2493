/**
 * The Sparkplug host application on MQTT: connects with a persistent session (so messages
 * published while ingest is down wait at the broker), publishes its retained STATE with a
 * Will, subscribes, hands messages to the Dispatcher, acknowledges each QoS 1 message only
 * once its samples are durable (acks.ts), stops reading when the store falls behind, and
 * sends rebirth NCMDs.
 *
 * Roles (docs/scaling.md): a single process tracks and stores; with shared subscriptions,
 * one tracker (non-shared, owns seq checks, rebirths, online marks and events) and N storing
 * workers that get every BIRTH/DEATH non-shared (alias tables) and DATA through
 * `$share/{group}/…`.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import {
  encodePayload,
  encodeState,
  NODE_CONTROL_REBIRTH,
  SparkplugType,
  stateTopic,
  topic as spTopic,
} from '../../wire/sparkplug/index.ts';
import { installDeferredAcks, type AckControl } from './acks.ts';
import { Dispatcher, type DispatchOptions, type DispatchSinks } from './dispatch.ts';
import type { EdgeNodeInfo, IngestStats } from './types.ts';

export interface IngestConfig extends Partial<Omit<DispatchOptions, 'store' | 'track'>> {
  /** mqtt://host:port or mqtts://…; IPv6 literals in brackets. */
  broker: string;
  /** Sparkplug host id (STATE topic). Default 'lianwang'. */
  hostId?: string;
  /** Default `lianwang-ingest-{hostId}` (+ `-w{n}` for workers: set it per worker). */
  clientId?: string;
  protocolVersion?: 4 | 5;
  username?: string;
  password?: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  store?: boolean;
  track?: boolean;
  /** Receive DATA through `$share/{shareGroup}/…` (MQTT 5 brokers such as mosquitto). */
  shareGroup?: string;
}

export interface IngestSinks extends Omit<DispatchSinks, 'rebirth' | 'log'> {
  /** Resolves when the store can take more (backpressure), undefined when it can now. */
  gate(): Promise<void> | undefined;
  pending(): number;
}

export interface Ingest {
  readonly dispatcher: Dispatcher;
  readonly acks: AckControl;
  readonly connected: boolean;
  nodes(): EdgeNodeInfo[];
  stats(): IngestStats;
  /** Resolves once connected and subscribed. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULTS = {
  reorderMs: 2000,
  parkMs: 30_000,
  parkMax: 1000,
  rebirthIntervalMs: 5000,
  maxFutureMs: 10 * 60_000,
  maxPayloadBytes: 4 * 1024 * 1024,
};

/** What a role subscribes to; exported for the docs test and scaling.md. */
export function subscriptions(track: boolean, shareGroup: string | undefined): string[] {
  if (track || !shareGroup) return ['spBv1.0/#', 'lianwang/+/+/data', 'lianwang/+/+/status'];
  const share = (t: string) => `$share/${shareGroup}/${t}`;
  return [
    'spBv1.0/+/NBIRTH/+',
    'spBv1.0/+/NDEATH/+',
    'spBv1.0/+/DBIRTH/+/+',
    'spBv1.0/+/DDEATH/+/+',
    share('spBv1.0/+/NDATA/+'),
    share('spBv1.0/+/DDATA/+/+'),
    share('lianwang/+/+/data'),
    'lianwang/+/+/status',
  ];
}

export function startIngest(cfg: IngestConfig, sinks: IngestSinks, log: Logger): Ingest {
  const track = cfg.track ?? true;
  const store = cfg.store ?? true;
  const hostId = cfg.hostId ?? 'lianwang';
  const options: DispatchOptions = {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(cfg).filter(([k, v]) => k in DEFAULTS && v !== undefined)),
    store,
    track,
    ...(cfg.groups ? { groups: cfg.groups } : {}),
  };
  const ref: { client?: MqttClient } = {};
  const dispatcher = new Dispatcher(options, {
    ...sinks,
    log,
    rebirth: (group, node) => {
      const c = ref.client;
      if (!c?.connected) return;
      const body = encodePayload({
        timestamp: Date.now(),
        metrics: [{ name: NODE_CONTROL_REBIRTH, datatype: SparkplugType.Boolean, value: true }],
      });
      log.info({ group, node }, 'requesting rebirth');
      c.publish(spTopic.ncmd(group, node), Buffer.from(body), { qos: 0 });
    },
  });

  const state = (online: boolean, timestamp: number) => Buffer.from(encodeState({ online, timestamp }));
  let stateTime = Date.now();
  const v5 = cfg.protocolVersion === 5;
  const opts: IClientOptions = {
    clientId: cfg.clientId ?? `lianwang-ingest-${hostId}`,
    protocolVersion: cfg.protocolVersion ?? 4,
    clean: false,
    // Fast: after a mosquitto 2.0.11 restart a worker's restored $share subscription receives
    // nothing until the worker re-subscribes (see subscriptions()), and DATA a gateway publishes
    // before that is acknowledged and dropped by the broker. Gateways back off from 500 ms (doubling),
    // so reconnecting every 200 ms makes the workers come back first (docs/reliability.md).
    reconnectPeriod: 200,
    connectTimeout: 10_000,
    ...(v5 ? { properties: { sessionExpiryInterval: 7 * 24 * 3600, receiveMaximum: 65_535 } } : {}),
    ...(cfg.username ? { username: cfg.username } : {}),
    ...(cfg.password ? { password: cfg.password } : {}),
    ...(cfg.tls ?? {}),
    ...(track
      ? { will: { topic: stateTopic(hostId), payload: state(false, stateTime), qos: 1, retain: true } }
      : {}),
  };
  const c = mqtt.connect(cfg.broker, opts);
  ref.client = c;
  const acks = installDeferredAcks(
    c,
    (t, payload) => dispatcher.handle(t, payload),
    () => sinks.gate(),
  );
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  let lastError = '';
  c.on('connect', (ack) => {
    log.info({ broker: cfg.broker, sessionPresent: ack.sessionPresent }, 'ingest connected');
    const subs = subscriptions(track, cfg.shareGroup);
    // mosquitto 2.0.11 restores a persistent session's $share subscriptions after a broker
    // restart, but delivers nothing to them (publishers still get PUBACKs: silent loss; found
    // by the chaos run, shown alone by test/chaos/mosquitto-shared-restart.ts). Unsubscribing
    // and subscribing again revives them; queued messages belong to the session and survive.
    const shared = subs.filter((t) => t.startsWith('$share/'));
    if (ack.sessionPresent && shared.length) c.unsubscribe(shared);
    c.subscribe(subs, { qos: 1 }, (err) => {
      if (err) return log.error({ err: err.message }, 'subscribe failed');
      if (track) c.publish(stateTopic(hostId), state(true, stateTime), { qos: 1, retain: true });
      readyResolve();
    });
  });
  c.on('close', () => {
    // Sparkplug 3.0: the Will and the next STATE birth carry one new timestamp per connection.
    stateTime = Date.now();
    if (track && c.options.will) c.options.will.payload = state(false, stateTime);
  });
  let stopping = false;
  c.on('error', (err) => {
    // After stop(), a PUBACK still held for a batch that became durable meets the closed stream
    // ("write after end"): the broker redelivers that message to the persistent session, so no error.
    if (stopping) {
      log.debug({ broker: cfg.broker, err: err.message }, 'ingest MQTT error after stop');
      return;
    }
    if (err.message !== lastError) log.error({ broker: cfg.broker, err: err.message }, 'ingest MQTT error');
    lastError = err.message;
  });
  dispatcher.start();

  return {
    dispatcher,
    acks,
    get connected() {
      return c.connected;
    },
    nodes: () => [...dispatcher.sessions.values()].map((s) => s.info()),
    stats: () => dispatcher.stats(sinks.pending()),
    ready: () => ready,
    async stop() {
      stopping = true;
      dispatcher.stop();
      if (track && c.connected) {
        await c
          .publishAsync(stateTopic(hostId), state(false, Date.now()), { qos: 1, retain: true })
          .catch(() => undefined);
      }
      await c.endAsync();
    },
  };
}
