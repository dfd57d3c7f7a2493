/** Utilities and materials handling: air compressor, conveyor, power meter, manual equipment. */
import type { Rng } from '../../config/random.ts';
import { defineModel } from './define.ts';
import { clamp, lag, noise, ramp, wander } from './physics.ts';

const AMBIENT = 25;
/** Motor current of a 400 V three-phase motor at power factor 0.87: I = P / (√3·U·cos φ). */
const motorAmps = (kw: number): number => (kw * 1000) / (Math.sqrt(3) * 400 * 0.87);

interface Compressor {
  /** Rated motor power, kW. */
  k: { rated: number };
  /** Plant air demand as a share of this unit's capacity. */
  demand: number;
  pressure: number;
  loaded: boolean;
  power: number;
  temp: number;
  jitter: number;
  starts: number;
  loadTime: number;
}

/** Load/unload band around the pressure setpoint, bar; pressure change at full flow, bar/s. */
const BAND = 0.7;
const RATE = 0.04;

export const airCompressor = defineModel<Compressor, 'pressure_sp'>({
  kind: 'air-compressor',
  setpoints: { pressure_sp: 7.5 },
  init(rng, machine, sp) {
    const running = machine === 'running';
    return {
      k: { rated: rng.between(75, 160) },
      demand: rng.between(0.4, 0.7),
      pressure: running ? sp.pressure_sp : sp.pressure_sp - 1,
      loaded: false,
      power: 0,
      temp: running ? 75 : AMBIENT,
      jitter: 0,
      starts: rng.int(1_000, 30_000),
      loadTime: rng.between(500, 20000) * 3600,
    };
  },
  step(c, { dt, prev, machine, sp }, rng) {
    const running = machine === 'running';
    const starts = running && prev !== 'running' ? c.starts + 1 : c.starts;
    const demand = clamp(wander(c.demand, 0.55, dt, 900, 0.12, rng), 0.15, 0.9);
    let { pressure, loaded } = c;
    if (running) {
      // Load/unload control: loaded, delivery exceeds demand and pressure climbs to the
      // upper limit; unloaded, demand drains the receiver to the lower limit.
      const [lo, hi] = [sp.pressure_sp - BAND / 2, sp.pressure_sp + BAND / 2];
      if (prev !== 'running') loaded = pressure < hi;
      if (loaded) pressure += RATE * (1 - demand) * dt;
      else pressure -= RATE * demand * dt;
      if (loaded && pressure >= hi) [pressure, loaded] = [hi, false];
      else if (!loaded && pressure <= lo) [pressure, loaded] = [lo, true];
    } else {
      loaded = false;
      pressure = lag(pressure, 0, dt, 1800); // the receiver bleeds down through leaks
    }
    // Loaded ~85–105 % of rated power (more at higher pressure), unloaded ~30 %.
    const { rated } = c.k;
    const powerTarget = !running ? 0 : loaded ? rated * (0.85 + 0.02 * pressure) : 0.3 * rated;
    const tempTarget = !running ? AMBIENT : loaded ? 82 : 72;
    return {
      k: c.k,
      demand,
      pressure,
      loaded,
      starts,
      power: running ? lag(c.power, powerTarget, dt, 2) : 0,
      temp: wander(c.temp, tempTarget, dt, running ? 180 : 1800, 0.3, rng),
      jitter: noise(rng, 1),
      loadTime: loaded ? c.loadTime + dt : c.loadTime,
    };
  },
  read(c) {
    return {
      loaded: c.loaded,
      discharge_pressure: c.pressure,
      discharge_temp: c.temp,
      motor_current: c.power > 0 ? motorAmps(c.power) * (1 + 0.01 * c.jitter) : 0,
      motor_power: c.power,
      starts: c.starts,
      load_hours: c.loadTime / 3600,
    };
  },
});

interface Conveyor {
  /** This conveyor: rated motor current, A; mean motor load, %; item spacing on the belt, m. */
  k: { rated: number; meanLoad: number; pitch: number };
  speed: number;
  load: number;
  jitter: number;
  items: number;
}

export const conveyor = defineModel<Conveyor, 'belt_speed_sp'>({
  kind: 'conveyor',
  setpoints: { belt_speed_sp: 2 },
  init(rng, machine, sp) {
    const meanLoad = rng.between(40, 85);
    return {
      k: { rated: rng.between(30, 120), meanLoad, pitch: rng.between(0.8, 2) },
      speed: machine === 'running' ? sp.belt_speed_sp : 0,
      load: machine === 'running' ? meanLoad : 0,
      jitter: 0,
      items: rng.int(100_000, 20_000_000),
    };
  },
  step(c, { dt, machine, sp }, rng) {
    const running = machine === 'running';
    // Soft starter: 0.5 m/s² up; the loaded belt stops within a couple of seconds.
    const speed = ramp(c.speed, running ? sp.belt_speed_sp : 0, running ? 0.5 : 1, dt);
    const moving = running && speed > 0;
    const { meanLoad, pitch } = c.k;
    return {
      k: c.k,
      speed,
      load: moving ? clamp(wander(c.load, meanLoad, dt, 120, 12, rng), 0, 120) : lag(c.load, 0, dt, 2),
      jitter: noise(rng, 1),
      items: moving ? c.items + (speed * dt * Math.min(1, c.load / 100)) / pitch : c.items,
    };
  },
  read(c) {
    return {
      belt_speed: c.speed,
      // Current ∝ motor load above the no-load (magnetising) current.
      motor_current: c.speed > 0 ? c.k.rated * (0.3 + 0.7 * (c.load / 100)) * (1 + 0.01 * c.jitter) : 0,
      load: c.load,
      items: Math.floor(c.items),
    };
  },
});

/** Mains voltage wanders ±1.5 V around 230 V; it returns at once when the breaker closes. */
function mains(volts: number, live: boolean, dt: number, rng: Rng): number {
  return live ? wander(volts > 100 ? volts : 230, 230, dt, 120, 1.5, rng) : 0;
}

interface Meter {
  /** The metered feeder: rated power, kW; mean running load as a share of it. */
  k: { rated: number; loadShare: number };
  power: number;
  pf: number;
  frequency: number;
  voltages: readonly [number, number, number];
  /** Per-phase current imbalance, relative. */
  imbalance: readonly [number, number, number];
  energy: number;
}

export const powerMeter = defineModel<Meter, never>({
  kind: 'power-meter',
  setpoints: {},
  init(rng) {
    const rated = rng.between(200, 1000);
    const loadShare = rng.between(0.5, 0.8);
    return {
      k: { rated, loadShare },
      power: rated * loadShare,
      pf: 0.9,
      frequency: 50,
      voltages: [230, 230, 230],
      imbalance: [0, 0, 0],
      energy: rng.between(1e5, 5e7),
    };
  },
  step(m, { dt, machine }, rng) {
    // 'off' = feeder breaker open: no voltage, no power, the register stops at once.
    const live = machine !== 'off';
    const { rated, loadShare } = m.k;
    const share = machine === 'running' || machine === 'fault' ? loadShare : machine === 'off' ? 0 : 0.12;
    // sd ∝ the mean load, so base load wanders without touching zero.
    const target = rated * share;
    const power = live
      ? clamp(wander(m.power, target, dt, 300, 0.02 * rated + 0.06 * target, rng), 0, 2000)
      : 0;
    const [va, vb, vc] = m.voltages;
    const [ua, ub, uc] = m.imbalance;
    return {
      k: m.k,
      power,
      pf: clamp(wander(m.pf, 0.9, dt, 600, 0.02, rng), 0.85, 0.95),
      frequency: clamp(wander(m.frequency, 50, dt, 60, 0.015, rng), 49.95, 50.05),
      voltages: [mains(va, live, dt, rng), mains(vb, live, dt, rng), mains(vc, live, dt, rng)],
      imbalance: [
        wander(ua, 0, dt, 600, 0.02, rng),
        wander(ub, 0, dt, 600, 0.02, rng),
        wander(uc, 0, dt, 600, 0.02, rng),
      ],
      // The register integrates the power it reports: energy += P·dt/3600 (kWh).
      energy: m.energy + (power * dt) / 3600,
    };
  },
  read(m) {
    const amps = (i: 0 | 1 | 2): number => {
      const volts = m.voltages[i];
      return volts > 1 ? ((m.power * 1000) / (3 * volts * m.pf)) * (1 + m.imbalance[i]) : 0;
    };
    return {
      voltage_a: m.voltages[0],
      voltage_b: m.voltages[1],
      voltage_c: m.voltages[2],
      current_a: amps(0),
      current_b: amps(1),
      current_c: amps(2),
      active_power: m.power,
      power_factor: m.pf,
      frequency: m.frequency,
      energy_import: m.energy,
    };
  },
});

/** No data interface, no points: the machine still lives, nobody can read it. */
export const manualEquipment = defineModel<Record<string, never>, never>({
  kind: 'manual-equipment',
  setpoints: {},
  init: () => ({}),
  step: (p) => p,
  read: () => ({}),
});
