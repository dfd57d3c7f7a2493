import { afterEach, describe, expect, it, vi } from 'vitest';
import { Batcher, type BatchInfo } from '../../cloud/store/batcher.ts';
import { InvalidRowError, PermanentStoreError } from '../../cloud/store/common.ts';

/** An in-memory write target that fails its first `failures` calls, or while `down` is set. */
class FakeTarget {
  readonly rows: number[] = [];
  readonly calls: number[][] = [];
  failures: number;
  down = false;
  error: () => Error = () => new Error('connect ECONNREFUSED ::1:8086');
  /** When set, write() waits for this before finishing. */
  gate: Promise<void> | undefined;
  inFlight = 0;
  maxInFlight = 0;

  constructor(failures = 0) {
    this.failures = failures;
  }

  write = async (rows: readonly number[]): Promise<void> => {
    this.calls.push([...rows]);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.gate;
      if (this.down || this.failures > 0) {
        this.failures--;
        throw this.error();
      }
      this.rows.push(...rows);
    } finally {
      this.inFlight--;
    }
  };
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Batcher', () => {
  it('writes a full batch at once and resolves each add() when its rows are durable', async () => {
    const target = new FakeTarget();
    const b = new Batcher({ write: target.write, maxRows: 100, maxDelayMs: 60_000 });
    const first = b.add(range(0, 60));
    const second = b.add(range(60, 60)); // 120 pending: one batch of 100 starts, 20 wait
    expect(target.calls.map((c) => c.length)).toEqual([100]);
    await first;
    expect(b.pending).toBe(20);
    await b.close(); // flushes the 20 without waiting for maxDelayMs
    await second;
    expect(target.rows).toEqual(range(0, 120));
    expect(b.stats).toMatchObject({
      batches: 2,
      rows: 120,
      failures: 0,
      lastBatchRows: 20,
      maxBatchRows: 100,
      pending: 0,
    });
  });

  it('flushes a partial batch maxDelayMs after its first row', async () => {
    vi.useFakeTimers();
    const target = new FakeTarget();
    const b = new Batcher({ write: target.write, maxRows: 100, maxDelayMs: 200 });
    const done = b.add([1, 2]);
    await vi.advanceTimersByTimeAsync(150);
    void b.add([3]); // does not restart the clock
    await vi.advanceTimersByTimeAsync(49);
    expect(target.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(target.calls).toEqual([[1, 2, 3]]);
    await b.close();
  });

  it('retries a failing write with capped exponential backoff and jitter, counting failures', async () => {
    vi.useFakeTimers();
    const target = new FakeTarget(5);
    const waits: number[] = [];
    const log = {
      debug() {},
      info() {},
      error() {},
      warn: (o: object) => waits.push((o as { waitMs: number }).waitMs),
    };
    const b = new Batcher({
      write: target.write,
      maxRows: 10,
      backoffMinMs: 100,
      backoffMaxMs: 1_000,
      random: () => 0.5, // jitter factor 0.75
      log,
    });
    let resolved = false;
    const done = b.add(range(0, 10)).then(() => (resolved = true));
    await vi.advanceTimersByTimeAsync(10_000);
    await done;
    expect(resolved).toBe(true);
    expect(waits).toEqual([75, 150, 300, 600, 750]);
    expect(target.calls).toHaveLength(6);
    expect(target.rows).toEqual(range(0, 10));
    expect(b.stats).toMatchObject({ batches: 1, rows: 10, failures: 5, rejectedRows: 0 });
    await b.close();
  });

  it('reports full at the high water mark and drains below it (backpressure)', async () => {
    const target = new FakeTarget();
    const g = gate();
    target.gate = g.promise;
    const b = new Batcher({ write: target.write, maxRows: 10, highWater: 25 });
    const drains: number[] = [];
    b.on('drain', () => drains.push(b.pending));
    void b.add(range(0, 20));
    expect(b.full).toBe(false);
    void b.add(range(20, 10));
    expect(b.pending).toBe(30);
    expect(b.full).toBe(true);
    let drained = false;
    const waiting = b.waitForDrain().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    g.open();
    await waiting;
    expect(b.full).toBe(false);
    expect(drains).toEqual([20]);
    await b.close();
    expect(target.rows).toEqual(range(0, 30));
    await expect(b.waitForDrain()).resolves.toBeUndefined();
  });

  it('keeps at most `concurrency` batches in flight', async () => {
    const target = new FakeTarget();
    const g = gate();
    target.gate = g.promise;
    const b = new Batcher({ write: target.write, maxRows: 5, concurrency: 2 });
    const all = b.add(range(0, 30));
    expect(target.inFlight).toBe(2);
    expect(b.stats.inFlight).toBe(2);
    g.open();
    await all;
    expect(target.maxInFlight).toBe(2);
    expect(target.rows.sort((x, y) => x - y)).toEqual(range(0, 30));
    await b.close();
  });

  it('rejects rows a permanent error refuses instead of retrying them, and carries on', async () => {
    const target = new FakeTarget(1);
    target.error = () => new InvalidRowError('sample a/b/c: time 1.5 is not an integer ms');
    const onBatch = vi.fn<(b: BatchInfo) => void>();
    const b = new Batcher({ write: target.write, maxRows: 3, name: 'duckdb at /data/store', onBatch });
    const bad = b.add([1, 2, 3]);
    await expect(bad).rejects.toThrow(/duckdb at \/data\/store: 3 rows cannot be written: sample a\/b\/c/);
    await expect(bad).rejects.toBeInstanceOf(Error);
    await b.add([4, 5, 6]);
    expect(target.rows).toEqual([4, 5, 6]);
    expect(b.stats).toMatchObject({ batches: 1, failures: 1, rejectedRows: 3 });
    expect(onBatch).toHaveBeenCalledWith({ rows: 3, latencyMs: expect.any(Number) as number, attempts: 1 });
    expect(new InvalidRowError('x')).toBeInstanceOf(PermanentStoreError);
    await b.close();
  });

  it('rejects only the add() holding rows the target refuses, when a batch mixes several', async () => {
    const target = new FakeTarget();
    const write = target.write;
    // Like InfluxDB's 400 for a field type conflict: the whole request fails for one bad row.
    target.write = async (rows) => {
      if (rows.includes(13)) {
        target.calls.push([...rows]);
        throw new PermanentStoreError('field type conflict at 13');
      }
      return write(rows);
    };
    const b = new Batcher({ write: target.write, maxRows: 100, maxDelayMs: 60_000 });
    const adds = [range(0, 10), range(10, 10), range(20, 10)].map((r) => b.add(r));
    await b.close();
    const outcomes = await Promise.allSettled(adds);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(target.rows.sort((x, y) => x - y)).toEqual([...range(0, 10), ...range(20, 10)]);
    expect(target.calls.map((c) => c.length)).toEqual([30, 10, 10, 10]);
    expect(b.stats).toMatchObject({ failures: 2, rejectedRows: 10, pending: 0 });
  });

  it('check() refuses an add() alone, before it joins a batch', async () => {
    const target = new FakeTarget();
    const b = new Batcher<number>({
      write: target.write,
      check: (rows) => {
        if (rows.some((r) => !Number.isInteger(r))) throw new InvalidRowError('not an integer');
      },
    });
    await expect(b.add([1, 1.5])).rejects.toThrow(InvalidRowError);
    await b.add([2, 3]);
    expect(target.rows).toEqual([2, 3]);
    await b.close();
  });

  it('close() writes what is pending, then refuses new rows', async () => {
    const target = new FakeTarget(2);
    const b = new Batcher({ write: target.write, maxRows: 1_000, maxDelayMs: 60_000, backoffMinMs: 1 });
    const pending = b.add(range(0, 7));
    await b.close();
    await pending;
    expect(target.rows).toEqual(range(0, 7));
    await expect(b.add([8])).rejects.toThrow(/closed/);
    await b.close(); // idempotent
  });

  it('close() rejects pending rows with the last error when the target stays down past the deadline', async () => {
    vi.useFakeTimers();
    const target = new FakeTarget();
    target.down = true;
    const b = new Batcher({
      write: target.write,
      maxRows: 4,
      concurrency: 1,
      backoffMinMs: 10,
      closeTimeoutMs: 1_000,
      name: 'influx at http://[::1]:8086/lianwang',
    });
    const results = [b.add(range(0, 4)), b.add(range(4, 4))].map((p) =>
      p.then(
        () => 'written',
        (err: Error) => err.message,
      ),
    );
    const closed = b.close();
    await vi.advanceTimersByTimeAsync(1_000);
    await closed;
    const messages = await Promise.all(results);
    for (const m of messages)
      expect(m).toBe(
        'batcher for influx at http://[::1]:8086/lianwang closed with 8 rows not written after 1000 ms: connect ECONNREFUSED ::1:8086',
      );
    expect(b.stats.rejectedRows).toBe(8);
    const calls = target.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(target.calls.length).toBe(calls); // no retries after giving up
  });
});
