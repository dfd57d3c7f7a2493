/** Kind by kind: signals follow the machine state and the setpoints the way the plant would. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../config/random.ts';
import { cncMachiningCentre, hydraulicPress, injectionMouldingMachine } from './equipment.ts';
import { runUntil } from './harness.ts';
import { MODELS } from './index.ts';
import { pharmaReactor, tabletPress } from './pharma.ts';
import { reheatingFurnace } from './steel.ts';
import type { BehaviourModel, MachineCore, Value } from './types.ts';
import { airCompressor, powerMeter } from './utilities.ts';

type Values = Readonly<Record<string, Value>>;

/**
 * Steps a model held in 'running' (no end of run, faults cleared at once), to look at the
 * physics in production without waiting for the state machine to get there.
 */
function produce<S extends MachineCore>(
  model: BehaviourModel<S>,
  state: S,
  rng: Rng,
  seconds: number,
  each?: (v: Values, s: S) => void,
  dt = 1,
): S {
  let s = state;
  for (let t = 0; t < seconds; t += dt) {
    s = model.step({ ...s, machine: 'running', dwell: Infinity, faultCode: 0 }, dt, rng);
    each?.(model.read(s), s);
  }
  return s;
}

describe('setpoints change the steady state', () => {
  // [kind, setpoint, new value, signal that settles on it, tolerance, seconds to settle]
  const cases: [string, string, number, string, number, number][] = [
    ['reheating-furnace', 'soak_temp_sp', 1000, 'soak_temp', 10, 4 * 3600],
    ['injection-moulding-machine', 'barrel_temp_sp', 280, 'barrel_temp', 3, 2 * 3600],
    ['pharma-reactor', 'batch_temp_sp', 60, 'batch_temp', 2, 4 * 3600],
    ['rolling-mill-stand', 'roll_speed_sp', 12, 'roll_speed', 1e-6, 60],
    ['conveyor', 'belt_speed_sp', 3.5, 'belt_speed', 1e-6, 60],
    ['tablet-press', 'turret_speed_sp', 100, 'turret_speed', 1e-6, 60],
  ];
  it.each(cases)('%s: %s → %d moves %s there', (kind, sp, value, signal, tolerance, seconds) => {
    const model = MODELS.get(kind)!;
    const rng = new Rng(21);
    const running = runUntil(model, model.init(rng), rng, (x) => x.machine === 'running', { dt: 10 });
    const s = produce(model, model.write(running, sp, value), rng, seconds, undefined, 10);
    const v = produce(model, s, rng, 1);
    expect(Math.abs(Number(model.read(v)[signal]) - value)).toBeLessThanOrEqual(tolerance);
  });

  it('hydraulic press: pressing peaks at pressure_sp; force = pressure × piston area', () => {
    const rng = new Rng(2);
    const s = hydraulicPress.write(hydraulicPress.init(rng), 'pressure_sp', 15);
    let peak = 0;
    let force = 0;
    produce(hydraulicPress, s, rng, 600, (v) => {
      if (Number(v.oil_pressure) > peak) [peak, force] = [Number(v.oil_pressure), Number(v.press_force)];
    });
    expect(peak).toBeGreaterThan(14.5);
    expect(peak).toBeLessThan(16);
    expect(force / peak / 1000).toBeCloseTo(s.p.k.area, 3);
  });

  it('CNC: feed_override scales the feed, the cycle and the part rate', () => {
    const rng = new Rng(3);
    const s0 = produce(cncMachiningCentre, cncMachiningCentre.init(rng), rng, 30);
    const full = cncMachiningCentre.read(s0);
    const half = cncMachiningCentre.read(cncMachiningCentre.write(s0, 'feed_override', 50));
    expect(Number(half.feed_rate)).toBeCloseTo(Number(full.feed_rate) / 2, 0);
    expect(Number(half.cycle_time)).toBeCloseTo(Number(full.cycle_time) * 2, 0);
    expect(String(full.program)).toMatch(/^O\d{4}$/);
    const hour = (s: typeof s0) => {
      const before = Number(cncMachiningCentre.read(s).parts);
      return (
        Number(cncMachiningCentre.read(produce(cncMachiningCentre, s, rng, 4 * 3600, undefined, 10)).parts) -
        before
      );
    };
    const fast = hour(s0);
    const slow = hour(cncMachiningCentre.write(s0, 'feed_override', 50));
    expect(slow / fast).toBeGreaterThan(0.4);
    expect(slow / fast).toBeLessThan(0.6);
  });
});

describe('signals follow the machine', () => {
  it('furnace: firing while producing; burners trip on a fault, zones cool slowly, o2 → air', () => {
    const rng = new Rng(4);
    const hot = produce(reheatingFurnace, reheatingFurnace.init(rng), rng, 600);
    const before = reheatingFurnace.read(hot);
    expect(before).toMatchObject({ burners_on: true, running: true });
    expect(Number(before.gas_flow)).toBeGreaterThan(5000);
    let s = reheatingFurnace.write(hot, 'enable', false);
    for (let t = 0; t < 3600; t += 10) s = reheatingFurnace.step(s, 10, rng);
    const cold = reheatingFurnace.read(s);
    expect(cold).toMatchObject({ burners_on: false, gas_flow: 0, running: false });
    expect(Number(cold.o2)).toBeGreaterThan(20);
    // One hour without firing: the 6 h lining time constant costs ~15 % of the way to ambient.
    expect(Number(cold.soak_temp)).toBeLessThan(Number(before.soak_temp) - 100);
    expect(Number(cold.soak_temp)).toBeGreaterThan(900);
  });

  it('air compressor: cycles load/unload within the band around a new pressure_sp', () => {
    const rng = new Rng(5);
    const s = airCompressor.write(airCompressor.init(rng), 'pressure_sp', 9);
    const pressures: number[] = [];
    const power = { loaded: [] as number[], unloaded: [] as number[] };
    let unloads = 0;
    let wasLoaded = false;
    produce(airCompressor, s, rng, 3 * 3600, (v) => {
      const loaded = v.loaded === true;
      if (wasLoaded && !loaded) unloads += 1;
      wasLoaded = loaded;
      if (unloads === 0) return; // still pumping up from standby
      pressures.push(Number(v.discharge_pressure));
      power[loaded ? 'loaded' : 'unloaded'].push(Number(v.motor_power));
    });
    expect(unloads).toBeGreaterThan(20);
    expect(Math.min(...pressures)).toBeGreaterThanOrEqual(9 - 0.35 - 1e-6);
    expect(Math.max(...pressures)).toBeLessThanOrEqual(9 + 0.35 + 1e-6);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(pressures)).toBeCloseTo(9, 0);
    expect(mean(power.loaded)).toBeGreaterThan(2 * mean(power.unloaded));
  });

  it('power meter: energy_import integrates active_power exactly; phases are consistent', () => {
    const rng = new Rng(6);
    const s0 = powerMeter.init(rng);
    let s = s0;
    let integral = 0;
    const bad: string[] = [];
    for (let t = 0; t < 6 * 3600; t++) {
      s = powerMeter.step(s, 1, rng);
      const v = powerMeter.read(s);
      const p = Number(v.active_power);
      integral += p / 3600;
      const phases = (['a', 'b', 'c'] as const).reduce(
        (sum, x) => sum + Number(v[`voltage_${x}`]) * Number(v[`current_${x}`]) * Number(v.power_factor),
        0,
      );
      if (p > 10 && Math.abs(phases / 1000 - p) / p > 0.05)
        bad.push(`t=${t}: ΣUIcosφ ${phases / 1000} vs P ${p}`);
      for (const x of ['a', 'b', 'c']) {
        const u = Number(v[`voltage_${x}`]);
        if (u < 218 || u > 242) bad.push(`t=${t}: voltage_${x} ${u}`);
      }
      if (Math.abs(Number(v.frequency) - 50) > 0.05 + 1e-9)
        bad.push(`t=${t}: frequency ${String(v.frequency)}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
    const energy = Number(powerMeter.read(s).energy_import) - Number(powerMeter.read(s0).energy_import);
    expect(integral).toBeGreaterThan(100);
    expect(Math.abs(energy - integral) / integral).toBeLessThan(0.01);
  });

  it('tablet press: tablets (bigint) grow at turret speed × stations', () => {
    const rng = new Rng(7);
    const s0 = produce(tabletPress, tabletPress.init(rng), rng, 60);
    const before = tabletPress.read(s0).tablets;
    const s = produce(tabletPress, s0, rng, 600);
    const after = tabletPress.read(s).tablets;
    expect(typeof after).toBe('bigint');
    const expected = (60 * s.p.k.stations * 600) / 60;
    expect(Number((after as bigint) - (before as bigint)) / expected).toBeCloseTo(1, 2);
    expect(Number(tabletPress.read(s).rejects)).toBeLessThan(Number(after) * 0.06);
  });

  it('pharma reactor: a batch charges, runs, completes; batch_id names it', () => {
    const rng = new Rng(8);
    const model = pharmaReactor;
    let s = runUntil(model, model.init(rng), rng, (x) => x.machine === 'setup', { dt: 10 });
    const id = String(model.read(s).batch_id);
    expect(id).toMatch(/^B2026-\d{4}$/);
    s = runUntil(model, s, rng, (x) => x.machine === 'running', { dt: 10 });
    expect(Number(model.read(s).level)).toBeGreaterThan(20);
    const batches = Number(model.read(s).batches);
    s = runUntil(model, s, rng, (x) => x.machine !== 'running', { dt: 10 });
    if (s.machine === 'idle') {
      expect(Number(model.read(s).batches)).toBe(batches + 1);
      expect(Math.abs(Number(model.read(s).batch_temp) - 80)).toBeLessThan(5);
    }
    s = runUntil(model, s, rng, (x) => x.machine === 'setup', { dt: 10, limit: 7 * 86400 });
    expect(String(model.read(s).batch_id)).not.toBe(id);
  });

  it('injection moulding: shots count while running, good parts only near the barrel setpoint', () => {
    const rng = new Rng(9);
    const cold = injectionMouldingMachine.write(injectionMouldingMachine.init(rng), 'enable', false);
    let s = injectionMouldingMachine.write(cold, 'enable', true);
    s = { ...s, p: { ...s.p, barrel: 25 } }; // a cold start
    const v0 = injectionMouldingMachine.read(s);
    s = produce(injectionMouldingMachine, s, rng, 600);
    const v1 = injectionMouldingMachine.read(s);
    expect(Number(v1.shots)).toBeGreaterThan(Number(v0.shots));
    expect(v1.good_parts).toBe(v0.good_parts);
  });
});
