/**
 * One MQTT connection with failover and backoff, for a publisher that must control exactly
 * what happens on every (re)connect: mqtt.js's own reconnect is off, because it would replay
 * its in-memory queue before our births and could not renew the Will's bdSeq. Each attempt
 * builds a fresh client (new Will), tries the next broker of the list after a failure, and
 * waits with exponential backoff and jitter.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { GatewayFile } from '../../config/index.ts';
import type { DriverLog } from '../drivers/types.ts';

export interface Will {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
}

export interface MqttLinkOptions {
  mqtt: GatewayFile['mqtt'];
  clientId: string;
  log: DriverLog;
  /** Called before every attempt: the Will for this connection. */
  will: () => Promise<Will | undefined>;
  /** Called once connected, before anything else is published: subscribe, publish births. */
  onConnect: (client: MqttClient) => Promise<void>;
  /** Called once the link is up (after onConnect succeeded): live publishing may start. */
  onUp?: (client: MqttClient) => void;
  /** Called once the connection is gone (after onConnect succeeded). */
  onDisconnect: () => void;
  onMessage: (topic: string, payload: Buffer) => void;
}

export class MqttLink {
  readonly #opts: MqttLinkOptions;
  #client: MqttClient | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #up = false;
  broker: string | undefined;
  connects = 0;
  failures = 0;

  constructor(opts: MqttLinkOptions) {
    this.#opts = opts;
  }

  get connected(): boolean {
    return this.#up && (this.#client?.connected ?? false);
  }

  get client(): MqttClient | undefined {
    return this.#up ? this.#client : undefined;
  }

  start(): void {
    this.#loop = this.#run();
  }

  /** Ends the connection (after `beforeClose`, e.g. a graceful NDEATH) and the reconnect loop. */
  async stop(beforeClose?: (client: MqttClient) => Promise<void>): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    const client = this.#client;
    if (client?.connected && beforeClose) await beforeClose(client).catch(() => undefined);
    await client?.endAsync().catch(() => undefined);
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { mqtt: m, log } = this.#opts;
    let attempt = 0;
    while (!this.#stopped) {
      const url = m.brokers[attempt % m.brokers.length] ?? '';
      const will = await this.#opts.will();
      let client: MqttClient;
      try {
        client = await mqtt.connectAsync(url, this.#clientOptions(will), false);
      } catch (err) {
        this.failures++;
        attempt++;
        const step = Math.min(m.reconnectMax, m.reconnectMin * 2 ** Math.min(attempt - 1, 20));
        const delay = step * (0.5 + Math.random() * 0.5);
        log.warn(
          { broker: url, err: (err as Error).message, retryMs: Math.round(delay) },
          'mqtt connect failed',
        );
        await this.#sleep(delay);
        continue;
      }
      this.#client = client;
      this.broker = url;
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.on('error', (err) => log.warn({ broker: url, err: err.message }, 'mqtt error'));
      client.on('message', (topic, payload) => this.#opts.onMessage(topic, payload));
      try {
        await this.#opts.onConnect(client);
        this.#up = true;
        this.connects++;
        attempt = 0;
        log.info({ broker: url }, 'mqtt connected');
        this.#opts.onUp?.(client);
      } catch (err) {
        log.warn({ broker: url, err: (err as Error).message }, 'mqtt session setup failed');
        client.end(true);
      }
      await closed;
      if (this.#up) {
        this.#up = false;
        this.#opts.onDisconnect();
        log.warn({ broker: url }, 'mqtt disconnected');
      }
      client.removeAllListeners('message');
      if (!this.#stopped) await this.#sleep(m.reconnectMin * (0.5 + Math.random() * 0.5));
    }
  }

  #clientOptions(will: Will | undefined): IClientOptions {
    const m = this.#opts.mqtt;
    const tls = m.tls;
    return {
      clientId: this.#opts.clientId,
      protocolVersion: m.protocolVersion,
      clean: true,
      keepalive: Math.round(m.keepalive / 1000),
      connectTimeout: m.connectTimeout,
      reconnectPeriod: 0,
      queueQoSZero: false,
      // A PINGREQ every keepalive instead of re-arming the keepalive timer on every PUBACK (a
      // clearTimeout + setTimeout per message, ~1.5% of the gateway's CPU at 100 messages/s). A dead
      // broker is still noticed within 1.5 × keepalive.
      reschedulePings: false,
      // mqtt-packet would otherwise pre-build 65,536 two-byte Buffers for packet ids and lengths
      // (~7 MB of heap for the life of the process); allocating the few it needs is cheaper here.
      writeCache: false,
      ...(m.username === undefined ? {} : { username: m.username }),
      ...(m.password === undefined ? {} : { password: m.password }),
      // Read at every attempt, so a rotated secret is picked up; a missing file fails this attempt.
      ...(m.passwordFile === undefined
        ? {}
        : { password: readFileSync(m.passwordFile, 'utf8').replace(/\r?\n$/, '') }),
      ...(will ? { will } : {}),
      ...(tls
        ? {
            rejectUnauthorized: tls.rejectUnauthorized,
            ...(tls.ca ? { ca: readFileSync(tls.ca) } : {}),
            ...(tls.cert ? { cert: readFileSync(tls.cert) } : {}),
            ...(tls.key ? { key: readFileSync(tls.key) } : {}),
          }
        : {}),
    };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
