/** Shared pieces of the security tests: a captured logger and MQTT clients that fail fast. */
import { Writable } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';

export interface CapturedLog {
  log: Logger;
  lines: string[];
  /** Parsed JSON lines whose `msg` is `msg`. */
  entries: (msg?: string) => Record<string, unknown>[];
}

export function captureLog(level = 'debug'): CapturedLog {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return {
    log: pino({ level }, sink),
    lines,
    entries: (msg) =>
      lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => msg === undefined || e.msg === msg),
  };
}

/** A connected MQTT 3.1.1 client (aedes) that does not reconnect; rejects with the CONNACK error. */
export function connect(url: string, opts: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(
    url,
    { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...opts },
    false,
  );
}

/** Resolves when the client's connection closes (e.g. the broker dropped it). */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected && client.disconnected) return resolve();
    client.once('close', () => resolve());
  });
}

/** Messages a client receives, in order. */
export function collect(client: MqttClient): { topic: string; payload: Buffer }[] {
  const got: { topic: string; payload: Buffer }[] = [];
  client.on('message', (topic, payload) => got.push({ topic, payload }));
  return got;
}
