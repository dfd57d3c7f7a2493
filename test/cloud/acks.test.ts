/**
 * Deferred PUBACKs against a real broker (aedes): messages keep flowing while earlier ones
 * wait to become durable, and a message whose durability never came is redelivered to the
 * same persistent session after a reconnect — the property ingest's "nothing lost" rests on.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDeferredAcks } from '../../cloud/ingest/acks.ts';
import { startAedes, type AedesServer } from '../helpers/aedes.ts';
import { waitFor } from '../helpers/wait.ts';

let broker: AedesServer;
beforeAll(async () => {
  broker = await startAedes();
});
afterAll(async () => {
  await broker.stop();
});

const connect = (clientId: string, clean: boolean): Promise<MqttClient> =>
  mqtt.connectAsync(broker.url, { clientId, clean, protocolVersion: 4, reconnectPeriod: 0 });

describe('installDeferredAcks', () => {
  it('pipelines messages and redelivers the ones never made durable', async () => {
    const sub = await connect('acks-sub', false);
    const received: string[] = [];
    const resolvers = new Map<string, () => void>();
    const acks = installDeferredAcks(
      sub,
      (_topic, payload) => {
        const id = payload.toString();
        received.push(id);
        return new Promise<void>((resolve) => resolvers.set(id, resolve));
      },
      () => undefined,
    );
    await sub.subscribeAsync('acks/#', { qos: 1 });
    const pub = await connect('acks-pub', true);
    for (let i = 0; i < 10; i++) await pub.publishAsync('acks/t', String(i), { qos: 1 });
    // All ten arrive although none is durable yet: the stream is not blocked per message.
    await waitFor(() => received.length === 10, { what: '10 messages before any ack' });
    expect(acks.held).toBe(10);
    for (let i = 0; i < 10; i += 2) resolvers.get(String(i))?.();
    await waitFor(() => acks.held === 5, { what: 'five acks released' });
    sub.end(true); // crash: the odd ones were never acknowledged
    await waitFor(() => sub.disconnected, { what: 'subscriber gone' });

    const again = await connect('acks-sub', false);
    const redelivered: string[] = [];
    installDeferredAcks(
      again,
      (_t, payload) => {
        redelivered.push(payload.toString());
        return Promise.resolve();
      },
      () => undefined,
    );
    await waitFor(() => redelivered.length >= 5, { what: 'redelivery of unacknowledged messages' });
    expect([...new Set(redelivered)].sort()).toEqual(['1', '3', '5', '7', '9']);
    await again.endAsync();
    await pub.endAsync();
  });

  it('stops reading while the gate is closed (backpressure)', async () => {
    const sub = await connect('gate-sub', true);
    let open: (() => void) | undefined;
    const received: string[] = [];
    installDeferredAcks(
      sub,
      (_t, payload) => {
        received.push(payload.toString());
        return undefined;
      },
      () => (received.length === 1 ? new Promise<void>((r) => (open = r)) : undefined),
    );
    await sub.subscribeAsync('gate/#', { qos: 1 });
    const pub = await connect('gate-pub', true);
    for (let i = 0; i < 5; i++) await pub.publishAsync('gate/t', String(i), { qos: 1 });
    await waitFor(() => open !== undefined, { what: 'gate closed after the first message' });
    // Nothing more is processed while the gate is shut, however long we look.
    const before = received.length;
    await pub.publishAsync('gate/t', 'probe', { qos: 1 });
    expect(received.length).toBe(before);
    open?.();
    await waitFor(() => received.length === 6, { what: 'the rest after the gate opens' });
    expect(received).toEqual(['0', '1', '2', '3', '4', 'probe']);
    await sub.endAsync();
    await pub.endAsync();
  });
});
