/**
 * The uplink of one virtual edge node: one MQTT connection per node, because the Sparkplug Will
 * (NDEATH with the connection's bdSeq) belongs to a connection — a pool shared by nodes could
 * carry only one Will and a dropped pooled socket would kill many nodes at once. Measured here:
 * 2,000 mqtt.js connections to mosquitto cost ~100 MB and publish 10,000 QoS 0 messages/s at 19%
 * of a core (QoS 1: 28%), so thousands of connections are affordable.
 *
 * `memoryLinks()` is the same contract without a broker: the offline fleet (tests, `--dry-run`)
 * hands every frame to a function, synchronously, so a seed replays byte for byte.
 */
import mqtt, { type IClientOptions } from 'mqtt';

export interface Frame {
  topic: string;
  payload: Buffer;
}

export interface LinkOptions {
  clientId: string;
  /** The NDEATH the broker publishes if the connection is lost (QoS 1, not retained). */
  will: Frame;
  /** NCMD/DCMD filters, subscribed before the link reports up (births come after). */
  subscribe: string[];
}

export interface LinkHandlers {
  /** Connected and subscribed: publish the births now. */
  onUp(link: NodeLink): void;
  /** Lost without drop() or close() — refused, reset, keepalive. Called once per link. */
  onDown(link: NodeLink, reason: string): void;
  onCommand(topic: string, payload: Buffer): void;
}

export interface NodeLink {
  readonly up: boolean;
  /** `done` runs when the message is written (QoS 0) or acknowledged (QoS 1), with an error if not. */
  publish(topic: string, payload: Buffer, qos: 0 | 1, done?: (err?: Error) => void): void;
  /** Bytes handed to the socket and not yet sent: the broker is not keeping up when it grows. */
  backlog(): number;
  /** Uplink cut: the socket is destroyed without DISCONNECT, so the broker publishes the Will. */
  drop(): void;
  /** Deliberate shutdown: `last` (the NDEATH) at QoS 1, then DISCONNECT. */
  close(last?: Frame): Promise<void>;
}

export type LinkFactory = (o: LinkOptions, h: LinkHandlers) => NodeLink;

export interface MqttLinkOptions {
  broker: string;
  protocolVersion?: 4 | 5;
  keepaliveS?: number;
  username?: string;
  password?: string;
}

export function mqttLinks(o: MqttLinkOptions): LinkFactory {
  return (lo, h) => {
    const opts: IClientOptions = {
      clientId: lo.clientId,
      protocolVersion: o.protocolVersion ?? 4,
      clean: true,
      reconnectPeriod: 0, // the fleet reconnects itself, with a new bdSeq in the Will
      connectTimeout: 30_000,
      keepalive: o.keepaliveS ?? 30,
      will: { topic: lo.will.topic, payload: lo.will.payload, qos: 1, retain: false },
      ...(o.username ? { username: o.username } : {}),
      ...(o.password ? { password: o.password } : {}),
    };
    const client = mqtt.connect(o.broker, opts);
    let up = false;
    let ended = false;
    let lastError = '';
    const link: NodeLink = {
      get up() {
        return up;
      },
      publish(topic, payload, qos, done) {
        client.publish(topic, payload, { qos }, done);
      },
      backlog: () => client.stream?.writableLength ?? 0,
      drop() {
        ended = true;
        up = false;
        client.end(true); // forced: no DISCONNECT, the socket is destroyed
      },
      async close(last) {
        ended = true;
        if (up && last)
          await client.publishAsync(last.topic, last.payload, { qos: 1 }).catch(() => undefined);
        up = false;
        await client.endAsync().catch(() => undefined);
      },
    };
    client.on('connect', () => {
      client.subscribe(lo.subscribe, { qos: 1 }, (err) => {
        if (ended) return;
        if (err) {
          ended = true;
          client.end(true);
          h.onDown(link, `subscribe failed: ${err.message}`);
          return;
        }
        up = true;
        h.onUp(link);
      });
    });
    client.on('message', (topic, payload) => h.onCommand(topic, payload));
    client.on('error', (err) => (lastError = err.message));
    client.on('close', () => {
      up = false;
      if (ended) return;
      ended = true;
      client.end(true);
      h.onDown(link, lastError || 'connection closed');
    });
    return link;
  };
}

export interface MemoryBroker {
  links: LinkFactory;
  /** Drops the link of `clientId` as if the network failed (the Will is published). */
  fail(clientId: string): void;
  /** Delivers a command (NCMD/DCMD) to the link of `clientId`. */
  command(clientId: string, f: Frame): void;
}

/** Links that deliver to `sink` at once: up on creation, the Will on drop(), NDEATH on close(). */
export function memoryLinks(sink: (clientId: string, f: Frame) => void): MemoryBroker {
  const open = new Map<string, { link: NodeLink; down: () => void; h: LinkHandlers }>();
  return {
    links(lo, h) {
      let up = true;
      const link: NodeLink = {
        get up() {
          return up;
        },
        publish(topic, payload, _qos, done) {
          if (!up) return done?.(new Error('link is down'));
          sink(lo.clientId, { topic, payload });
          done?.();
        },
        backlog: () => 0,
        drop() {
          if (!up) return;
          up = false;
          open.delete(lo.clientId);
          sink(lo.clientId, lo.will);
        },
        close(last) {
          if (up && last) sink(lo.clientId, last);
          up = false;
          open.delete(lo.clientId);
          return Promise.resolve();
        },
      };
      open.set(lo.clientId, {
        link,
        h,
        down: () => {
          link.drop();
          h.onDown(link, 'failed by the test');
        },
      });
      h.onUp(link);
      return link;
    },
    fail: (clientId) => open.get(clientId)?.down(),
    command: (clientId, f) => open.get(clientId)?.h.onCommand(f.topic, f.payload),
  };
}
