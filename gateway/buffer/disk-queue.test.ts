import { ClassicLevel } from 'classic-level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait.ts';
import { META_KEY } from './codec.ts';
import { type DiskQueue, type DiskQueueOptions, type DropInfo, storedSize } from './disk-queue.ts';
import { indexOf, numbered, openQueue, range, readAll, tempDir } from './helpers.ts';

const BIG = 1 << 30;
const DAY = 86_400_000;

let dir: string;
let remove: () => Promise<void>;
const opened: DiskQueue[] = [];

beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});

afterEach(async () => {
  for (const q of opened.splice(0)) await q.close();
  await remove();
});

async function open(options: Partial<DiskQueueOptions> = {}): Promise<DiskQueue> {
  const q = await openQueue({ dir, maxBytes: BIG, maxAgeMs: DAY, now: () => 1_700_000_000_000, ...options });
  opened.push(q);
  return q;
}

async function reopen(q: DiskQueue, options: Partial<DiskQueueOptions> = {}): Promise<DiskQueue> {
  await q.close();
  opened.splice(opened.indexOf(q), 1);
  return open(options);
}

function expectConsistent(q: DiskQueue, entries: readonly { bytes: number }[]): void {
  const s = q.stats();
  expect(s.entries).toBe(entries.length);
  expect(s.bytes).toBe(entries.reduce((sum, e) => sum + e.bytes, 0));
  expect(s.appended).toBe(s.entries + s.acked + s.droppedEntries);
  expect(s.droppedEntries).toBe(s.droppedByAge + s.droppedBySize);
}

describe('DiskQueue', () => {
  it('keeps append order across concurrent appends and a close/reopen, with round-tripped records', async () => {
    let q = await open();
    // 100 appends in flight at once: they are group-committed, in call order.
    await Promise.all(Array.from({ length: 100 }, (_, b) => q.append(range(b * 50, 50))));
    q = await reopen(q);
    await Promise.all(Array.from({ length: 20 }, (_, b) => q.append(range(5_000 + b * 50, 50))));

    const all = await readAll(q);
    expect(all.map(indexOf)).toEqual(Array.from({ length: 6_000 }, (_, i) => i));
    const ids = all.map((e) => e.id);
    expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] as number))).toBe(true);
    const sample = all[4_321];
    const original = numbered(4_321);
    expect(sample?.topic).toBe(original.topic);
    expect(sample?.sourceTime).toBe(original.sourceTime);
    expect(Buffer.compare(Buffer.from(sample?.payload ?? []), Buffer.from(original.payload))).toBe(0);
    expect(sample?.bytes).toBe(storedSize(original));
    expect(q.stats().oldestSourceTime).toBe(numbered(0).sourceTime);
    expectConsistent(q, all);
  });

  it('copies records at append(), so the caller may reuse its buffers', async () => {
    const q = await open();
    const record = numbered(7);
    const done = q.append([record]);
    record.payload.fill(0xff);
    await done;
    const [entry] = await q.peek(1);
    expect(entry && indexOf(entry)).toBe(7);
  });

  it('peek honours max, maxBytes and after, and always returns one entry if any', async () => {
    const q = await open();
    await q.append(range(0, 100));
    const size = storedSize(numbered(0));
    expect((await q.peek(10)).map(indexOf)).toEqual(range(0, 10).map((_, i) => i));
    expect(await q.peek(50, size * 3 + 1)).toHaveLength(3);
    expect(await q.peek(50, 1)).toHaveLength(1);
    const page = await q.peek(5);
    expect((await q.peek(5, Infinity, page[4]?.id)).map(indexOf)).toEqual([5, 6, 7, 8, 9]);
    expect(await q.peek(0)).toEqual([]);
  });

  it('ack and ackUpTo remove exactly those entries and count only what existed', async () => {
    const q = await open();
    await q.append(range(0, 20));
    const entries = await q.peek(20);
    const id = (i: number) => (entries[i] as { id: number }).id;

    expect(await q.ack([id(3), id(5), id(5), id(19)])).toBe(3);
    expect(await q.ack([id(3), 123_456, -1, 0.5])).toBe(0);
    expect((await readAll(q)).map(indexOf)).toEqual([
      0, 1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
    ]);

    expect(await q.ackUpTo(id(6))).toBe(5); // 0, 1, 2, 4, 6
    expect((await readAll(q)).map(indexOf)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    expect(q.stats().oldestSourceTime).toBe(numbered(7).sourceTime);

    expect(await q.ack([id(7)])).toBe(1); // the head, by id: the head moves on
    expect(q.stats().oldestSourceTime).toBe(numbered(8).sourceTime);
    expect(await q.ackUpTo(id(18))).toBe(11);
    expect(await q.ackUpTo(id(18))).toBe(0);
    expect(q.stats()).toMatchObject({
      entries: 0,
      bytes: 0,
      acked: 20,
      appended: 20,
      oldestSourceTime: null,
    });

    await q.append(range(20, 2));
    const [next] = await q.peek(1);
    expect(next && next.id > id(19)).toBe(true);
    expect(next && indexOf(next)).toBe(20);
  });

  it('replays unacked entries again after a reopen (at-least-once)', async () => {
    let q = await open();
    await q.append(range(0, 30));
    const first = await q.peek(10);
    await q.ackUpTo((first[4] as { id: number }).id); // acked 0..4; 5..9 "published" but not acked
    q = await reopen(q);
    const again = await readAll(q);
    expect(again.map(indexOf)).toEqual(range(5, 25).map((_, i) => 5 + i));
    expect(again.slice(0, 5).map((e) => e.id)).toEqual(first.slice(5).map((e) => e.id));
  });

  it('drops the oldest entries first past maxBytes, and counts every drop', async () => {
    const size = storedSize(numbered(0));
    const drops: DropInfo[] = [];
    let q = await open({ maxBytes: size * 10 + 5, onDrop: (info) => drops.push(info) });
    for (let b = 0; b < 5; b++) await q.append(range(b * 5, 5));

    expect((await readAll(q)).map(indexOf)).toEqual(range(15, 10).map((_, i) => 15 + i));
    expect(q.stats()).toMatchObject({ entries: 10, bytes: size * 10, droppedBySize: 15, droppedByAge: 0 });
    expect(q.stats().droppedBytes).toBe(size * 15);
    expect(drops.every((d) => d.reason === 'size')).toBe(true);
    expect(drops.reduce((n, d) => n + d.entries, 0)).toBe(15);
    expect(drops.map((d) => [d.firstId, d.lastId])).toEqual([
      [0, 4],
      [5, 9],
      [10, 14],
    ]);
    expect(drops[0]).toMatchObject({ bytes: size * 5, oldestSourceTime: numbered(0).sourceTime });

    // A batch bigger than the bound on its own keeps only its newest records.
    await q.append(range(100, 13));
    expect((await readAll(q)).map(indexOf)).toEqual(range(103, 10).map((_, i) => 103 + i));
    expect(drops.slice(-2).map((d) => [d.firstId, d.lastId, d.entries])).toEqual([
      [15, 24, 10],
      [25, 27, 3],
    ]);
    q = await reopen(q, { maxBytes: size * 10 + 5 });
    expectConsistent(q, await readAll(q));
    expect(q.stats().droppedBySize).toBe(28);
  });

  it('drops entries past maxAgeMs from the head, on append, on open and periodically', async () => {
    let now = 1_000_000;
    const drops: DropInfo[] = [];
    const options = { maxAgeMs: 1_000, now: () => now, onDrop: (info: DropInfo) => drops.push(info) };
    let q = await open(options);
    await q.append(range(0, 10, (i) => 500_000 + i * 100_000)); // 500,000 .. 1,400,000
    // cutoff 999,000: entries 0..4 (≤ 900,000) go; 5 (1,000,000) stays.
    expect((await readAll(q)).map(indexOf)).toEqual([5, 6, 7, 8, 9]);
    expect(q.stats()).toMatchObject({ droppedByAge: 5, droppedBySize: 0, oldestSourceTime: 1_000_000 });
    expect(drops).toEqual([expect.objectContaining({ reason: 'age', entries: 5, firstId: 0, lastId: 4 })]);

    // FIFO: an old record behind a young head waits until it reaches the head.
    await q.append([numbered(10, 1)]);
    expect(q.stats().entries).toBe(6);

    now = 1_150_500; // cutoff 1,149,500: 5 (1,000,000) and 6 (1,100,000) go on open
    q = await reopen(q, options);
    expect((await readAll(q)).map(indexOf)).toEqual([7, 8, 9, 10]);
    expect(q.stats().droppedByAge).toBe(7);

    q = await reopen(q, { ...options, expireIntervalMs: 20 });
    now = 1_000_000_000; // everything is old now: 7, 8, 9 by age, and then 10 at the head
    await waitFor(() => q.stats().entries === 0, { what: 'periodic expiry' });
    expect(q.stats()).toMatchObject({
      droppedByAge: 11,
      droppedEntries: 11,
      bytes: 0,
      oldestSourceTime: null,
    });
  });

  it('keeps counters and stats across reopen, and rebuilds them if the meta key is missing', async () => {
    const size = storedSize(numbered(0));
    let q = await open({ maxBytes: size * 50 });
    await q.append(range(0, 80));
    await q.ackUpTo((await q.peek(1, Infinity, undefined))[0]?.id ?? -1);
    const before = q.stats();
    expect(before).toMatchObject({ entries: 49, appended: 80, acked: 1, droppedBySize: 30 });
    q = await reopen(q, { maxBytes: size * 50 });
    expect(q.stats()).toEqual(before);
    expectConsistent(q, await readAll(q));

    await q.close();
    opened.splice(opened.indexOf(q), 1);
    const raw = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await raw.del(META_KEY);
    await raw.close();
    q = await open({ maxBytes: size * 50 });
    expect(q.stats()).toMatchObject({ entries: 49, bytes: before.bytes, appended: 49, acked: 0 });
    await q.append(range(80, 1));
    const all = await readAll(q);
    expect(all.map(indexOf)).toEqual(range(31, 50).map((_, i) => 31 + i));
  });

  it('deletes in bounded batches: an ack across 12,000 entries, and a lowered maxBytes after reopen', async () => {
    const size = storedSize(numbered(0));
    const drops: DropInfo[] = [];
    let q = await open();
    for (let b = 0; b < 30; b++) await q.append(range(b * 1_000, 1_000));
    const [head] = await q.peek(1);
    expect(await q.ackUpTo((head?.id ?? 0) + 11_999)).toBe(12_000);
    expect((await q.peek(1)).map(indexOf)).toEqual([12_000]);

    q = await reopen(q, { maxBytes: size * 1_000, onDrop: (info) => drops.push(info) });
    await q.append(range(30_000, 1));
    expect(drops.map((d) => d.entries)).toEqual([5_000, 5_000, 5_000, 2_001]); // 18,000 stored + 1 → 1,000
    expect((await readAll(q)).map(indexOf)).toEqual(range(29_001, 1_000).map((_, i) => 29_001 + i));
    expect(q.stats()).toMatchObject({
      entries: 1_000,
      bytes: size * 1_000,
      droppedBySize: 17_001,
      acked: 12_000,
    });
  });

  it('runs a live writer and a replayer side by side without loss, duplicates or reordering', async () => {
    const q = await open({ syncIntervalMs: 0 });
    const total = 20_000;
    const writer = (async () => {
      for (let i = 0; i < total; i += 250) {
        void q.append(range(i, 125)); // two appends per turn, the first not awaited
        await q.append(range(i + 125, 125));
      }
    })();
    const seen: number[] = [];
    let cursor: number | undefined;
    while (seen.length < total) {
      const page = await q.peek(300, 64 * 1024, cursor);
      if (page.length === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      seen.push(...page.map(indexOf));
      cursor = page[page.length - 1]?.id;
      // Ack one page behind, the way a publisher acks what the broker has acknowledged.
      if (seen.length > 600 && cursor !== undefined) await q.ackUpTo(cursor - 300);
    }
    await writer;
    await q.ackUpTo(cursor ?? 0);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(q.stats()).toMatchObject({ entries: 0, bytes: 0, acked: total, appended: total });
    await q.sync();
  });

  it('rejects use outside open/close, invalid records and a second opener of the same directory', async () => {
    const q = await open();
    await expect(
      q.append([{ topic: 't', payload: new Uint8Array(1), sourceTime: Number.NaN }]),
    ).rejects.toThrow(/record 0: sourceTime/);
    await expect(openQueue({ dir, maxBytes: BIG, maxAgeMs: DAY })).rejects.toThrow(/cannot open/);
    await q.close();
    await expect(q.append(range(0, 1))).rejects.toThrow(/closed/);
    await expect(q.peek(1)).rejects.toThrow(/closed/);
    await expect(q.ackUpTo(1)).rejects.toThrow(/closed/);
    await expect(q.sync()).rejects.toThrow(/closed/);
  });
});
