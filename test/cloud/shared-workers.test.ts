/**
 * Two ingest workers share one stream through MQTT 5 shared subscriptions on a real
 * mosquitto, storing into a real influxd. One worker is killed with SIGKILL mid-stream and
 * restarted with the same client id (docs/scaling.md): every sample published is stored
 * exactly once — none lost, and the idempotent store absorbs what is redelivered.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { createInfluxStore } from '../../cloud/store/influx.ts';
import { SparkplugType as T } from '../../wire/sparkplug/index.ts';
import { influxdBinary, startInfluxd } from '../helpers/influxd.ts';
import { mosquittoBinary, startMosquitto } from '../helpers/mosquitto.ts';
import { startProcess, untilReady, type ManagedProcess } from '../helpers/process.ts';
import { useServer } from '../helpers/servers.ts';
import { EdgeScript } from '../helpers/sparkplug-frames.ts';
import { waitFor } from '../helpers/wait.ts';

const influxd = useServer(startInfluxd, influxdBinary);
const mosquitto = useServer(
  () => startMosquitto({ extra: () => 'max_inflight_messages 0\n' }),
  mosquittoBinary,
);

const DEVICES = ['d1', 'd2', 'd3', 'd4'];
const METRICS = { m0: T.Double, m1: T.Double, m2: T.Double, m3: T.Double, m4: T.Double };
const MESSAGES = 1500;

describe('shared-subscription ingest workers', () => {
  it('lose nothing and store each sample once when one is killed mid-stream', async (ctx) => {
    const influxUrl = `${influxd.get(ctx).url}/shared`;
    const broker = mosquitto.get(ctx).url;
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lianwang-workers-'));
    const procs: ManagedProcess[] = [];
    ctx.onTestFinished(async () => {
      for (const p of procs) await p.stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    });
    const worker = async (id: string): Promise<ManagedProcess> => {
      const p = startProcess(id, process.execPath, [
        'bin/lianwang.js',
        'cloud',
        '--role',
        'worker',
        '--protocol',
        '5',
        '--share-group',
        'ingest',
        '--client-id',
        id,
        '--broker',
        broker,
        '--influx',
        influxUrl,
        '--data',
        path.join(dataDir, id),
      ]);
      procs.push(p);
      await untilReady(p, () => p.tail().includes('"msg":"cloud ready"'), { what: `${id} ready` });
      return p;
    };
    const w1 = await worker('w1');
    await worker('w2');

    const edge = new EdgeScript(
      'e1',
      'gw1',
      DEVICES.map((id) => ({ id, metrics: METRICS })),
    );
    const pub = await mqtt.connectAsync(broker, { protocolVersion: 5, clientId: 'shared-pub' });
    ctx.onTestFinished(() => pub.endAsync());
    const t0 = Date.now() - 3_600_000;
    const send = (f: { topic: string; payload: Buffer }) => pub.publishAsync(f.topic, f.payload, { qos: 1 });
    const births = async () => {
      await send(edge.nbirth(t0));
      for (const d of DEVICES) await send(edge.dbirth(d, t0));
    };
    // Like a real edge node, answer rebirth requests: a worker restarted mid-stream has no
    // alias tables and asks for them (births are not retained in Sparkplug).
    let rebirths = 0;
    await pub.subscribeAsync('spBv1.0/e1/NCMD/gw1', { qos: 0 });
    pub.on('message', () => {
      rebirths++;
      void births();
    });
    await births();
    let expected = DEVICES.length * Object.keys(METRICS).length; // the births' (null) values
    let w1Again: ManagedProcess | undefined;
    for (let i = 0; i < MESSAGES; i++) {
      const device = DEVICES[i % DEVICES.length] ?? 'd1';
      const time = t0 + 1000 + i;
      const samples = Object.keys(METRICS).map((metric, k) => ({ metric, time, value: i + k / 10 }));
      await send(edge.ddata(device, samples));
      expected += samples.length;
      if (i === Math.floor(MESSAGES / 3)) w1.child.kill('SIGKILL');
      if (i === Math.floor((2 * MESSAGES) / 3)) w1Again = await worker('w1');
    }
    expect(w1Again).toBeDefined();

    const store = createInfluxStore({ url: influxUrl });
    await store.open();
    ctx.onTestFinished(() => store.close());
    const count = () => store.countSamples({ enterprise: 'e1', from: t0 - 1, to: t0 + 1_000_000 });
    await waitFor(async () => (await count()) >= expected, {
      what: `${expected} samples in InfluxDB`,
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    expect(await count()).toBe(expected);
    expect(rebirths).toBeGreaterThan(0); // the restarted worker asked for the births it missed
    // Exactly once, per series: every (device, metric) holds one point per published time.
    for (const d of DEVICES) {
      const series = await store.series({
        enterprise: 'e1',
        device: d,
        from: t0 + 1,
        to: t0 + 1_000_000,
        limit: 10_000,
      });
      for (const s of series) expect(s.points.length).toBe(MESSAGES / DEVICES.length);
    }
  }, 120_000);
});
