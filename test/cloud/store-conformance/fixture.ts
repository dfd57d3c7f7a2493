/** What every conformance case gets: a fresh store per test, and the rows the cases build on. */
import type { TestContext } from 'vitest';
import type { OnlineMark, RunsSnapshot, Sample, Store } from '../../../cloud/store/types.ts';

/** A fresh, open, empty store, and a way to open a new store object on the same data. */
export interface Fixture {
  store: Store;
  reopen: () => Promise<Store>;
  /**
   * Leaves `snapshot` in the data as a write cut off after its rows (no completion marker), as
   * a crash mid-write would, and returns a store open on that data.
   */
  interrupted: (widthMs: number, snapshot: RunsSnapshot) => Promise<Store>;
}

export type Setup = (ctx: TestContext) => Promise<Fixture>;

export const T0 = 1_700_000_000_000;

export function sample(over: Partial<Sample> = {}): Sample {
  return {
    enterprise: 'ent-1',
    node: 'gw-1',
    device: 'press-3',
    metric: 'temperature',
    time: T0,
    value: 21.5,
    good: true,
    historical: false,
    ...over,
  };
}

/**
 * Opens `make()`, closes every store it handed out when the test ends. `cutOff` writes an
 * interrupted snapshot into the data while every store is closed.
 */
export async function fixture(
  ctx: TestContext,
  make: () => Store,
  cutOff: (widthMs: number, snapshot: RunsSnapshot) => Promise<void>,
  cleanup?: () => Promise<void>,
): Promise<Fixture> {
  const opened: Store[] = [];
  ctx.onTestFinished(async () => {
    for (const s of opened) await s.close();
    await cleanup?.();
  });
  const open = async (): Promise<Store> => {
    const s = make();
    opened.push(s);
    await s.open();
    return s;
  };
  const interrupted = async (widthMs: number, snapshot: RunsSnapshot): Promise<Store> => {
    for (const s of opened) await s.close();
    await cutOff(widthMs, snapshot);
    return open();
  };
  return { store: await open(), reopen: open, interrupted };
}

export function sortMarks(marks: OnlineMark[]): OnlineMark[] {
  const k = (m: OnlineMark): string => `${m.enterprise}\u0000${m.device}\u0000${m.bucket}`;
  return [...marks].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}
