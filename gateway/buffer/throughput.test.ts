// Throughput of the disk queue, printed, never asserted (figures drift with the machine; see STYLE.md).
//   npx vitest run gateway/buffer/throughput.test.ts
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type DiskQueue, type QueueRecord } from './disk-queue.ts';
import { openQueue, tempDir } from './helpers.ts';

const BATCH = 1_000;
const PAYLOAD = 200;
const BATCHES = 60;

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});
afterEach(() => remove());

let counter = 0;
function batch(): QueueRecord[] {
  const now = Date.now();
  return Array.from({ length: BATCH }, (_, i) => {
    const payload = Buffer.alloc(PAYLOAD, i);
    payload.writeUInt32BE(counter++, 0);
    return { topic: `spBv1.0/plant/DDATA/edge-1/dev-${i % 50}`, payload, sourceTime: now };
  });
}

async function open(syncIntervalMs: number): Promise<DiskQueue> {
  return openQueue({ dir, maxBytes: 4 * 2 ** 30, maxAgeMs: 86_400_000, syncIntervalMs });
}

async function appendAll(q: DiskQueue, inFlight: number): Promise<number> {
  const batches = Array.from({ length: BATCHES }, batch); // built before the clock starts
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < batches.length) await q.append(batches[next++] as QueueRecord[]);
    }),
  );
  return ((BATCHES * BATCH) / (performance.now() - start)) * 1_000;
}

/** Reads and acks pages of 1,000 until a peek finds the queue empty, as a replayer would. */
async function replayAll(q: DiskQueue): Promise<{ rate: number; records: number }> {
  const start = performance.now();
  let records = 0;
  let cursor: number | undefined;
  for (;;) {
    const page = await q.peek(BATCH, 1 << 20, cursor);
    if (page.length === 0) break;
    records += page.length;
    cursor = page[page.length - 1]?.id;
    if (cursor !== undefined) await q.ackUpTo(cursor);
  }
  return { rate: (records / (performance.now() - start)) * 1_000, records };
}

const rows: Record<string, string>[] = [];
function report(what: string, recordsPerSecond: number): void {
  const mb = (recordsPerSecond * (PAYLOAD + 60)) / 1e6;
  rows.push({ what, 'records/s': Math.round(recordsPerSecond).toLocaleString('en'), 'MB/s': mb.toFixed(1) });
}

it('prints append and replay throughput (1,000-record batches, 200-byte payloads)', async () => {
  let q = await open(1_000);
  report('append, 1 batch in flight, fsync every 1 s', await appendAll(q, 1));
  report('append, 4 batches in flight, fsync every 1 s', await appendAll(q, 4));
  await q.close();
  q = await open(0);
  report('append, 1 batch in flight, fsync every batch', await appendAll(q, 1));
  report('append, 4 batches in flight, fsync every batch', await appendAll(q, 4));
  await q.close();

  q = await open(1_000);
  const backlog = q.stats().entries;
  const replay = await replayAll(q);
  expect(replay.records).toBe(backlog);
  report(`replay: peek 1,000 + ackUpTo, ${backlog.toLocaleString('en')} records`, replay.rate);

  // Replay a fresh backlog until caught up while live data arrives at 5,000 records/s (1,000 every 200 ms).
  await appendAll(q, 4);
  let live = true;
  let liveAppended = 0;
  const liveStart = performance.now();
  const liveWriter = (async () => {
    while (live) {
      await q.append(batch());
      liveAppended += BATCH;
      const due = liveStart + (liveAppended / 5_000) * 1_000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    }
  })();
  const caughtUp = await replayAll(q);
  live = false;
  await liveWriter;
  const replayed = caughtUp.records.toLocaleString('en');
  report(`replay until caught up, live appends at 5,000/s (${replayed} replayed)`, caughtUp.rate);
  await q.close();

  console.log(
    `\ndisk queue throughput (${BATCH}-record batches, ${PAYLOAD}-byte payloads; MB/s ≈ records × 260 B)`,
  );
  console.table(rows);
}, 20_000);
