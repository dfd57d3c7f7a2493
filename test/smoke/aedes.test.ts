import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startAedes } from '../helpers/aedes.ts';
import { connectMqtt, nextMessage, remoteAddress } from '../helpers/mqtt.ts';
import { useServer } from '../helpers/servers.ts';

const aedes = useServer(startAedes);

describe('embedded aedes broker (MQTT 3.1.1)', () => {
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  });

  for (const host of ['::1', '127.0.0.1']) {
    it(`delivers a publish to a subscriber over ${host} (dual stack on ::)`, async (ctx) => {
      const { port } = aedes.get(ctx);
      const url = host.includes(':') ? `mqtt://[${host}]:${port}` : `mqtt://${host}:${port}`;
      const subscriber = await connectMqtt(url, 4);
      clients.push(subscriber);
      const publisher = await connectMqtt(url, 4);
      clients.push(publisher);
      expect(remoteAddress(subscriber)).toBe(host);
      await subscriber.subscribeAsync('lianwang/smoke/#', { qos: 1 });
      const received = nextMessage(subscriber);
      await publisher.publishAsync('lianwang/smoke/aedes', `hello over ${host}`, { qos: 1 });
      expect(await received).toEqual({ topic: 'lianwang/smoke/aedes', payload: `hello over ${host}` });
    });
  }
});
