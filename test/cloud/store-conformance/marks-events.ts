/** Online marks and link events: per-width buckets, causal order, idempotence, loads since a time. */
import { expect, it } from 'vitest';
import { InvalidRowError } from '../../../cloud/store/common.ts';
import type { LinkEvent, OnlineMark } from '../../../cloud/store/types.ts';
import { waitFor } from '../../helpers/wait.ts';
import { type Setup, sortMarks, T0 } from './fixture.ts';

export function markAndEventCases(setup: Setup): void {
  it('stores online marks idempotently, per bucket width, and loads [from, to)', async (ctx) => {
    const { store } = await setup(ctx);
    const hour = 3_600_000;
    const H0 = 472_222 * hour; // 2023-11-14T22:00Z: a multiple of both widths
    const minute: OnlineMark[] = [0, 1, 2, 3].map((i) => ({
      enterprise: 'ent-1',
      device: 'press-3',
      bucket: H0 + i * 60_000,
    }));
    const hourly: OnlineMark[] = [{ enterprise: 'ent-1', device: 'press-3', bucket: H0 }];
    await store.writeOnline(minute, 60_000);
    await store.writeOnline([...minute.slice(1), ...minute], 60_000);
    await store.writeOnline(hourly, hour);
    await store.writeOnline([{ enterprise: 'ent-1', device: 'lathe-1', bucket: H0 }], 60_000);
    expect(sortMarks(await store.loadOnline(60_000, H0 + 60_000, H0 + 180_000))).toEqual(minute.slice(1, 3));
    expect(await store.loadOnline(60_000, 0, Infinity)).toHaveLength(5);
    expect(await store.loadOnline(hour, 0, Infinity)).toEqual(hourly);
    expect(await store.loadOnline(30_000, 0, Infinity)).toEqual([]);
    await expect(
      store.writeOnline([{ enterprise: 'e', device: 'd', bucket: T0 + 1 }], 60_000),
    ).rejects.toThrow(InvalidRowError);
  });

  it('loads link events ascending by time, idempotently, with same-ms events in causal order', async (ctx) => {
    const { store } = await setup(ctx);
    const events: LinkEvent[] = [
      { time: T0 + 10, type: 'DBIRTH', enterprise: 'ent-1', node: 'gw-1', device: 'press-3' },
      { time: T0 + 10, type: 'NBIRTH', enterprise: 'ent-1', node: 'gw-1' },
      { time: T0, type: 'NDEATH', enterprise: 'ent-1', node: 'gw-1' },
      { time: T0, type: 'DDEATH', enterprise: 'ent-1', node: 'gw-1', device: 'press-3' },
      { time: T0 + 20, type: 'NBIRTH', enterprise: 'ent-2', node: 'gw-9' },
    ];
    await store.writeEvents(events);
    await store.writeEvents(events.slice(0, 3));
    expect(await store.loadEvents(0, Infinity)).toEqual([
      events[3],
      events[2],
      events[1],
      events[0],
      events[4],
    ]);
    expect(await store.loadEvents(T0 + 10, T0 + 20)).toEqual([events[1], events[0]]);
    expect(await store.loadEvents(T0 + 21, Infinity)).toEqual([]);
  });

  it('loads the marks and events written since a time, late ones for old buckets included', async (ctx) => {
    const { store } = await setup(ctx);
    const W = 60_000;
    const B0 = Math.floor(T0 / W) * W;
    const old: OnlineMark[] = [0, 1, 2].map((i) => ({
      enterprise: 'ent-1',
      device: 'old',
      bucket: B0 + i * W,
    }));
    const oldEvents: LinkEvent[] = [{ time: T0, type: 'NBIRTH', enterprise: 'ent-1', node: 'gw-old' }];
    await store.writeOnline(old, W);
    await store.writeEvents(oldEvents);
    const before = Date.now();
    await waitFor(() => Date.now() > before, { what: 'the clock to pass the old writes' });
    const since = before + 1;
    const nowBucket = Math.floor(Date.now() / W) * W;
    const fresh: OnlineMark[] = [
      { enterprise: 'ent-1', device: 'late', bucket: B0 + 5 * W }, // store-and-forward, years late
      { enterprise: 'ent-1', device: 'live', bucket: nowBucket },
      { enterprise: "quo'te\n", device: '', bucket: B0 },
    ];
    const freshEvents: LinkEvent[] = [
      { time: T0 + 7, type: 'DDEATH', enterprise: 'ent-1', node: 'gw-1', device: 'late' },
      { time: Date.now(), type: 'NDEATH', enterprise: 'ent-1', node: 'gw-1' },
    ];
    await store.writeOnline(fresh, W);
    await store.writeEvents(freshEvents);
    await store.writeOnline([{ enterprise: 'ent-1', device: 'other-width', bucket: B0 }], 30_000);

    const marks = await store.loadOnlineSince(W, since);
    expect(marks).toEqual(expect.arrayContaining(fresh));
    expect(marks.filter((m) => m.device === 'old' || m.device === 'other-width')).toEqual([]);
    const events = await store.loadEventsSince(since);
    expect(events).toEqual([freshEvents[0], freshEvents[1]]);
    // Everything, when asked from the beginning.
    expect(sortMarks(await store.loadOnlineSince(W, 0))).toEqual(sortMarks([...old, ...fresh]));
  });
}
