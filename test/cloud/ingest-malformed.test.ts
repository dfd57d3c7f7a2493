/**
 * Hostile input through a real broker into a running cloud: truncated protobuf, random
 * bytes, a 10 MB payload, wrong types, an unknown alias, a seq gap, an NDEATH with a stale
 * bdSeq, odd topics. Each is rejected and counted by reason (visible in /metrics), ingest
 * keeps going, and every good sample sent in between is stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCloud } from '../../cloud/app.ts';
import { encodePayload, SparkplugType as T } from '../../wire/sparkplug/index.ts';
import { startAedes, type AedesServer } from '../helpers/aedes.ts';
import { EdgeScript } from '../helpers/sparkplug-frames.ts';
import { waitFor } from '../helpers/wait.ts';

let broker: AedesServer;
beforeAll(async () => {
  broker = await startAedes();
});
afterAll(async () => {
  await broker.stop();
});

describe('ingest under hostile input', () => {
  it('rejects and counts each bad message by reason and loses no good sample', async (ctx) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lianwang-malformed-'));
    const cloud = await buildCloud({
      mqtt: { broker: broker.url, clientId: 'malformed', reorderMs: 200 },
      plants: ['test/fixtures/plants/oracle.yaml'],
      dataDir,
      log: pino({ level: 'silent' }),
    });
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'malformed-pub' });
    const rebirths: string[] = [];
    await pub.subscribeAsync('spBv1.0/+/NCMD/+', { qos: 0 });
    pub.on('message', (t) => rebirths.push(t));
    ctx.onTestFinished(async () => {
      await pub.endAsync();
      await cloud.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
    await cloud.ingest.ready();
    const t0 = Date.now() - 60_000;
    const edge = new EdgeScript('e1', 'gw1', [{ id: 'a1', metrics: { temp: T.Double, mode: T.String } }]);
    const send = (topic: string, payload: Buffer | string) => pub.publishAsync(topic, payload, { qos: 1 });
    let good = 0;
    const goodData = async (i: number) => {
      const f = edge.ddata('a1', [{ metric: 'temp', time: t0 + i, value: i }]);
      await send(f.topic, f.payload);
      good++;
    };
    edge.bdSeq = 3;
    const nb = edge.nbirth(t0);
    await send(nb.topic, nb.payload);
    const db = edge.dbirth('a1', t0, { temp: 1, mode: 'auto' });
    await send(db.topic, db.payload);
    good += 2;

    await goodData(1);
    const valid = edge.ddata('a1', [{ metric: 'temp', time: t0 + 2, value: 2 }]);
    await send(valid.topic, valid.payload.subarray(0, valid.payload.length - 4)); // truncated protobuf
    await goodData(3);
    await send('spBv1.0/e1/DDATA/gw1/a1', Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) % 256)));
    await send('spBv1.0/e1/DDATA/gw1/a1', Buffer.alloc(10 * 1024 * 1024, 0x0a)); // 10 MB
    await goodData(4);
    // Wrong type: a string where the birth declared a Double → the metric is dropped, counted.
    const wrong = Buffer.from(
      encodePayload({
        timestamp: t0 + 5,
        seq: edge.seq++,
        metrics: [
          { alias: edge.aliases.get('a1|temp'), datatype: T.String, value: 'hot', timestamp: t0 + 5 },
        ],
      }),
    );
    await send(valid.topic, wrong);
    await send(
      valid.topic,
      edge.ddata('a1', [{ metric: 'temp', time: t0 + 6, value: 6 }], { alias: 4242 }).payload,
    );
    await send('spBv1.0/e1/DDATA/gw1', Buffer.from('x')); // a device message without a device
    await send('spBv1.0/e1/BOGUS/gw1', Buffer.from('x'));
    await send('lianwang/e1/a1/data', '{"values": 3'); // JSON mode, malformed
    await send('spBv1.0/nobody/DDATA/gw9/zz', valid.payload); // a group the ledger does not know
    await send(edge.ndeath(2).topic, edge.ndeath(2).payload); // stale bdSeq: ignored
    edge.seq += 3; // three messages "lost": a gap
    await goodData(7);

    await waitFor(() => cloud.stats().samplesStored === good && cloud.ingest.acks.held === 0, {
      what: `${good} good samples stored`,
    });
    await waitFor(() => rebirths.length >= 1, { what: 'a rebirth request for the gap / unknown alias' });
    const stats = cloud.stats();
    expect(stats.rejected).toMatchObject({
      malformed_payload: 2,
      too_large: 1,
      bad_topic: 2,
      malformed_json: 1,
      stale_ndeath: 1,
    });
    expect(stats.rejected.unauthorised_group ?? 0).toBe(0); // no group list configured: unregistered instead
    expect(stats.dropped).toMatchObject({ unknown_alias: 1, unsupported_type: 1 });
    expect(cloud.ingest.nodes().find((n) => n.node === 'gw1')?.online).toBe(true); // the stale NDEATH changed nothing
    const series = await cloud.store.series({
      enterprise: 'e1',
      device: 'a1',
      metrics: ['temp'],
      from: t0,
      to: t0 + 100,
    });
    expect(series[0]?.points.map((p) => p.value)).toEqual([1, 1, 3, 4, 7]);
    const metrics = await cloud.api?.inject({ url: '/metrics' });
    expect(metrics?.body).toMatch(/lianwang_ingest_rejected_total\{reason="too_large"\} 1/);
    expect(rebirths[0]).toBe('spBv1.0/e1/NCMD/gw1');
  });
});
