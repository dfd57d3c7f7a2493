import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';

/** A connected client that fails fast instead of reconnecting. aedes needs protocolVersion 4. */
export function connectMqtt(url: string, protocolVersion: 4 | 5): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion, reconnectPeriod: 0, connectTimeout: 5_000 }, false);
}

/** The peer address of the client's TCP connection: proves which address family was used. */
export function remoteAddress(client: MqttClient): string | undefined {
  return (client.stream as Socket).remoteAddress;
}

/** The next message the client receives, as text; rejects after `timeoutMs`. */
export function nextMessage(
  client: MqttClient,
  timeoutMs = 5_000,
): Promise<{ topic: string; payload: string }> {
  return new Promise((resolve, reject) => {
    const onMessage = (topic: string, payload: Buffer) => {
      clearTimeout(timer);
      resolve({ topic, payload: payload.toString('utf8') });
    };
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no MQTT message within ${timeoutMs}ms`));
    }, timeoutMs);
    client.once('message', onMessage);
  });
}
