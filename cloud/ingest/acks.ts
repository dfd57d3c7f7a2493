/**
 * Acknowledge a QoS 1 message only once what it carried is durable, without stalling the
 * connection while a batch fills.
 *
 * Why by hand: mqtt.js sends PUBACK when `handleMessage`'s callback runs, and it processes
 * incoming packets one at a time, waiting for that callback. Deferring the callback until a
 * batch is written would allow a single message in flight (one store write per message).
 * mqtt.js has no manual-ack API, so this module takes over the one place where PUBACKs
 * leave: the client's `_sendPacket`. A PUBACK for a message that registered a pending
 * durability promise is held (the packet stream goes on) and sent when the promise
 * resolves — on the same connection only: after a reconnect the broker redelivers every
 * unacknowledged message anyway, and the store is idempotent. The test in acks.test.ts
 * fails if an mqtt.js upgrade changes this path.
 */
import type { MqttClient } from 'mqtt';

type Packet = { cmd: string; messageId?: number };
type SendPacket = (packet: Packet, cb?: (err?: Error) => void, cbStorePut?: () => void) => void;
type Handle = (
  packet: Packet & { topic: string; payload: Buffer; qos: number },
  cb: (err?: Error) => void,
) => void;

export interface AckControl {
  /** Acknowledgements held right now. */
  readonly held: number;
  /** PUBACKs never sent because the connection closed first (the broker redelivers). */
  readonly abandoned: number;
}

/**
 * Installs `handle` as the client's message handler. It returns undefined to acknowledge at
 * once, or a promise: the PUBACK waits for it (and is never sent if it rejects). Before it
 * returns, `gate()` may delay reading the next packet (backpressure when the store is slow).
 */
export function installDeferredAcks(
  client: MqttClient,
  handle: (topic: string, payload: Buffer, qos: number) => Promise<void> | undefined,
  gate: () => Promise<void> | undefined,
): AckControl {
  const internals = client as unknown as { _sendPacket: SendPacket; handleMessage: Handle };
  const send = internals._sendPacket.bind(client);
  if (typeof send !== 'function') throw new Error('mqtt.js internals changed: no _sendPacket');
  const pending = new Map<number, Promise<void>>();
  let generation = 0;
  const state = { held: 0, abandoned: 0 };
  client.on('close', () => {
    generation++;
    state.abandoned += pending.size;
    pending.clear();
  });

  internals._sendPacket = (packet, cb, cbStorePut) => {
    const wait =
      packet.cmd === 'puback' && packet.messageId !== undefined ? pending.get(packet.messageId) : undefined;
    if (!wait) return send(packet, cb, cbStorePut);
    pending.delete(packet.messageId as number);
    const gen = generation;
    state.held++;
    wait.then(
      () => {
        state.held--;
        if (gen === generation && client.connected && !client.disconnecting) send(packet);
        else state.abandoned++;
      },
      () => {
        state.held--;
        state.abandoned++;
      },
    );
    cb?.();
  };

  internals.handleMessage = (packet, cb) => {
    let durable: Promise<void> | undefined;
    try {
      durable = handle(packet.topic, packet.payload, packet.qos);
    } catch (err) {
      return cb(err as Error);
    }
    // Rejections are handled where the PUBACK waits; this only keeps them from going unhandled.
    durable?.catch(() => undefined);
    if (durable && packet.qos === 1 && packet.messageId !== undefined) pending.set(packet.messageId, durable);
    const wait = gate();
    if (wait)
      wait.then(
        () => cb(),
        (err: unknown) => cb(err as Error),
      );
    else cb();
  };

  return {
    get held() {
      return state.held;
    },
    get abandoned() {
      return state.abandoned;
    },
  };
}
