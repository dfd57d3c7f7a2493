/**
 * The embedded broker's access control with real aedes and real mqtt.js clients: gateways keep to
 * their own Sparkplug node, the ingest reads everything but may only ask for rebirths, wrong
 * credentials get a refused CONNACK, and every refusal is logged (who, topic, why) and counted.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../cloud/broker/embedded.ts';
import { Identity } from '../../cloud/broker/config.ts';
import { hashPassword } from '../../cloud/broker/passwords.ts';
import {
  encodePayload,
  NODE_CONTROL_REBIRTH,
  SparkplugType,
  stateTopic,
  topic,
} from '../../wire/sparkplug/index.ts';
import { waitFor } from '../helpers/wait.ts';
import { type CapturedLog, captureLog, closed, collect, connect } from './_setup.ts';

const PASSWORDS = { gw1: 'gw1-pass-7f3a', gw2: 'gw2-pass-91c2', ingest: 'ingest-pass-0d4e' };

let broker: EmbeddedBroker;
let logs: CapturedLog;
const clients: MqttClient[] = [];

beforeAll(async () => {
  logs = captureLog();
  const identities = [
    {
      name: 'gw1',
      role: 'gateway',
      group: 'e1',
      node: 'gw-1',
      passwordHash: await hashPassword(PASSWORDS.gw1),
    },
    {
      name: 'gw2',
      role: 'gateway',
      group: 'e1',
      node: 'gw-2',
      passwordHash: await hashPassword(PASSWORDS.gw2),
    },
    { name: 'ingest', role: 'ingest', passwordHash: await hashPassword(PASSWORDS.ingest) },
  ].map((i) => Identity.parse(i));
  broker = await startEmbeddedBroker({ access: { identities }, log: logs.log });
});

afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
  await broker?.close();
});

const as = async (who: keyof typeof PASSWORDS, clientId: string, extra = {}) => {
  const c = await connect(broker.url, { username: who, password: PASSWORDS[who], clientId, ...extra });
  clients.push(c);
  return c;
};
const gateway = (n: 1 | 2, extra = {}) => as(n === 1 ? 'gw1' : 'gw2', `lianwang-e1-gw-${n}`, extra);
const ingest = () => as('ingest', 'lianwang-ingest-lianwang', { clean: false });

const payload = (value = 1) =>
  Buffer.from(
    encodePayload({
      timestamp: Date.now(),
      seq: 0,
      metrics: [{ name: 'm', datatype: SparkplugType.Double, value }],
    }),
  );
const rebirth = Buffer.from(
  encodePayload({
    timestamp: Date.now(),
    metrics: [{ name: NODE_CONTROL_REBIRTH, datatype: SparkplugType.Boolean, value: true }],
  }),
);

/** The refusal log lines so far, as objects. */
const refused = (kind: string) => logs.entries(`refused ${kind}`);

describe('gateway identities', () => {
  it('publish under their own node; impersonating another node or group is refused, logged and counted', async () => {
    const host = await ingest();
    await host.subscribeAsync('spBv1.0/#', { qos: 1 });
    const seen = collect(host);

    const gw = await gateway(1);
    await gw.publishAsync(topic.ndata('e1', 'gw-1'), payload(), { qos: 1 });
    await gw.publishAsync(topic.ddata('e1', 'gw-1', 'press-3'), payload(), { qos: 1 });
    await waitFor(() => seen.length === 2, { what: 'both own messages at the ingest' });

    for (const forged of [topic.ddata('e1', 'gw-2', 'press-3'), topic.ndata('e2', 'gw-1')]) {
      const before = broker.refusals().byReason['publish/topic'] ?? 0;
      const attacker = await gateway(1);
      const gone = closed(attacker);
      // QoS 0: the broker answers a refused PUBLISH by closing the connection (MQTT 3.1.1 has no negative ack).
      attacker.publish(forged, payload(666), { qos: 0 });
      await gone;
      expect(broker.refusals().byReason['publish/topic']).toBe(before + 1);
      const line = refused('publish').find((e) => e.topic === forged);
      expect(line).toMatchObject({
        who: 'gw1',
        clientId: 'lianwang-e1-gw-1',
        reason: 'topic',
        kind: 'publish',
      });
      expect(line?.address).toMatch(/::1|127\.0\.0\.1/);
    }
    // The ingest never saw the forged messages.
    expect(seen.map((m) => m.topic)).toEqual([
      topic.ndata('e1', 'gw-1'),
      topic.ddata('e1', 'gw-1', 'press-3'),
    ]);
  });

  it('may not subscribe to spBv1.0/# (a failed SUBACK, the connection stays) but to its own commands', async () => {
    const gw = await gateway(2);
    await expect(gw.subscribeAsync('spBv1.0/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(gw.subscribeAsync('spBv1.0/e1/NCMD/+', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(gw.connected).toBe(true);
    const granted = await gw.subscribeAsync([topic.ncmd('e1', 'gw-2'), 'spBv1.0/e1/DCMD/gw-2/+'], { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);
    expect(refused('subscribe')).toEqual(
      expect.arrayContaining([expect.objectContaining({ who: 'gw2', topic: 'spBv1.0/#', reason: 'topic' })]),
    );
  });

  it('a Will for another node is refused at CONNECT; its own NDEATH Will is delivered when it drops', async () => {
    await expect(
      gateway(1, {
        will: { topic: topic.ndeath('e1', 'gw-2'), payload: Buffer.alloc(0), qos: 1, retain: false },
      }),
    ).rejects.toThrow(/Not authorized/i);
    expect(
      refused('connect').some((e) => e.reason === 'will' && e.topic === topic.ndeath('e1', 'gw-2')),
    ).toBe(true);

    const host = await ingest();
    await host.subscribeAsync('spBv1.0/+/NDEATH/+', { qos: 1 });
    const seen = collect(host);
    const gw = await gateway(2, {
      will: { topic: topic.ndeath('e1', 'gw-2'), payload: Buffer.from('bye'), qos: 1, retain: false },
    });
    gw.stream.destroy(); // an abrupt loss: the broker publishes the Will
    await waitFor(() => seen.some((m) => m.topic === topic.ndeath('e1', 'gw-2')), {
      what: 'the NDEATH Will',
    });
  });
});

describe('ingest identity', () => {
  it('subscribes to everything and sends rebirth NCMDs and its STATE, but cannot publish DDATA', async () => {
    const host = await ingest();
    const granted = await host.subscribeAsync(['spBv1.0/#', 'lianwang/#', 'spBv1.0/STATE/+'], { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1, 1, 1]);
    await host.publishAsync(stateTopic('lianwang'), '{"online":true,"timestamp":1}', {
      qos: 1,
      retain: true,
    });

    const gw = await gateway(1);
    await gw.subscribeAsync(topic.ncmd('e1', 'gw-1'), { qos: 1 });
    const commands = collect(gw);
    await host.publishAsync(topic.ncmd('e1', 'gw-1'), rebirth, { qos: 1 });
    await waitFor(() => commands.length === 1, { what: 'the rebirth NCMD at the gateway' });

    const gone = closed(host);
    host.publish(topic.ddata('e1', 'gw-1', 'press-3'), payload(), { qos: 0 });
    await gone;
    expect(refused('publish')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          who: 'ingest',
          reason: 'topic',
          topic: topic.ddata('e1', 'gw-1', 'press-3'),
        }),
      ]),
    );

    // A command other than Rebirth is refused too, by its payload.
    const again = await ingest();
    const gone2 = closed(again);
    const reboot = encodePayload({
      metrics: [{ name: 'Node Control/Reboot', datatype: SparkplugType.Boolean, value: true }],
    });
    again.publish(topic.ncmd('e1', 'gw-1'), Buffer.from(reboot), { qos: 0 });
    await gone2;
    expect(refused('publish').some((e) => e.who === 'ingest' && e.reason === 'payload')).toBe(true);
    expect(commands).toHaveLength(1);
  });
});

describe('authentication', () => {
  it('wrong password, unknown user, no credentials: CONNACK refused with a clear error; the password is never logged', async () => {
    const wrong = 'not-the-password-5b1e';
    const attempt = (opts: object) => connect(broker.url, { clientId: 'lianwang-e1-gw-1', ...opts });
    await expect(attempt({ username: 'gw1', password: wrong })).rejects.toThrow(/Bad username or password/);
    await expect(attempt({ username: 'nobody', password: wrong })).rejects.toThrow(
      /Bad username or password/,
    );
    await expect(attempt({})).rejects.toThrow(/Not authorized/);
    // Right credentials, another identity's client id (taking over its session): identifier rejected.
    await expect(attempt({ username: 'gw2', password: PASSWORDS.gw2 })).rejects.toThrow(
      /Identifier rejected/,
    );

    const reasons = refused('connect').map((e) => e.reason);
    expect(reasons).toEqual(
      expect.arrayContaining(['bad-password', 'unknown-user', 'no-credentials', 'client-id']),
    );
    const text = logs.lines.join('\n');
    for (const secret of [wrong, ...Object.values(PASSWORDS)]) expect(text).not.toContain(secret);
    expect(broker.refusals().byReason['connect/bad-password']).toBeGreaterThanOrEqual(1);
  });
});
