/** Steel: reheating furnace and rolling-mill stand. */
import type { MachineState } from '../../config/kinds/index.ts';
import { defineModel } from './define.ts';
import { clamp, lag, noise, ramp, wander } from './physics.ts';

const AMBIENT = 30;
/** Time constant of a cold furnace's cooling, s (6 h: the lining stores the heat). */
const COOLING = 6 * 3600;

/** Burners fire while the furnace produces or holds; faults trip them (flame safeguard). */
const firing = (m: MachineState): boolean => m === 'running' || m === 'idle' || m === 'setup';

interface Furnace {
  /** This furnace: gas capacity, m³/h; seconds between slabs charged while running. */
  k: { capacity: number; slabPeriod: number };
  preheat: number;
  heating: number;
  soak: number;
  gas: number;
  o2: number;
  pressure: number;
  slabs: number;
  gasTotal: number;
}

/** Zone targets: the heating zone overshoots the soak setpoint while pushing slabs. */
function zoneTargets(m: MachineState, sp: number): [preheat: number, heating: number, soak: number] {
  if (m === 'running') return [sp - 300, Math.min(sp + 40, 1350), sp];
  if (firing(m)) return [sp - 400, sp, sp]; // hold during mill delays and setups
  return [AMBIENT, AMBIENT, AMBIENT];
}

export const reheatingFurnace = defineModel<Furnace, 'soak_temp_sp'>({
  kind: 'reheating-furnace',
  setpoints: { soak_temp_sp: 1200 },
  init(rng, machine, sp) {
    const [preheat, heating, soak] = zoneTargets(machine, sp.soak_temp_sp);
    const capacity = rng.between(18000, 26000);
    return {
      k: { capacity, slabPeriod: rng.between(100, 180) },
      preheat: preheat + noise(rng, 5),
      heating: heating + noise(rng, 5),
      soak: soak + noise(rng, 3),
      gas: firing(machine) ? 0.5 * capacity : 0,
      o2: firing(machine) ? 2 : 20.9,
      pressure: 10,
      slabs: rng.int(10_000, 500_000),
      gasTotal: rng.between(1e7, 1e9),
    };
  },
  step(f, { dt, machine, sp }, rng) {
    const target = zoneTargets(machine, sp.soak_temp_sp);
    const on = firing(machine);
    // Firing, zones settle in 20–30 min; cold, the refractory lining keeps heat for hours.
    const preheat = wander(f.preheat, target[0], dt, on ? 1500 : COOLING, 2, rng);
    const heating = wander(f.heating, target[1], dt, on ? 1200 : COOLING, 2, rng);
    const soak = wander(f.soak, target[2], dt, on ? 1800 : COOLING, 1.5, rng);
    // Gas follows heat demand: a base load (more when pushing slabs) plus a proportional
    // term on the soak-zone error, through the 20 s lag of the flow control valves.
    const { capacity, slabPeriod } = f.k;
    const base = machine === 'running' ? 0.55 : 0.25;
    const demand = clamp(capacity * base + (capacity / 200) * (sp.soak_temp_sp - soak), 0, 30000);
    const gas = on ? clamp(wander(f.gas, demand, dt, 20, 0.015 * capacity, rng), 0, 30000) : 0;
    return {
      k: f.k,
      preheat,
      heating,
      soak,
      gas,
      o2: on ? wander(f.o2, 2, dt, 30, 0.3, rng) : lag(f.o2, 20.9, dt, 120),
      pressure: wander(f.pressure, on ? 12 : 0, dt, 5, on ? 3 : 0.5, rng),
      slabs: machine === 'running' ? f.slabs + dt / slabPeriod : f.slabs,
      gasTotal: f.gasTotal + (gas * dt) / 3600,
    };
  },
  read(f, { machine }) {
    return {
      burners_on: firing(machine) && f.gas > 0,
      preheat_temp: f.preheat,
      heating_temp: f.heating,
      soak_temp: f.soak,
      gas_flow: f.gas,
      // ~10.4 m³ air per m³ natural gas: stoichiometric 9.5 plus ~10 % excess air (o2 ≈ 2 %).
      air_flow: f.gas * (9.5 + (9.5 * f.o2) / (21 - Math.min(f.o2, 20))),
      furnace_pressure: f.pressure,
      o2: f.o2,
      slabs_charged: Math.floor(f.slabs),
      gas_total: f.gasTotal,
    };
  },
});

interface Mill {
  /** This stand: roll force with a bar in, kN; roll gap of its pass, mm; bar length, m. */
  k: { forceNom: number; gapSet: number; barLength: number };
  speed: number;
  force: number;
  gap: number;
  stripTemp: number;
  /** Metres of the current bar rolled; ≥ barLength = waiting for the next bar. */
  rolled: number;
  /** Seconds until the next bar enters. */
  gapLeft: number;
  coils: number;
}

export const rollingMillStand = defineModel<Mill, 'roll_speed_sp'>({
  kind: 'rolling-mill-stand',
  setpoints: { roll_speed_sp: 8 },
  init(rng, machine, sp) {
    const gapSet = rng.between(3, 25);
    return {
      k: { forceNom: rng.between(12000, 25000), gapSet, barLength: rng.between(500, 1200) },
      speed: machine === 'running' ? sp.roll_speed_sp : 0,
      force: 0,
      gap: gapSet,
      stripTemp: AMBIENT,
      rolled: 0,
      gapLeft: rng.between(0, 30),
      coils: rng.int(5_000, 200_000),
    };
  },
  step(m, { dt, machine, sp }, rng) {
    const running = machine === 'running';
    const { forceNom, gapSet, barLength } = m.k;
    // Main drive: ~1.5 m/s² acceleration, faster braking.
    const speed = ramp(m.speed, running ? sp.roll_speed_sp : 0, running ? 1.5 : 3, dt);
    let { rolled, gapLeft, coils } = m;
    if (running) {
      if (gapLeft > 0) gapLeft -= dt;
      else rolled += speed * dt;
      if (rolled >= barLength) {
        coils += 1;
        rolled = 0;
        gapLeft = rng.between(20, 40); // bar-to-bar gap
      }
    }
    const inStand = running && gapLeft <= 0 && speed > 0;
    const gapTarget = machine === 'setup' ? 60 : gapSet + 5;
    return {
      k: m.k,
      speed,
      rolled,
      gapLeft,
      coils,
      // Force builds within a second of the bar biting; the pyrometer sees it at once.
      force: inStand ? wander(m.force, forceNom, dt, 2, 0.03 * forceNom, rng) : lag(m.force, 0, dt, 0.5),
      stripTemp: inStand ? wander(m.stripTemp, 1000, dt, 3, 8, rng) : lag(m.stripTemp, AMBIENT, dt, 1),
      gap: inStand ? gapSet + noise(rng, 0.02) : ramp(m.gap, gapTarget, 2, dt),
    };
  },
  read(m) {
    return {
      roll_speed: m.speed,
      // Drive current ∝ torque ∝ roll force, plus magnetising/friction current while turning.
      motor_current: m.speed > 0 ? 200 + 20 * m.speed + 0.16 * m.force : 0,
      roll_force: Math.max(0, m.force),
      roll_gap: m.gap,
      strip_temp: m.stripTemp,
      coils_rolled: m.coils,
    };
  },
});
