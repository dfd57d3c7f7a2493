/**
 * The gateway's Modbus driver against a hostile device (hostile-modbus.ts): fast-check scripts
 * of garbage, truncated and lying frames, wrong ids, exceptions, drips and disconnects. The
 * driver must never crash, must report every point of every poll (bad when the answer was
 * bad), count an error for every answer that cannot be right, report as good only values the
 * device really served in a well-formed answer, recover once the device behaves, and hold no
 * more memory, sockets or timers after a long run than before it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectDevice } from '../../config/index.ts';
import { Point, type PointInput } from '../../config/model/point.ts';
import { createModbusDriver } from '../../gateway/drivers/modbus/driver.ts';
import type { DeviceStatus, Driver, Reading } from '../../gateway/drivers/types.ts';
import { decodePoint, type PointCodec } from '../../wire/modbus/codec.ts';
import { waitFor } from '../helpers/wait.ts';
import { FUZZ_TIMEOUT, heapAfterGc, runs, Tally } from './fuzz.ts';
import {
  behaviour,
  type Behaviour,
  HostileDevice,
  LEGITIMATE,
  MUST_FAIL,
  type Served,
} from './hostile-modbus.ts';

const UNIT = 7;
const TIMEOUT_MS = 30;
const silent = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

/** Two blocks per poll: holding 0+8 (float, int, word-swapped uint32, string, a bit) and coils 0+10. */
const POINTS: PointInput[] = [
  { name: 't', type: 'float32', modbus: { table: 'holding', address: 0 } },
  { name: 'n', type: 'int16', modbus: { table: 'holding', address: 2 } },
  { name: 'u', type: 'uint32', modbus: { table: 'holding', address: 3, order: 'CDAB' } },
  { name: 's', type: 'string', length: 4, modbus: { table: 'holding', address: 5 } },
  { name: 'flag', type: 'bool', modbus: { table: 'holding', address: 7, bit: 3 } },
  { name: 'run', type: 'bool', modbus: { table: 'coil', address: 0 } },
  { name: 'alarm', type: 'bool', modbus: { table: 'coil', address: 9 } },
];
const points = POINTS.map((p) => Point.parse(p));
const NAMES = points.map((p) => p.name).sort();

function device(port: number): CollectDevice {
  const connectivity = { type: 'modbus-tcp' as const, host: '::1', port, unitId: UNIT };
  return {
    device: {
      id: 'hostile',
      kind: 'fuzz',
      digital: true,
      keyProcess: false,
      connectivity,
      points,
      enterprise: 'fuzz',
      line: 'l1',
    },
    connectivity,
    points: points.map((point) => ({ point, intervalMs: 2, deadband: 0, scale: 1, offset: 0 })),
  };
}

/** The values a poll of one served answer yields, as the poller decodes them. */
function decodeServed(s: Served): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of points) {
    const m = p.modbus;
    if (!m) continue;
    const bitTable = m.table === 'coil' || m.table === 'discrete';
    if (bitTable !== s.fc <= 2) continue;
    const at = m.address - s.address;
    let v: unknown;
    if (bitTable) v = (s.data as boolean[])[at];
    else if (m.bit !== undefined) v = ((Number(s.data[at]) >> m.bit) & 1) === 1;
    else {
      const codec: PointCodec = { type: p.type, order: m.order, scale: m.scale, offset: m.offset };
      if (p.length !== undefined) codec.length = p.length;
      v = decodePoint(codec, s.data as number[], at);
    }
    out.set(p.name, key(v));
  }
  return out;
}
const key = (v: unknown) => `${typeof v}:${String(v)}`;

/**
 * Starts a driver on the device and records every batch of readings and status — or, with
 * `keep` false (long runs measuring the heap), only the last of each.
 */
function gateway(port: number, keep = true) {
  const batches: Reading[][] = [];
  /** How many answers the device had served when each batch arrived. */
  const servedAt: number[] = [];
  const statuses: DeviceStatus[] = [];
  const record = <T>(list: T[], x: T) => (keep ? list.push(x) : list.splice(0, list.length, x));
  const driver: Driver = createModbusDriver({
    devices: [device(port)],
    sink: {
      readings: (_d, r) => {
        record(batches, r);
        record(servedAt, dev.served.length);
      },
      status: (_d, s) => record(statuses, s),
    },
    log: silent,
    timeoutMs: TIMEOUT_MS,
    backoffMinMs: 1,
    backoffMaxMs: 4,
    maxGap: 16,
    dataDir: '/nonexistent',
  });
  const counters = () =>
    driver.counters().get('fuzz/hostile') as { polls: number; errors: Record<string, number> };
  return { driver, batches, servedAt, statuses, counters };
}

/** Errors of requests that reached the device (not connect failures or backoff refusals). */
const answeredErrors = (errors: Record<string, number>) =>
  Object.entries(errors)
    .filter(([k]) => k !== 'connect' && k !== 'backoff')
    .reduce((n, [, v]) => n + v, 0);

let dev: HostileDevice;
let port: number;
beforeAll(async () => {
  dev = new HostileDevice(UNIT, TIMEOUT_MS);
  port = await dev.listen();
});
afterAll(() => dev.close());

describe('Modbus driver against a hostile device', { timeout: FUZZ_TIMEOUT }, () => {
  it('counts every bad answer, reports only served values as good, and recovers', async () => {
    const tally = new Tally('modbus-device scripts (answers)');
    let scripts = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(behaviour(), { minLength: 1, maxLength: 12 }), async (script) => {
        dev.served.length = 0;
        dev.script = [...script];
        const gw = gateway(port);
        await gw.driver.start();
        try {
          // Recovered: a poll after the script whose every point is good.
          await waitFor(
            () =>
              dev.served.length >= script.length + 2 &&
              (gw.batches.at(-1)?.every((r) => r.good) ?? false) &&
              gw.statuses.at(-1)?.state === 'online',
            { what: 'recovery after the script', timeoutMs: 10_000, intervalMs: 5 },
          );
        } finally {
          await gw.driver.stop();
        }
        const served = [...dev.served];
        scripts++;
        for (const s of served) tally.count(s.kind);
        expect(dev.unexpected).toEqual([]);

        // Every poll reports every point, good or bad.
        for (const b of gw.batches) expect(b.map((r) => r.point).sort()).toEqual(NAMES);

        // Good values come only from well-formed answers carrying the device's data.
        const legit = new Map<string, Set<string>>();
        for (const s of served.filter((x) => LEGITIMATE.has(x.kind)))
          for (const [name, v] of decodeServed(s)) legit.set(name, (legit.get(name) ?? new Set()).add(v));
        for (const r of gw.batches.flat().filter((x) => x.good))
          expect(legit.get(r.point), `${r.point} = ${String(r.value)}`).toContain(key(r.value));
        for (const r of gw.batches.flat().filter((x) => !x.good)) expect(r.value).toBeNull();

        // One error per answer that cannot be right (at least), never more than one per request.
        const c = gw.counters();
        const mustFail = served.filter((s) => MUST_FAIL.has(s.kind)).length;
        expect(answeredErrors(c.errors)).toBeGreaterThanOrEqual(mustFail);
        expect(answeredErrors(c.errors)).toBeLessThanOrEqual(served.length);
        const exceptions = Object.entries(c.errors)
          .filter(([k]) => k.startsWith('exception-'))
          .reduce((n, [, v]) => n + v, 0);
        const clean = served.filter((s, i) => s.kind === 'exception' && served[i - 1]?.kind !== 'extra');
        expect(exceptions).toBeGreaterThanOrEqual(clean.length);

        // A poll whose every point is good carries exactly the values of its own two answers.
        gw.batches.forEach((b, i) => {
          if (!b.every((r) => r.good)) return;
          const n = gw.servedAt[i] ?? 0;
          const own = [served[n - 2], served[n - 1]] as Served[];
          expect(new Map(b.map((r) => [r.point, key(r.value)]))).toEqual(
            new Map(own.flatMap((s) => [...decodeServed(s)])),
          );
        });
      }),
      { numRuns: runs(40) },
    );
    // Old connections are closed, never piled up.
    await waitFor(() => dev.open === 0, { what: 'connections closed' });
    expect(dev.maxOpen).toBeLessThanOrEqual(2);
    tally.outcomes.scripts = scripts;
    tally.report();
    expect(scripts).toBe(runs(40));
    expect(tally.inputs).toBeGreaterThan(scripts * 2);
  });

  it('keeps polling through a long hostile stream with bounded heap, sockets and timers', async () => {
    const tally = new Tally('modbus-device stream');
    const total = runs(600);
    let batchNo = 0;
    const refill = () => {
      if (dev.script.length > 0) return;
      dev.served.length = 0;
      dev.script = fc.sample(behaviour({ fast: true }), { numRuns: 50, seed: 4242 + batchNo++ });
    };
    dev.served.length = 0;
    dev.script = [];
    let answered = 0;
    const kinds: Record<string, number> = {};
    dev.onServed = () => {
      answered++;
      const s = dev.served.at(-1);
      if (s) {
        kinds[s.kind] = (kinds[s.kind] ?? 0) + 1;
        tally.count(s.kind);
      }
      refill();
    };
    refill();
    const handles = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'TCPSocketWrap').length;
    const handlesBefore = handles();
    const gw = gateway(port, false);
    await gw.driver.start();
    let heapWarm: number;
    try {
      await waitFor(() => answered >= total / 2, {
        what: 'warm-up answers',
        timeoutMs: FUZZ_TIMEOUT,
        intervalMs: 10,
      });
      heapWarm = heapAfterGc();
      await waitFor(() => answered >= total, {
        what: `${total} answers`,
        timeoutMs: FUZZ_TIMEOUT,
        intervalMs: 10,
      });
    } finally {
      dev.onServed = undefined;
      dev.script = [];
      await gw.driver.stop();
    }
    const heapEnd = heapAfterGc();
    const growth = heapEnd - heapWarm;
    await waitFor(() => dev.open === 0 && handles() <= handlesBefore, {
      what: 'sockets and timers released',
    });
    const c = gw.counters();
    tally.outcomes.heapGrowthKiB = Math.round(growth / 1024);
    tally.report();
    expect(c.polls).toBeGreaterThan(total / 4);
    expect(answeredErrors(c.errors)).toBeGreaterThanOrEqual(
      Object.entries(kinds)
        .filter(([k]) => MUST_FAIL.has(k as Behaviour['kind']))
        .reduce((n, [, v]) => n + v, 0) - 1, // a request in flight at stop() may fail after it
    );
    // Half the stream moved megabytes of garbage through the driver; it kept none of it. (Heap
    // after GC of the driver alone, sampled every 1,500 answers from 2,500 to 7,000: flat within
    // ±150 KiB; the first answers warm up code and caches, hence the warm-up half.)
    expect(growth).toBeLessThan(1024 * 1024);
  });
});

describe('regressions found by fuzzing', () => {
  it('an answer whose byte count disagrees with the quantity asked is refused, not half-read', async () => {
    dev.served.length = 0;
    // Per poll: holding 0+8, then coils 0+10 (2 bytes). Coils told 1 byte were read as good `false`.
    dev.script = [
      { kind: 'valid', seed: 1 },
      { kind: 'byte-count', seed: 2, count: 1 },
      { kind: 'byte-count', seed: 3, count: 0 },
      { kind: 'valid', seed: 4 },
    ];
    const gw = gateway(port);
    await gw.driver.start();
    try {
      await waitFor(() => gw.batches.length >= 2, { what: 'two polls', intervalMs: 5 });
    } finally {
      await gw.driver.stop();
    }
    const good = (i: number) => Object.fromEntries(gw.batches[i]?.map((r) => [r.point, r.good]) ?? []);
    const holding = { t: true, n: true, u: true, s: true, flag: true };
    expect(good(0)).toEqual({ ...holding, run: false, alarm: false });
    expect(good(1)).toEqual({ t: false, n: false, u: false, s: false, flag: false, run: true, alarm: true });
    expect(gw.counters().errors).toEqual({ garbage: 2 });
  });
});
