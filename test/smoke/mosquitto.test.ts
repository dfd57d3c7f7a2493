import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { mosquittoBinary, startMosquitto } from '../helpers/mosquitto.ts';
import { connectMqtt, nextMessage, remoteAddress } from '../helpers/mqtt.ts';
import { useServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';

const mosquitto = useServer(startMosquitto, mosquittoBinary);

describe('mosquitto (real server, MQTT 5)', () => {
  const clients: MqttClient[] = [];
  const connect = async (url: string) => {
    const client = await connectMqtt(url, 5);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  });

  for (const host of ['::1', '127.0.0.1']) {
    it(`delivers a publish to a subscriber over ${host}`, async (ctx) => {
      const { port } = mosquitto.get(ctx);
      const url = host.includes(':') ? `mqtt://[${host}]:${port}` : `mqtt://${host}:${port}`;
      const [subscriber, publisher] = [await connect(url), await connect(url)];
      expect(remoteAddress(subscriber)).toBe(host);
      await subscriber.subscribeAsync('lianwang/smoke/+', { qos: 1 });
      const received = nextMessage(subscriber);
      await publisher.publishAsync(`lianwang/smoke/${host}`, `hello over ${host}`, { qos: 1 });
      expect(await received).toEqual({ topic: `lianwang/smoke/${host}`, payload: `hello over ${host}` });
    });
  }

  it('shares $share/g/… among the group: each message reaches exactly one member', async (ctx) => {
    const { url } = mosquitto.get(ctx);
    const members = [await connect(url), await connect(url)];
    const got = members.map(() => [] as string[]);
    for (const [i, member] of members.entries()) {
      member.on('message', (_topic, payload) => got[i]?.push(payload.toString()));
      await member.subscribeAsync('$share/g/lianwang/shared', { qos: 1 });
    }
    const publisher = await connect(url);
    const sent = Array.from({ length: 10 }, (_, i) => `m${i}`);
    for (const payload of sent) await publisher.publishAsync('lianwang/shared', payload, { qos: 1 });
    await waitFor(() => got.flat().length >= sent.length, {
      what: '10 messages across the group',
      timeoutMs: 5_000,
    });
    expect(got.flat().sort()).toEqual(sent.sort());
    // mosquitto hands shared messages out round robin, so both members get some.
    expect(got.map((messages) => messages.length > 0)).toEqual([true, true]);
  });
});
