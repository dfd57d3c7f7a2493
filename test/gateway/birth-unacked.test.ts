/**
 * Readings that reach the north only as a device's DBIRTH values must not be lost when that DBIRTH
 * is never acknowledged. A real aedes broker holds back the first DBIRTH (authorizePublish never
 * answers, so no PUBACK) and drops the gateway's connection; the readings the birth carried must
 * come back from the disk queue as historical DDATA after the reconnect.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Aedes, type Client } from 'aedes';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayFile } from '../../config/model/gateway.ts';
import { DiskQueue } from '../../gateway/buffer/disk-queue.ts';
import type { Reading } from '../../gateway/drivers/types.ts';
import { SparkplugPublisher } from '../../gateway/north/sparkplug.ts';
import type { DeviceMeta } from '../../gateway/north/types.ts';
import { SparkplugType } from '../../wire/sparkplug/index.ts';
import { SparkplugObserver } from '../helpers/sparkplug-subscriber.ts';
import { waitFor } from '../helpers/wait.ts';

const device: DeviceMeta = {
  key: 't1/meter',
  id: 'meter',
  enterprise: 't1',
  points: [
    { name: 'voltage', datatype: SparkplugType.Float },
    { name: 'running', datatype: SparkplugType.Boolean },
  ],
};

interface Rig {
  url: string;
  /** DBIRTHs withheld so far (never acknowledged, connection dropped). */
  withheld: () => number;
  publisher: SparkplugPublisher;
  observer: SparkplugObserver;
  close(): Promise<void>;
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** aedes that swallows the first `hold` DBIRTHs from the gateway and cuts its connection each time. */
async function start(hold: number): Promise<Rig> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-birth-'));
  let withheld = 0;
  const aedes = await Aedes.createBroker({
    authorizePublish: (client: Client | null, packet, done) => {
      if (client?.id.startsWith('lianwang-') && packet.topic.includes('/DBIRTH/') && withheld < hold) {
        withheld++;
        // No done(): no PUBACK, no forwarding. The connection goes while the publish is in flight.
        setImmediate(() => client.conn.destroy());
        return;
      }
      done(null);
    },
  });
  const server = net.createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '::', resolve));
  const url = `mqtt://[::1]:${(server.address() as net.AddressInfo).port}`;
  const observer = new SparkplugObserver('t1');
  await observer.connect(url, 4, false);
  const queue = new DiskQueue({ dir: path.join(dir, 'queue'), maxBytes: 1 << 24, maxAgeMs: 3_600_000 });
  await queue.open();
  const config = GatewayFile.parse({
    gateway: { group: 't1', node: 'n' },
    mqtt: { brokers: [url], protocolVersion: 4, reconnectMin: '50ms', reconnectMax: '200ms' },
  });
  const publisher = new SparkplugPublisher({
    config,
    devices: [device],
    queue,
    bufferDir: dir,
    log: pino({ level: 'silent' }),
  });
  await publisher.start();
  return {
    url,
    withheld: () => withheld,
    publisher,
    observer,
    async close() {
      await publisher.stop();
      await queue.close();
      await observer.close();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const reading = (point: string, value: Reading['value'], time: number): Reading => ({
  point,
  value,
  good: true,
  time,
});

/** Source times the observer got for `meter|<point>` as historical DDATA. */
function historical(observer: SparkplugObserver, point: string): number[] {
  const names = new Map<string, string>();
  const out: number[] = [];
  for (const m of observer.messages) {
    if (m.type === 'DBIRTH') for (const x of m.metrics) if (x.name) names.set(String(x.alias), x.name);
    if (m.type !== 'DDATA') continue;
    for (const x of m.metrics)
      if (x.isHistorical && (x.name ?? names.get(String(x.alias))) === point && x.timestamp !== undefined)
        out.push(x.timestamp);
  }
  return out.sort((a, b) => a - b);
}

describe('a DBIRTH that is never acknowledged', () => {
  it('queues the readings it carried and replays them after the reconnect', async () => {
    rig = await start(1);
    const { publisher, observer } = rig;
    await waitFor(() => publisher.stats().connected, { what: 'the gateway connected' });
    // The first good data of a device (a driver reports readings, then the state they imply): only
    // its DBIRTH carries these values.
    const t = Date.now() - 5;
    publisher.readings(device.key, [reading('voltage', 230.5, t), reading('running', true, t)]);
    publisher.status(device.key, { state: 'online', since: Date.now() });
    await waitFor(() => rig?.withheld() === 1, { what: 'the first DBIRTH withheld' });
    await waitFor(() => historical(observer, 'voltage').length > 0, {
      what: 'the carried readings replayed as historical DDATA',
    });
    expect(historical(observer, 'voltage')).toEqual([t]);
    expect(historical(observer, 'running')).toEqual([t]);
    expect(publisher.stats().pointsQueued).toBe(2);
    expect(publisher.stats().pointsReplayed).toBe(2);
  });

  it('readings held while the device was still offline go with its birth, and to the queue if it fails', async () => {
    rig = await start(1);
    const { publisher, observer } = rig;
    await waitFor(() => publisher.stats().connected, { what: 'the gateway connected' });
    publisher.status(device.key, { state: 'offline', since: Date.now(), reason: 'timeout' });
    // A driver reports readings before the state they imply: good data while still offline.
    const t = Date.now() - 5;
    publisher.readings(device.key, [reading('voltage', 231, t), reading('running', false, t)]);
    expect(publisher.stats().published.DBIRTH ?? 0).toBe(0);
    publisher.status(device.key, { state: 'online', since: Date.now() });
    await waitFor(() => rig?.withheld() === 1, { what: 'the DBIRTH withheld' });
    await waitFor(() => historical(observer, 'voltage').length > 0, { what: 'the held readings replayed' });
    expect(historical(observer, 'voltage')).toEqual([t]);
    expect(historical(observer, 'running')).toEqual([t]);
  });

  it('Bad readings of a device dead north are counted, not published', async () => {
    rig = await start(0);
    const { publisher } = rig;
    await waitFor(() => publisher.stats().connected, { what: 'the gateway connected' });
    publisher.status(device.key, { state: 'offline', since: Date.now(), reason: 'refused' });
    const t = Date.now();
    publisher.readings(device.key, [
      { point: 'voltage', value: null, good: false, time: t },
      { point: 'running', value: null, good: false, time: t },
    ]);
    expect(publisher.stats().pointsDead).toBe(2);
    expect(publisher.stats().pointsQueued).toBe(0);
  });
});
