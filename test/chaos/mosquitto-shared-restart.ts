/**
 * What the chaos run found about mosquitto 2.0.11 (Debian's): after a restart from its persistence
 * file, a persistent session's shared subscription ($share/…) receives nothing, while plain
 * subscriptions of the same sessions work. SUBSCRIBE again on the new connection does not help;
 * UNSUBSCRIBE + SUBSCRIBE does. Publishers get their PUBACKs all the while, so for an ingest worker
 * this is silent loss of everything it should have been dealt. Run it to see it on this machine:
 *
 *   npx tsx test/chaos/mosquitto-shared-restart.ts
 *
 * prints how many of 100 messages the two shared subscribers got before the restart, after it
 * (having subscribed again), and after an UNSUBSCRIBE + SUBSCRIBE.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startMosquitto } from '../helpers/mosquitto.ts';

const SHARED = '$share/g/t/#';
const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-mosquitto-shared-'));
const options = { persistenceDir: dir, extra: () => 'max_inflight_messages 0\n' };
let broker = await startMosquitto(options);
const got = new Map<string, number>();
const subscriber = (id: string): MqttClient => {
  const c = mqtt.connect(broker.url, {
    clientId: id,
    protocolVersion: 5,
    clean: false,
    reconnectPeriod: 200,
    properties: { sessionExpiryInterval: 3600 },
  });
  c.on('connect', () => c.subscribe(SHARED, { qos: 1 }));
  c.on('message', () => got.set(id, (got.get(id) ?? 0) + 1));
  return c;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const subs = [subscriber('a'), subscriber('b')];
const pub = mqtt.connect(broker.url, { protocolVersion: 5, reconnectPeriod: 200 });
await sleep(1000);
const round = async (what: string) => {
  got.clear();
  for (let i = 0; i < 100; i++) await pub.publishAsync('t/x', String(i), { qos: 1 });
  await sleep(1000);
  console.log(
    `${what}: ${[...got.values()].reduce((a, b) => a + b, 0)} of 100 delivered`,
    Object.fromEntries(got),
  );
};
await round('before the restart');
await broker.stop(); // SIGTERM: mosquitto writes its persistence file
broker = await startMosquitto({ ...options, port: broker.port });
await sleep(2000); // everyone reconnected, subscribers subscribed again
await round('after the restart');
for (const c of subs) {
  await c.unsubscribeAsync(SHARED);
  await c.subscribeAsync(SHARED, { qos: 1 });
}
await round('after UNSUBSCRIBE + SUBSCRIBE');
for (const c of [...subs, pub]) c.end(true);
await broker.stop();
await rm(dir, { recursive: true, force: true });
