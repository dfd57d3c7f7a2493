/**
 * Store-and-forward through an uplink outage: the gateway reaches mosquitto through a proxy
 * that the test cuts (connections dropped, new ones refused) while the gateway polls; the
 * readings go to the disk queue, and once the broker is reachable again they are replayed in
 * order as historical data. The observer, connected to the broker directly, ends up with
 * exactly the samples the gateway forwarded. (A real broker restart: broker-restart.test.ts.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mosquittoBinary } from '../helpers/mosquitto.ts';
import { tool } from '../helpers/tools.ts';
import { waitFor } from '../helpers/wait.ts';
import { historicalOutOfOrder, type Rig, startRig, untilDelivered, withoutEnterprise } from './_setup/rig.ts';

let rig: Rig | undefined;
afterAll(() => rig?.close());

describe('broker outage', () => {
  it('loses no sample: queued on disk, replayed in order after the broker returns', async (ctx) => {
    tool(ctx, mosquittoBinary.name, mosquittoBinary.installHint);
    rig = await startRig({
      name: 'outage',
      tickMs: 250,
      interval: '300ms',
      timeout: '250ms',
      reconnectMax: '400ms',
    });
    const { observer } = rig;
    const uplink = rig.uplink as NonNullable<Rig['uplink']>;
    const gw = await rig.gateway();

    await waitFor(() => observer.count('DDATA') >= 10, { what: 'live data' });
    await uplink.cut();
    const down = Date.now();
    await waitFor(() => gw.queue().entries >= 20 && Date.now() - down > 2000, {
      what: 'readings queued on disk',
    });
    expect(gw.north().connected).toBe(false);
    await uplink.restore();
    await waitFor(() => gw.north().connected && gw.queue().entries === 0, {
      what: 'the backlog replayed',
      timeoutMs: 20_000,
    });
    expect(gw.north().pointsReplayed).toBeGreaterThan(0);

    await gw.stop();
    const forwarded = withoutEnterprise(gw.sampleCounts().forwarded);
    await untilDelivered(
      observer,
      forwarded,
      () => `north ${JSON.stringify(gw.north())}; queue ${JSON.stringify(gw.queue())}`,
    );
    for (const [key, n] of forwarded) expect(observer.samples.get(key)?.size, key).toBe(n);
    expect(gw.queue().droppedEntries).toBe(0);

    // The backlog arrived in order, per device.
    const historical = observer.messages.filter(
      (m) => m.type === 'DDATA' && m.metrics.some((x) => x.isHistorical),
    );
    expect(historical.length).toBeGreaterThan(5);
    expect(historicalOutOfOrder(observer)).toEqual([]);
  });
});
