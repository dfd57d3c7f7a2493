/** Availability snapshots: newest complete one per width, large ones, reopen, cut-off writes. */
import { expect, it } from 'vitest';
import { InvalidRowError } from '../../../cloud/store/common.ts';
import type { RunsSnapshot } from '../../../cloud/store/types.ts';
import { type Setup, T0 } from './fixture.ts';

export function snapshotCases(setup: Setup): void {
  it('keeps the newest complete availability snapshot per width: rows and links as written, survives reopen', async (ctx) => {
    const { store, reopen } = await setup(ctx);
    const W = 60_000;
    expect(await store.loadRunsSnapshot(W)).toBeUndefined();
    const a = snapshotOf(T0, 'a');
    await store.writeRunsSnapshot(W, a);
    await store.writeRunsSnapshot(3_600_000, snapshotOf(T0 + 5, 'hourly'));
    expect(normalise(await store.loadRunsSnapshot(W))).toEqual(normalise(a));
    expect((await store.loadRunsSnapshot(3_600_000))?.takenAt).toBe(T0 + 5);
    // Big enough for many points, requests and pages in InfluxDB (48 KB chunks, 1 MB bodies, 100 chunks a query).
    const big: RunsSnapshot = {
      takenAt: T0 + 60_000,
      rows: Array.from({ length: 9_000 }, (_, i) => ({
        enterprise: `ent-${i % 7}`,
        device: `dev-${i}`,
        runs: `v1:${i.toString(36)},${'1,2,'.repeat(150)}1`,
      })),
      links: [],
    };
    await store.writeRunsSnapshot(W, big);
    await store.writeRunsSnapshot(W, big); // the same one again: still one copy
    expect(normalise(await store.loadRunsSnapshot(W))).toEqual(normalise(big));
    await store.close();
    const again = await reopen();
    expect(normalise(await again.loadRunsSnapshot(W))).toEqual(normalise(big));
    expect(await again.loadRunsSnapshot(30_000)).toBeUndefined();
    await expect(again.writeRunsSnapshot(W, { ...big, takenAt: 1.5 })).rejects.toThrow(InvalidRowError);
  });

  it('never loads a snapshot whose write was cut off; the next complete one replaces both', async (ctx) => {
    const { store, interrupted } = await setup(ctx);
    const W = 60_000;
    const done = snapshotOf(T0, 'done');
    await store.writeRunsSnapshot(W, done);
    const cut = await interrupted(W, snapshotOf(T0 + 1_000, 'cut'));
    expect(normalise(await cut.loadRunsSnapshot(W))).toEqual(normalise(done));
    const next = snapshotOf(T0 + 2_000, 'next');
    await cut.writeRunsSnapshot(W, next);
    expect(normalise(await cut.loadRunsSnapshot(W))).toEqual(normalise(next));
  });
}

/** A small snapshot whose every value says which one it is. */
function snapshotOf(takenAt: number, tag: string): RunsSnapshot {
  return {
    takenAt,
    rows: [
      { enterprise: 'ent-1', device: 'press-3', runs: `v1:${tag}` },
      { enterprise: 'ent-1', device: 'press-3', runs: `v1:${tag}-part-2` },
      { enterprise: "quo'te\\", device: '唐山 "x"\n', runs: 'v1:0,1' },
      { enterprise: 'ent-2', device: '', runs: `v1:${tag.length}` },
    ],
    links: [
      { time: takenAt - 10, type: 'NBIRTH', enterprise: 'ent-1', node: `gw-${tag}` },
      { time: takenAt - 5, type: 'DDEATH', enterprise: 'ent-1', node: 'gw-1', device: 'press-3' },
    ],
  };
}

/** Rows and links in one order (stores return them in any). */
function normalise(s: RunsSnapshot | undefined) {
  if (!s) return s;
  const keyed = s.rows.map((r) => [JSON.stringify([r.enterprise, r.device, r.runs]), r] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { ...s, rows: keyed.map(([, r]) => r) };
}
