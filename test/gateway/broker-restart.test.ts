/**
 * A real broker restart: the gateway publishes straight to mosquitto, which is stopped (SIGTERM: it
 * saves its persistence, the observer's session and queued messages included) and started again on
 * the same port while the simulators keep running. The gateway queues what it reads meanwhile and
 * replays it as historical DDATA once reconnected. Report-by-exception is off (maxSilenceMs 0), so
 * the observer must end up with exactly the samples the gateway read — the same source timestamps per
 * point, none missing, none extra — each stream (live, historical) in order per device, and no sample
 * delivered twice by the gateway except a replay of a publish the broker took but never acknowledged.
 *
 * The outage lasts 3 s; LIANWANG_LONG=1 makes it the issue's 60 s.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Reading } from '../../gateway/drivers/types.ts';
import { mosquittoBinary } from '../helpers/mosquitto.ts';
import { tool } from '../helpers/tools.ts';
import { waitFor } from '../helpers/wait.ts';
import { historicalOutOfOrder, type Rig, startRig, untilDelivered, withoutEnterprise } from './_setup/rig.ts';

const LONG = process.env.LIANWANG_LONG === '1';
const OUTAGE_MS = LONG ? 60_000 : 3_000;

let rig: Rig | undefined;
afterAll(() => rig?.close());

describe('broker restart', () => {
  it(
    `loses no sample and duplicates none across a ${OUTAGE_MS / 1000} s mosquitto restart`,
    { timeout: OUTAGE_MS + 60_000 },
    async (ctx) => {
      tool(ctx, mosquittoBinary.name, mosquittoBinary.installHint);
      rig = await startRig({
        name: 'broker-restart',
        tickMs: 250,
        interval: '300ms',
        timeout: '250ms',
        reconnectMax: '400ms',
        proxy: false,
        persistent: true,
      });
      const { observer } = rig;
      // Source timestamps of every good sample the gateway read, per `<device>|<point>`.
      const read = new Map<string, number[]>();
      const onRead = (device: string, readings: readonly Reading[]) => {
        for (const r of readings) {
          if (!r.good) continue;
          const key = `${device.replace(/^t1\//, '')}|${r.point}`;
          let times = read.get(key);
          if (!times) read.set(key, (times = []));
          times.push(r.time);
        }
      };
      const gw = await rig.gateway({ maxSilenceMs: 0, onRead });

      await waitFor(() => observer.count('DDATA') >= 10 && gw.north().connected, { what: 'live data' });
      const start = await rig.stopBroker();
      const down = Date.now();
      await waitFor(() => !gw.north().connected, { what: 'the gateway to notice the broker is gone' });
      // The outage: the simulators and the gateway's polling carry on; readings pile up on disk.
      const queuedBefore = gw.north().pointsQueued;
      await waitFor(() => Date.now() - down >= OUTAGE_MS && gw.north().pointsQueued > queuedBefore, {
        what: `${OUTAGE_MS} ms of readings queued on disk`,
        timeoutMs: OUTAGE_MS + 10_000,
      });
      expect(gw.queue().entries).toBeGreaterThan(0);
      await start();
      const up = Date.now();
      await waitFor(() => gw.north().connected && gw.queue().entries === 0, {
        what: 'the gateway reconnected and its backlog replayed',
        timeoutMs: 30_000,
      });
      // Live data after the restart reaches the observer's persistent session.
      await waitFor(() => [...(observer.samples.get('meter|voltage_a')?.keys() ?? [])].some((t) => t > up), {
        what: 'live data after the restart',
        timeoutMs: 20_000,
      });
      await gw.stop();

      const counts = gw.sampleCounts();
      const forwarded = withoutEnterprise(counts.forwarded);
      // Report-by-exception off: what was read is what went north.
      expect(forwarded).toEqual(withoutEnterprise(counts.perPoint));
      expect(new Map([...read].map(([k, times]) => [k, times.length]))).toEqual(forwarded);
      await untilDelivered(
        observer,
        forwarded,
        () => `north ${JSON.stringify(gw.north())}; queue ${JSON.stringify(gw.queue())}`,
      );

      // Exactly the samples read, by source timestamp.
      for (const [key, times] of read) {
        const got = [...(observer.samples.get(key)?.keys() ?? [])].sort((a, b) => a - b);
        expect(got, key).toEqual([...times].sort((a, b) => a - b));
      }
      expect([...observer.samples.keys()].sort()).toEqual([...read.keys()].sort());
      expect(gw.queue().droppedEntries).toBe(0);
      expect(gw.north().pointsReplayed).toBeGreaterThan(0);
      expect(observer.errors).toEqual([]);

      // Historical replay is marked and in order per device; so is live data.
      const historical = observer.messages.filter(
        (m) => m.type === 'DDATA' && m.metrics.some((x) => x.isHistorical),
      );
      expect(historical.length).toBeGreaterThan(0);
      expect(historical.every((m) => m.metrics.every((x) => x.isHistorical))).toBe(true);
      expect(historicalOutOfOrder(observer)).toEqual([]);
      expect(liveOutOfOrder(rig)).toEqual([]);

      // No duplicates, except what at-least-once allows: a sample replayed (historical) after its live
      // publish reached the broker but the PUBACK was lost with the connection; and births, which
      // repeat the latest values by design.
      const dups = observer.repeats.filter((r) => r.first !== 'DBIRTH' && r.again !== 'DBIRTH');
      const unexplained = dups.filter((r) => !(r.first === 'DDATA' && r.again === 'DDATA historical'));
      expect(unexplained).toEqual([]);
      const far = dups.filter((r) => Math.abs(r.time - down) > 2_000);
      expect(far, 'duplicates away from the broker stop').toEqual([]);
    },
  );
});

/** Live (non-historical) DDATA metrics whose source time is not after the previous one's, per point. */
function liveOutOfOrder(rig: Rig): string[] {
  const last = new Map<string, number>();
  const names = new Map<string, string>();
  const wrong: string[] = [];
  for (const m of rig.observer.messages) {
    if (m.type === 'DBIRTH')
      for (const x of m.metrics) if (x.name) names.set(`${m.device}|${String(x.alias)}`, x.name);
    if (m.type !== 'DDATA') continue;
    for (const x of m.metrics) {
      if (x.isHistorical || x.timestamp === undefined) continue;
      const key = `${m.device}|${x.name ?? names.get(`${m.device}|${String(x.alias)}`)}`;
      if (x.timestamp <= (last.get(key) ?? 0)) wrong.push(`${key}: ${x.timestamp} after ${last.get(key)}`);
      last.set(key, x.timestamp);
    }
  }
  return wrong;
}
