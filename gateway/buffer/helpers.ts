// Test helpers for the disk queue: temp dirs, numbered records, reading a whole queue.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskQueue, type DiskQueueOptions, type QueueEntry, type QueueRecord } from './disk-queue.ts';

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lianwang-queue-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A record that carries its index in the first 8 payload bytes. */
export function numbered(index: number, sourceTime = 1_700_000_000_000 + index, size = 32): QueueRecord {
  const payload = Buffer.alloc(Math.max(size, 8));
  payload.writeDoubleBE(index, 0);
  return { topic: `spBv1.0/g/DDATA/edge/dev-${index % 5}`, payload, sourceTime };
}

export function indexOf(entry: QueueEntry): number {
  return Buffer.from(entry.payload.buffer, entry.payload.byteOffset, entry.payload.byteLength).readDoubleBE(
    0,
  );
}

export function range(from: number, count: number, sourceTime?: (i: number) => number): QueueRecord[] {
  return Array.from({ length: count }, (_, k) => numbered(from + k, sourceTime?.(from + k)));
}

/** Every stored entry, oldest first, read in pages the way a replayer would. */
export async function readAll(queue: DiskQueue): Promise<QueueEntry[]> {
  const out: QueueEntry[] = [];
  for (;;) {
    const last = out[out.length - 1];
    const page = await queue.peek(1_000, Infinity, last?.id);
    if (page.length === 0) return out;
    out.push(...page);
  }
}

export async function openQueue(options: DiskQueueOptions): Promise<DiskQueue> {
  const queue = new DiskQueue(options);
  await queue.open();
  return queue;
}
