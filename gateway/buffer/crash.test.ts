// kill -9 of a process that is appending and acking: every append that resolved must survive, in order,
// and the persisted counters must match what is stored.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait.ts';
import { indexOf, numbered, openQueue, readAll, tempDir } from './helpers.ts';

const WRITER = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});
afterEach(() => remove());

interface Seen {
  ready: number;
  lastOk: number;
  lastAckDone: number;
  lastAckStart: number;
  oks: number;
}

/** Runs the writer until it has done `appends` appends and some acks, then kills it with SIGKILL. */
async function runAndKill(appends: number): Promise<Seen> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen: Seen = { ready: -1, lastOk: -1, lastAckDone: -1, lastAckStart: -1, oks: 0 };
  let stderr = '';
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const [what, n] = line.split(' ');
      const value = Number(n);
      if (what === 'ready') seen.ready = value;
      else if (what === 'ok') {
        seen.lastOk = Math.max(seen.lastOk, value);
        seen.oks += 1;
      } else if (what === 'ack-start') seen.lastAckStart = Math.max(seen.lastAckStart, value);
      else if (what === 'ack-done') seen.lastAckDone = Math.max(seen.lastAckDone, value);
    }
  });
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const exited = { done: false };
  void closed.then(() => (exited.done = true));
  try {
    await waitFor(() => exited.done || (seen.oks >= appends && seen.lastAckDone >= 0), {
      what: `writer to append ${appends} times`,
      timeoutMs: 15_000,
    });
  } finally {
    child.kill('SIGKILL');
  }
  await closed;
  expect(child.signalCode, `writer should die by SIGKILL; stderr: ${stderr}`).toBe('SIGKILL');
  return seen;
}

async function verify(seen: Seen): Promise<number> {
  const q = await openQueue({ dir, maxBytes: 1 << 30, maxAgeMs: 86_400_000, now: () => 1_700_000_000_000 });
  try {
    const entries = await readAll(q);
    const indices = entries.map(indexOf);
    const first = indices[0] ?? Infinity;
    const last = indices[indices.length - 1] ?? -1;
    // Every resolved append is there unless an ack removed it: no gaps, in order, up to the last "ok".
    expect(seen.lastOk - seen.lastAckStart).toBeGreaterThanOrEqual(2_000);
    expect(first).toBeLessThanOrEqual(seen.lastAckStart + 1);
    expect(last).toBeGreaterThanOrEqual(seen.lastOk);
    expect(indices).toEqual(Array.from({ length: indices.length }, (_, i) => first + i));
    expect(entries.every((e) => e.id === indexOf(e))).toBe(true);
    const sample = entries[Math.floor(entries.length / 2)];
    if (sample) expect(sample.sourceTime).toBe(numbered(indexOf(sample)).sourceTime);
    // Acks: everything up to a finished ack is gone; nothing past the last started ack is.
    expect(first - 1).toBeGreaterThanOrEqual(seen.lastAckDone);
    // The counters were committed atomically with the data.
    const s = q.stats();
    expect(s.entries).toBe(entries.length);
    expect(s.bytes).toBe(entries.reduce((sum, e) => sum + e.bytes, 0));
    expect(s.appended).toBe(last + 1);
    expect(s.acked).toBe(s.appended - s.entries);
    return s.appended;
  } finally {
    await q.close();
  }
}

it('loses no acknowledged append when the writer is killed with SIGKILL, twice over', async () => {
  const first = await runAndKill(150);
  expect(first.ready).toBe(0);
  const appended = await verify(first);

  const second = await runAndKill(100); // resumes the same queue after the crash
  expect(second.ready).toBe(appended);
  await verify(second);
}, 40_000);
