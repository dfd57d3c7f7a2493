/**
 * Backlog replay: a store-and-forward queue holding N minutes of data at 5,000 points/s
 * (250 device polls/s × 20 points) is replayed to mosquitto as historical DDATA while live
 * readings keep arriving at the same rate. Reports the replay speed as a multiple of real time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { GatewayFile } from '../config/model/gateway.ts';
import { DiskQueue, type QueueRecord } from '../gateway/buffer/disk-queue.ts';
import { SparkplugPublisher } from '../gateway/north/sparkplug.ts';
import type { DeviceMeta, Reading } from '../gateway/north/types.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { encodePayload, SparkplugType } from '../wire/sparkplug/index.ts';

export interface ReplayBenchResult {
  backlogMinutes: number;
  backlogPoints: number;
  replaySeconds: number;
  speedup: number;
  livePointsPerSecond: number;
}

const DEVICES = 250;
const POINTS = 20;

export async function replayBench(short: boolean): Promise<ReplayBenchResult> {
  const minutes = short ? 3 : 60;
  const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-bench-replay-'));
  const broker = await startMosquitto();
  const devices: DeviceMeta[] = Array.from({ length: DEVICES }, (_, i) => ({
    key: `bench/d${i}`,
    id: `d${i}`,
    enterprise: 'bench',
    points: Array.from({ length: POINTS }, (_, j) => ({ name: `p${j}`, datatype: SparkplugType.Float })),
  }));
  const queue = new DiskQueue({ dir: path.join(dir, 'queue'), maxBytes: 2 ** 34, maxAgeMs: 7 * 86_400_000 });
  await queue.open();
  try {
    // Fill: one record per device poll, as the publisher stores them while disconnected.
    const start = Date.now() - minutes * 60_000;
    for (let s = 0; s < minutes * 60; s++) {
      const batch: QueueRecord[] = devices.map((d, i) => {
        const time = start + s * 1000 + i;
        const metrics = d.points.map((p, j) => ({
          name: p.name,
          timestamp: time,
          datatype: SparkplugType.Float,
          value: s + j,
        }));
        return { topic: d.key, payload: encodePayload({ metrics }), sourceTime: time };
      });
      await queue.append(batch);
    }
    const backlog = queue.stats().entries * POINTS;
    const config = GatewayFile.parse({
      gateway: { group: 'bench', node: 'replay' },
      mqtt: { brokers: [broker.url], protocolVersion: 5 },
    });
    const publisher = new SparkplugPublisher({
      config,
      devices,
      queue,
      bufferDir: dir,
      log: pino({ level: 'silent' }),
    });
    await publisher.start();
    // Live data at 5,000 points/s while the backlog drains.
    let live = 0;
    const liveTimer = setInterval(() => {
      const now = Date.now();
      for (let k = 0; k < DEVICES / 10; k++) {
        const d = devices[(live / POINTS + k) % DEVICES];
        if (!d) continue;
        const readings: Reading[] = d.points.map((p, j) => ({
          point: p.name,
          value: j + now / 1000,
          good: true,
          time: now,
        }));
        publisher.readings(d.key, readings);
        live += POINTS;
      }
    }, 100);
    const t0 = performance.now();
    while (queue.stats().entries > 0) await new Promise((r) => setTimeout(r, 100));
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(liveTimer);
    await publisher.stop();
    return {
      backlogMinutes: minutes,
      backlogPoints: backlog,
      replaySeconds: seconds,
      speedup: (minutes * 60) / seconds,
      livePointsPerSecond: live / seconds,
    };
  } finally {
    await queue.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
