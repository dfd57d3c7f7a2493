/**
 * kill -9 of the gateway during an uplink outage, then a restart: what the first process read
 * and queued on disk before it died is delivered after the uplink returns, in order.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mosquittoBinary } from '../helpers/mosquitto.ts';
import { type ManagedProcess, startProcess } from '../helpers/process.ts';
import { tool } from '../helpers/tools.ts';
import { waitFor } from '../helpers/wait.ts';
import { type Rig, startRig } from './_setup/rig.ts';

let rig: Rig | undefined;
afterAll(() => rig?.close());

describe('gateway crash', () => {
  it('kill -9 during an outage loses nothing that was queued', async (ctx) => {
    tool(ctx, mosquittoBinary.name, mosquittoBinary.installHint);
    rig = await startRig({
      name: 'crash',
      tickMs: 100,
      interval: '200ms',
      timeout: '150ms',
      reconnectMax: '300ms',
    });
    const { observer, file } = rig;
    const uplink = rig.uplink as NonNullable<Rig['uplink']>;
    const gateway = (): ManagedProcess =>
      startProcess('gateway', process.execPath, ['bin/lianwang.js', 'gateway', file], {
        env: { ...process.env, LOG_LEVEL: 'warn' },
      });
    const voltage = () => [...(observer.samples.get('meter|voltage_a')?.keys() ?? [])];

    let gw = gateway();
    rig.defer(() => gw.stop());
    await waitFor(() => observer.count('DDATA') >= 5, {
      what: 'live data from the gateway',
      timeoutMs: 20_000,
    });
    const cutAt = Date.now();
    await uplink.cut();
    await waitFor(() => Date.now() - cutAt > 1500, { what: 'readings to queue', intervalMs: 100 });
    gw.child.kill('SIGKILL');
    await gw.exited;
    const killedAt = Date.now();
    gw = gateway();
    await waitFor(() => Date.now() - killedAt > 3000, {
      what: 'the restarted gateway to queue',
      intervalMs: 100,
    });
    const restoredAt = Date.now();
    await uplink.restore();
    await waitFor(() => voltage().some((t) => t > restoredAt), {
      what: 'live data after the outage',
      timeoutMs: 20_000,
    });
    await waitFor(() => observer.count('DDATA') > 0, { what: 'replay' });
    await gw.stop();

    const times = voltage().sort((a, b) => a - b);
    const during = (from: number, to: number) => times.filter((t) => t > from && t < to).length;
    // Read by the first process after the cut and queued before kill -9: delivered.
    expect(during(cutAt, killedAt)).toBeGreaterThanOrEqual(4);
    // Read by the second process before the uplink returned: delivered too.
    expect(during(killedAt, restoredAt)).toBeGreaterThanOrEqual(3);
    // Nothing missing inside each process's life: no gap longer than a few poll intervals.
    const gaps = times.slice(1).map((t, i) => [times[i] ?? 0, t] as const);
    const longGaps = gaps.filter(([a, b]) => b - a > 1000 && !(a < killedAt && b > killedAt));
    expect(longGaps).toEqual([]);
    expect(observer.errors).toEqual([]);
  });
});
