/**
 * Restarts from the availability snapshot (cloud/snapshots.ts): a cloud on embedded DuckDB takes
 * a snapshot, then receives more — live samples, store-and-forward samples for old buckets, a
 * DDEATH — and stops the way a crash leaves it (no last snapshot). The restarted cloud must
 * restore from the snapshot plus only what was written after it, and answer /api/rates and
 * /api/enterprises exactly as before.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCloud, type Cloud } from '../../cloud/app.ts';
import type { RatesReport } from '../../cloud/rates/types.ts';
import { decodePayload, SparkplugType as T } from '../../wire/sparkplug/index.ts';
import { startAedes, type AedesServer } from '../helpers/aedes.ts';
import { EdgeScript, type Frame } from '../helpers/sparkplug-frames.ts';
import { waitFor } from '../helpers/wait.ts';

const W = 60_000;
const PLANT = 'test/fixtures/plants/oracle.yaml';

let broker: AedesServer;
beforeAll(async () => {
  broker = await startAedes();
});
afterAll(async () => {
  await broker.stop();
});

/** Samples a frame carries (bdSeq and node controls are not samples). */
const carried = (f: Frame) =>
  decodePayload(f.payload).metrics.filter((m) => m.name !== 'bdSeq' && !m.name?.startsWith('Node Control/'))
    .length;

describe('restart from the availability snapshot (DuckDB)', () => {
  it('reports the same rates after a restart, marks and events that came after the snapshot included', async (ctx) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lianwang-restart-'));
    const open = () =>
      buildCloud({
        mqtt: { broker: broker.url, hostId: 'restart', clientId: 'restart' },
        plants: [PLANT],
        dataDir,
        // No periodic snapshot during the test: the one taken below is the restart point. No
        // margin either, so what the restart reads after the snapshot can be counted exactly.
        snapshotEveryMs: 3_600_000,
        snapshotMarginMs: 0,
        log: pino({ level: 'silent' }),
      });
    let cloud: Cloud = await open();
    const pub: MqttClient = await mqtt.connectAsync(broker.url, {
      protocolVersion: 4,
      clientId: 'restart-pub',
    });
    ctx.onTestFinished(async () => {
      await pub.endAsync();
      await cloud.stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    });
    await cloud.ingest.ready();
    expect(cloud.restored).toMatchObject({ source: 'marks', marks: 0 });

    // 20 buckets ending at the current one; nothing in the last two, so the live bucket is
    // empty whichever minute the queries run in.
    const t0 = Math.floor(Date.now() / W) * W - 20 * W;
    const at = (k: number, s = 15) => t0 + k * W + s * 1000;
    const temp = { temp: T.Double };
    const gw1 = new EdgeScript(
      'e1',
      'gw1',
      ['a1', 'a2', 'a3'].map((id) => ({ id, metrics: temp })),
    );
    const gw2 = new EdgeScript(
      'e2',
      'gw2',
      ['b1', 'b2'].map((id) => ({ id, metrics: temp })),
    );
    let sent = 0;
    const publish = async (frames: Frame[]) => {
      for (const f of frames) {
        await pub.publishAsync(f.topic, f.payload, { qos: 1 });
        sent += carried(f);
      }
      await waitFor(() => cloud.stats().samplesStored === sent && cloud.ingest.acks.held === 0, {
        what: `${sent} samples stored`,
        timeoutMs: 20_000,
      });
    };
    const data = (gw: EdgeScript, dev: string, buckets: number[], historical = false) =>
      buckets.map((k) => gw.ddata(dev, [{ metric: 'temp', time: at(k), value: k }], { historical }));
    const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

    // Before the snapshot: buckets 0–9.
    await publish([
      gw1.nbirth(at(0, 0)),
      ...['a1', 'a2', 'a3'].map((d) => gw1.dbirth(d, at(0, 1), { temp: 1 })),
      gw2.nbirth(at(0, 0)),
      ...['b1', 'b2'].map((d) => gw2.dbirth(d, at(0, 1), { temp: 1 })),
      ...data(gw1, 'a1', range(0, 10)),
      ...data(gw1, 'a2', [0, 1, 2, 8, 9]),
      ...data(gw2, 'b1', range(0, 10)),
      ...data(gw2, 'b2', [0, 1]),
    ]);
    // Every mark so far in the store (they follow the samples through a coalescer), and the
    // clock past their write: the snapshot is then the only place they are restored from.
    const store = cloud.store;
    await waitFor(async () => (await store.loadOnline(W, t0, t0 + 20 * W)).length === 28, {
      what: 'the 28 marks of the first buckets stored',
    });
    const marked = Date.now();
    await waitFor(() => Date.now() > marked, { what: 'the clock to pass the marks' });
    const snapshot = await cloud.snapshots?.write();
    expect(snapshot).toMatchObject({ rows: 5, links: 7 });

    // After it: live buckets 10–17, store-and-forward for old buckets 3–7 of a3 and b2, a DDEATH.
    await publish([
      ...data(gw1, 'a1', range(10, 18)),
      ...data(gw1, 'a2', range(10, 14)),
      ...data(gw2, 'b1', range(10, 16)),
      ...data(gw1, 'a3', range(3, 8), true),
      ...data(gw2, 'b2', range(2, 9), true),
      gw2.ddeath('b1', at(16, 0)),
    ]);

    const queries = [
      `/api/rates?from=${t0}&to=${t0 + 20 * W}`,
      `/api/rates?from=${t0 + 5 * W}&to=${t0 + 12 * W}&theta=0.3`,
      `/api/rates?from=${t0}&to=${t0 + 20 * W}&enterprise=e2`,
      `/api/enterprises/e1?from=${t0}&to=${t0 + 20 * W}`,
      `/api/enterprises/e2?from=${t0}&to=${t0 + 20 * W}`,
    ];
    // lastSeen is a sample's source time while running, its bucket's start after any restart
    // (the store keeps buckets, not samples: docs/rates.md): compared at bucket precision.
    const bucketed = (_key: string, v: unknown) =>
      _key === 'lastSeen' && typeof v === 'number' ? v - (v % W) : v;
    const answers = async (c: Cloud) =>
      Promise.all(
        queries.map(async (url) => {
          const res = await c.api?.inject({ url });
          expect(res?.statusCode, url).toBe(200);
          return JSON.parse(res?.body ?? '', bucketed) as unknown;
        }),
      );
    const before = await answers(cloud);
    // The numbers themselves, so "equal after the restart" cannot mean "equally empty".
    const whole = before[0] as RatesReport;
    const e1 = whole.enterprises.find((r) => r.id === 'e1')?.window;
    const e2 = whole.enterprises.find((r) => r.id === 'e2')?.window;
    // e1: a1 18/20 ✓, a2 9/20 ✗, a3 6/20 ✗, a4 never → 1 of 4; e2: b1 16/20 ✓, b2 9/20 ✗ → 1 of 4.
    expect(e1).toMatchObject({ digital: 4, networkedDigital: 1, meanOnlineFraction: (18 + 9 + 6) / 80 });
    expect(e2).toMatchObject({ digital: 4, networkedDigital: 1, meanOnlineFraction: (16 + 9) / 80 });
    const reasons = (before[4] as { lines: { devices: { id: string; reason?: string }[] }[] }).lines[0]
      ?.devices;
    expect(reasons?.map((d) => [d.id, d.reason])).toEqual([
      ['b1', 'device_unreachable'],
      ['b2', 'device_unreachable'],
      ['b3', 'never_connected'],
      ['b4', 'never_connected'],
    ]);
    const marksInStore = (await cloud.store.loadOnline(W, t0, t0 + 20 * W)).length;
    expect(marksInStore).toBe(18 + 9 + 6 + 16 + 9);

    await cloud.stop({ snapshot: false });
    cloud = await open();
    // The snapshot, then only the 30 marks and the DDEATH written after it — not all 58 marks.
    expect(cloud.restored).toMatchObject({
      source: 'snapshot',
      takenAt: snapshot?.takenAt,
      snapshotRows: 5,
      snapshotLinks: 7,
      marks: 8 + 4 + 5 + 6 + 7,
      events: 1,
    });
    expect(await answers(cloud)).toEqual(before);

    // A graceful stop writes a last snapshot: the next start reads no marks at all.
    await cloud.stop();
    cloud = await open();
    expect(cloud.restored).toMatchObject({ source: 'snapshot', snapshotRows: 5, marks: 0, events: 0 });
    expect(await answers(cloud)).toEqual(before);
  });
});
