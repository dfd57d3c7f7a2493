/**
 * kill -9 of the gateway during an uplink outage, then a restart: what the first process read
 * and queued on disk before it died is delivered after the uplink returns, in order. Each step
 * waits for the process's own queue counters (its /health), not for time to pass.
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
      http: true,
    });
    const health = rig.httpUrl ?? '';
    /** Records the running gateway has appended to its disk queue, lifetime (persisted across restarts). */
    const appended = async (): Promise<number> => {
      const body = (await (await fetch(`${health}/health`)).json()) as { queue: { appended: number } };
      return body.queue.appended;
    };
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
    // Five devices, one record per device and poll: 25 records ≈ five polls queued by each process.
    const before = await appended();
    await waitFor(async () => (await appended()) >= before + 25, {
      what: 'readings queued by the first process',
    });
    gw.child.kill('SIGKILL');
    await gw.exited;
    const killedAt = Date.now();
    gw = gateway();
    let restarted: number | undefined;
    await waitFor(
      async () => {
        restarted ??= await appended();
        return (await appended()) >= restarted + 25;
      },
      { what: 'readings queued by the restarted process', timeoutMs: 30_000, signal: gw.exitSignal },
    );
    const restoredAt = Date.now();
    await uplink.restore();
    await waitFor(() => voltage().some((t) => t > restoredAt), {
      what: 'live data after the outage',
      timeoutMs: 20_000,
    });
    const times = () => voltage().sort((a, b) => a - b);
    const during = (from: number, to: number) => times().filter((t) => t > from && t < to).length;
    // Nothing missing inside each process's life: no gap longer than a few poll intervals.
    const longGaps = () => {
      const t = times();
      return t
        .slice(1)
        .map((b, i) => [t[i] ?? 0, b] as const)
        .filter(([a, b]) => b - a > 1000 && !(a < killedAt && b > killedAt));
    };
    await waitFor(() => longGaps().length === 0, { what: 'the backlog replayed', timeoutMs: 20_000 }).catch(
      () => undefined, // the assertions below say what is missing
    );
    await gw.stop();
    // Read by the first process after the cut and queued before kill -9: delivered.
    expect(during(cutAt, killedAt)).toBeGreaterThanOrEqual(4);
    // Read by the second process before the uplink returned: delivered too.
    expect(during(killedAt, restoredAt)).toBeGreaterThanOrEqual(3);
    expect(longGaps()).toEqual([]);
    expect(observer.errors).toEqual([]);
  });
});
