/**
 * What two aedes nodes sharing a real redis-server share (cloud/broker/cluster.ts), client by client
 * with mqtt.js over MQTT 3.1.1: messages cross nodes at QoS 0 and 1, retained messages are seen from
 * the other node, a persistent session moves between nodes under steady QoS 1 traffic without losing
 * a message (and every CONNACK arrives: the aedes restore race cluster.ts closes), a SUBSCRIBE with
 * several topics is acknowledged (the persistence wait cluster.ts fixes), and closing the nodes
 * leaves no Redis connection behind.
 */
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../cloud/broker/embedded.ts';
import { requireBinary } from '../helpers/binaries.ts';
import { type RedisServer, redisBinary, startRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';

const missing = requireBinary(redisBinary.name, redisBinary.installHint);
let redis: RedisServer | undefined;
let a: EmbeddedBroker;
let b: EmbeddedBroker;
const clients: MqttClient[] = [];

beforeAll(async () => {
  if (!missing.found) return;
  redis = await startRedis();
  const cluster = { redis: redis.url, heartbeatIntervalMs: 1_000 };
  a = await startEmbeddedBroker({ host: '::1', cluster });
  b = await startEmbeddedBroker({ host: '::1', cluster });
});
afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
  await a?.close();
  await b?.close();
  await redis?.stop();
});

const connect = async (url: string, clientId: string, clean = true) => {
  const c = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clientId,
    clean,
    connectTimeout: 5_000,
    reconnectPeriod: 0,
  });
  clients.push(c);
  return c;
};

describe.skipIf(!missing.found)('aedes nodes sharing redis', () => {
  it('carry messages across nodes at QoS 0 and 1, and retained messages', async () => {
    const sub = await connect(b.url, 'cross-sub');
    const got: string[] = [];
    sub.on('message', (topic, payload) => got.push(`${topic}=${payload.toString()}`));
    await sub.subscribeAsync('spBv1.0/e1/#', { qos: 1 });
    const pub = await connect(a.url, 'cross-pub');
    await pub.publishAsync('spBv1.0/e1/NDATA/gw', 'q0', { qos: 0 });
    await pub.publishAsync('spBv1.0/e1/NDATA/gw', 'q1', { qos: 1 });
    await pub.publishAsync('spBv1.0/STATE/host', '{"online":true}', { qos: 1, retain: true });
    await waitFor(() => got.length === 2, { what: 'both messages on node B' });
    expect(got.sort()).toEqual(['spBv1.0/e1/NDATA/gw=q0', 'spBv1.0/e1/NDATA/gw=q1']);

    const late = await connect(b.url, 'late-sub');
    const retained: string[] = [];
    late.on('message', (topic, payload, packet) => {
      if (packet.retain) retained.push(`${topic}=${payload.toString()}`);
    });
    await late.subscribeAsync('spBv1.0/STATE/+', { qos: 1 });
    await waitFor(() => retained.length === 1, { what: 'the retained STATE from node A on node B' });
    expect(retained).toEqual(['spBv1.0/STATE/host={"online":true}']);
  });

  it('move a persistent session between nodes under QoS 1 traffic, losing nothing', async () => {
    const pub = await connect(a.url, 'steady-pub');
    const received = new Set<number>();
    const take = (c: MqttClient) =>
      c.on('message', (_topic, payload) => received.add(Number(payload.toString())));
    // The session starts on B with one SUBSCRIBE of two topics (acknowledged: cluster.ts).
    let session = await connect(b.url, 'mover', false);
    take(session);
    await session.subscribeAsync(['m/a', 'm/b'], { qos: 1 });
    let sent = 0;
    let stop = false;
    const publishing = (async () => {
      while (!stop) {
        await pub.publishAsync(sent % 2 ? 'm/a' : 'm/b', String(sent), { qos: 1 });
        sent++;
      }
    })();
    for (let round = 1; round <= 6; round++) {
      const seen = received.size;
      await waitFor(() => received.size >= seen + 50, { what: `live messages in round ${round}` });
      await session.endAsync();
      // While away: messages queue in Redis for the session. It comes back on the other node.
      const queuedFrom = sent;
      await waitFor(() => sent >= queuedFrom + 20, { what: 'messages published while away' });
      session = await connect(round % 2 ? a.url : b.url, 'mover', false);
      take(session);
    }
    stop = true;
    await publishing;
    await waitFor(() => received.size === sent, {
      what: `all ${sent} messages at the session`,
      timeoutMs: 20_000,
    }).catch((err: unknown) => {
      const lost = [...Array(sent).keys()].filter((i) => !received.has(i));
      throw new Error(
        `${(err as Error).message}: missing ${lost.length}, first ${lost.slice(0, 10).join(', ')}`,
      );
    });
    expect(sent).toBeGreaterThan(300);
  });

  it('close every redis connection when the nodes close', async () => {
    const url = redis?.url ?? '';
    const names = async () => {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await probe.connect();
        const list = String(await probe.client('LIST'));
        return [...list.matchAll(/name=(lianwang-broker-\w+)/g)].map((m) => m[1]);
      } finally {
        probe.disconnect();
      }
    };
    expect((await names()).sort()).toEqual(
      ['pub', 'pub', 'state', 'state', 'sub', 'sub'].map((n) => `lianwang-broker-${n}`),
    );
    for (const c of clients.splice(0)) await c.endAsync();
    await a.close();
    await b.close();
    await waitFor(async () => (await names()).length === 0, { what: 'no broker connection left on redis' });
  });
});
