/** One suite run against every behaviour model: the contract each kind must keep. */
import { describe, expect, it } from 'vitest';
import { KINDS, MACHINE_STATES } from '../../config/kinds/index.ts';
import type { Point } from '../../config/model/point.ts';
import { Rng } from '../../config/random.ts';
import { runUntil, simulate, trace } from './harness.ts';
import { faultCodesFor, forceFault, MODELS, modelFor } from './index.ts';
import type { BehaviourModel, Value } from './types.ts';

/** Counters per kind: monotonic, and frozen while the machine is off. */
const COUNTERS: Readonly<Record<string, readonly string[]>> = {
  'reheating-furnace': ['slabs_charged', 'run_hours', 'gas_total'],
  'rolling-mill-stand': ['coils_rolled', 'run_hours'],
  'hydraulic-press': ['strokes', 'parts', 'run_hours'],
  'cnc-machining-centre': ['parts', 'run_hours'],
  'injection-moulding-machine': ['shots', 'good_parts', 'run_hours'],
  'air-compressor': ['starts', 'load_hours', 'run_hours'],
  conveyor: ['items', 'run_hours'],
  'pharma-reactor': ['batches', 'run_hours'],
  'tablet-press': ['tablets', 'rejects', 'run_hours'],
  'power-meter': ['energy_import'],
  'manual-equipment': [],
};
/** Totalisers that also count outside 'running' (fuel while holding temperature, energy). */
const TOTALISERS = new Set(['gas_total', 'energy_import']);

const INT: Readonly<Record<string, readonly [number, number]>> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [-(2 ** 63), 2 ** 63 - 1],
  uint64: [0, 2 ** 64 - 1],
};

/** A check for point `p`: why a value cannot be its value (JS type, range, encoding), or undefined. */
function checker(p: Point): (v: Value | undefined) => string | undefined {
  const scale = p.modbus?.scale ?? 1;
  const offset = p.modbus?.offset ?? 0;
  if (p.type === 'bool') return (v) => (typeof v === 'boolean' ? undefined : 'not a boolean');
  if (p.type === 'string') {
    return (v) =>
      typeof v !== 'string'
        ? 'not a string'
        : /^[\x20-\x7e]*$/.test(v) && v.length <= (p.length ?? 0)
          ? undefined
          : `bad string '${v}'`;
  }
  const big = (p.type === 'int64' || p.type === 'uint64') && scale === 1 && offset === 0;
  const [lo, hi] = p.range ?? [-Infinity, Infinity];
  const limits = INT[p.type];
  return (v) => {
    if (big !== (typeof v === 'bigint')) return big ? 'not a bigint' : `not a number (${typeof v})`;
    const n = Number(v);
    if (!Number.isFinite(n)) return 'not finite';
    if (n < lo || n > hi) return `${n} outside [${lo}, ${hi}]`;
    if (p.type === 'float32') return Math.fround(n) === n ? undefined : `${n} is not a float32`;
    if (!limits) return undefined;
    const raw = (n - offset) / scale;
    if (Math.abs(raw - Math.round(raw)) > 1e-6) return `${n} is not a multiple of ${scale}`;
    return raw >= limits[0] && raw <= limits[1] ? undefined : `raw ${raw} does not fit ${p.type}`;
  };
}

const models = [...MODELS.values()];

describe('registry', () => {
  it('has one model per device kind', () => {
    expect([...MODELS.keys()].sort()).toEqual([...KINDS.keys()].sort());
    for (const [id, model] of MODELS) expect(model.kind).toBe(id);
  });

  it('modelFor throws a clear error for an unknown kind', () => {
    expect(modelFor('conveyor').kind).toBe('conveyor');
    expect(() => modelFor('steam-engine')).toThrow(/no behaviour model for device kind 'steam-engine'/);
  });
});

describe.each(models.map((m) => [m.kind, m] as const))('%s', (id, model: BehaviourModel) => {
  const kind = KINDS.get(id)!;
  const counters = COUNTERS[id] ?? [];
  const point = (name: string) => kind.points.find((p) => p.name === name)!;

  it('6 simulated hours: every point with the right type, in range and encodable; counters monotonic', () => {
    for (const c of counters) expect(point(c), c).toBeDefined();
    const names = kind.points.map((p) => p.name).sort();
    const checks = kind.points.map((p) => [p.name, checker(p)] as const);
    const rng = new Rng(7);
    const s0 = model.init(rng);
    let prev = model.read(s0);
    let prevMachine: string = s0.machine;
    const errors = new Set<string>();
    simulate(model, s0, rng, 6 * 3600, 1, (s) => {
      const v = model.read(s);
      if (Object.keys(v).length !== names.length) errors.add(`keys ${Object.keys(v).sort().join()}`);
      for (const [name, check] of checks) {
        const why = check(v[name]);
        if (why) errors.add(`${name}: ${why}`);
      }
      const wasOrIsRunning = s.machine === 'running' || prevMachine === 'running';
      for (const c of counters) {
        const [a, b] = [Number(prev[c]), Number(v[c])];
        if (b < a) errors.add(`${c} decreased ${a} → ${b}`);
        if (b > a && !wasOrIsRunning && !TOTALISERS.has(c)) errors.add(`${c} counted while ${s.machine}`);
      }
      if (v.running !== (s.machine === 'running')) errors.add(`running ${String(v.running)} in ${s.machine}`);
      if (v.state !== MACHINE_STATES.indexOf(s.machine))
        errors.add(`state ${String(v.state)} ≠ ${s.machine}`);
      if ((v.alarm === true) !== (s.machine === 'fault'))
        errors.add(`alarm ${String(v.alarm)} in ${s.machine}`);
      if ((v.fault_code !== 0) !== (s.machine === 'fault')) errors.add(`fault_code ${String(v.fault_code)}`);
      prev = v;
      prevMachine = s.machine;
    });
    expect(Object.keys(prev).sort()).toEqual(names);
    expect([...errors].slice(0, 10)).toEqual([]);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const run = (seed: number) => {
      const rng = new Rng(seed);
      const out: string[] = [];
      simulate(model, model.init(rng), rng, 1800, 1, (s) => out.push(trace(model.read(s))));
      return out;
    };
    const a = run(11);
    expect(run(11)).toEqual(a);
    expect(run(12)).not.toEqual(a);
  });

  it('30 simulated days (dt = 60 s): runs, idles, sets up if it has setups, is serviced, counts', () => {
    const rng = new Rng(3);
    const seen = new Set<string>();
    const s0 = model.init(rng);
    const first = model.read(s0);
    const last = model.read(simulate(model, s0, rng, 30 * 86400, 60, (s) => seen.add(s.machine)));
    const profile = (model as BehaviourModel & { profile?: { dwell: { setup?: unknown } } }).profile;
    expect(seen).toContain('running');
    expect(seen).toContain('idle');
    expect(seen).toContain('maintenance');
    if (profile?.dwell.setup) expect(seen).toContain('setup');
    expect(seen).not.toContain('off');
    for (const c of counters) expect(Number(last[c]), c).toBeGreaterThan(Number(first[c]));
  });

  it('faults: forced or natural, alarm and fault_code; fault_reset clears; the crew repairs', () => {
    const codes = faultCodesFor(id);
    const rng = new Rng(5);
    const faulted = forceFault(model.init(rng), codes[0]!);
    expect(model.read(faulted)).toMatchObject({
      alarm: true,
      running: false,
      fault_code: codes[0],
      state: 4,
    });
    expect(model.write(faulted, 'fault_reset', false).machine).toBe('fault');
    const reset = model.write(faulted, 'fault_reset', true);
    expect(model.read(reset)).toMatchObject({ alarm: false, fault_code: 0, state: 1 });
    // Left alone, the repair dwell ends and the machine returns to idle.
    const repaired = runUntil(model, faulted, rng, (s) => s.machine !== 'fault', { dt: 10, limit: 4 * 3600 });
    expect(repaired.machine).toBe('idle');
    expect(repaired.faultCode).toBe(0);
    // Natural faults carry one of the kind's codes (the power meter's MTBF is months).
    if (id === 'power-meter') return;
    const natural = runUntil(model, model.init(rng), rng, (s) => s.machine === 'fault', {
      dt: 60,
      limit: 60 * 86400,
    });
    expect(codes).toContain(model.read(natural).fault_code);
  });

  it('enable = false: off, not running, counters stop; enable = true: back to idle', () => {
    const rng = new Rng(9);
    const s0 = runUntil(model, model.init(rng), rng, (s) => s.machine === 'running', { dt: 10 });
    const off = simulate(model, model.write(s0, 'enable', false), rng, 600, 1);
    const before = model.read(off);
    expect(before).toMatchObject({ running: false, alarm: false, enable: false, state: 0, fault_code: 0 });
    const after = model.read(simulate(model, off, rng, 3600, 1));
    for (const c of counters) expect(after[c], c).toEqual(before[c]);
    expect(off.machine).toBe('off');
    const on = model.write(off, 'enable', 1);
    expect(model.read(on)).toMatchObject({ enable: true, state: 1 });
    expect(model.write(on, 'enable', true)).toBe(on);
  });

  it('refuses unknown, read-only and out-of-range writes with RangeError', () => {
    const s = model.init(new Rng(1));
    expect(() => model.write(s, 'no_such_point', 1)).toThrow(RangeError);
    expect(() => model.write(s, 'state', 3)).toThrow(/read-only/);
    expect(() => model.write(s, 'enable', 2)).toThrow(RangeError);
    expect(() => model.write(s, 'enable', 'yes')).toThrow(RangeError);
    for (const p of kind.points.filter((q) => q.access === 'readwrite' && q.type !== 'bool')) {
      const [lo, hi] = p.range!;
      expect(() => model.write(s, p.name, hi + 1), p.name).toThrow(RangeError);
      expect(() => model.write(s, p.name, lo - 1), p.name).toThrow(RangeError);
      expect(() => model.write(s, p.name, 'x'), p.name).toThrow(RangeError);
      const mid = Math.round((lo + hi) / 2);
      expect(model.read(model.write(s, p.name, mid))[p.name], p.name).toBe(mid);
    }
  });
});
