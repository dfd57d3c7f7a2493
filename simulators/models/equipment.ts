/** Equipment manufacturing: hydraulic press, CNC machining centre, injection moulding machine. */
import type { MachineState } from '../../config/kinds/index.ts';
import type { Rng } from '../../config/random.ts';
import { defineModel } from './define.ts';
import { clamp, cycle, noise, ramp, wander } from './physics.ts';

const AMBIENT = 22;
/** Hydraulic pumps, heaters and coolant run unless the machine is off, faulted or serviced. */
const powered = (m: MachineState): boolean => m === 'running' || m === 'idle' || m === 'setup';

interface Press {
  /** This press: stroke cycle time, s; stroke length, mm; piston area, m² (MPa × m² = MN). */
  k: { period: number; stroke: number; area: number };
  phase: number;
  pressure: number;
  position: number;
  oilTemp: number;
  strokes: number;
  parts: number;
}

export const hydraulicPress = defineModel<Press, 'pressure_sp'>({
  kind: 'hydraulic-press',
  setpoints: { pressure_sp: 25 },
  init(rng, machine) {
    const strokes = rng.int(100_000, 2_000_000);
    return {
      k: { period: rng.between(8, 20), stroke: rng.between(300, 900), area: rng.between(0.45, 0.6) },
      phase: 0,
      pressure: powered(machine) ? 1.5 : 0,
      position: 0,
      oilTemp: powered(machine) ? 45 : AMBIENT,
      strokes,
      parts: Math.floor(strokes * 0.985),
    };
  },
  step(p, { dt, machine, sp }, rng) {
    const { period, stroke } = p.k;
    let { phase, strokes, parts } = p;
    let pressure = 0;
    let position = 0;
    if (machine === 'running') {
      let done: number;
      [phase, done] = cycle(phase, dt, period);
      for (let i = 0; i < done; i++) {
        strokes += 1;
        if (!rng.chance(0.015)) parts += 1; // ~1.5 % scrap
      }
      // Stroke: fast approach (0–35 %), pressing at the setpoint (35–55 %), return.
      if (phase < 0.35) [pressure, position] = [4, (stroke * phase) / 0.35];
      else if (phase < 0.55) [pressure, position] = [sp.pressure_sp, stroke];
      else [pressure, position] = [6, stroke * (1 - (phase - 0.55) / 0.45)];
      pressure += noise(rng, 0.2);
    } else if (powered(machine)) {
      pressure = 1.5 + noise(rng, 0.1); // pump idling against the unloading valve, ram at top
    }
    // Oil heats with the work done; the tank's thermal mass gives a ~40 min time constant.
    const oilTarget = machine === 'running' ? 38 + 0.6 * sp.pressure_sp : powered(machine) ? 38 : AMBIENT;
    return {
      k: p.k,
      phase,
      strokes,
      parts,
      pressure: Math.max(0, pressure),
      position,
      oilTemp: wander(p.oilTemp, oilTarget, dt, 2400, 0.3, rng),
    };
  },
  read(p, { machine }) {
    return {
      oil_pressure: p.pressure,
      oil_temp: p.oilTemp,
      ram_position: p.position,
      press_force: p.pressure * p.k.area * 1000,
      // Pump motor: idle current plus a share proportional to the delivered pressure.
      motor_current: powered(machine) ? 55 + 9.5 * p.pressure : 0,
      strokes: p.strokes,
      parts: p.parts,
    };
  },
});

/** An NC program: spindle speed rpm, feed mm/min, nominal cycle time s, tools used. */
interface Program {
  name: string;
  rpm: number;
  feed: number;
  cycleTime: number;
  tools: readonly number[];
}

interface Cnc {
  prog: Program;
  spindle: number;
  load: number;
  coolant: number;
  tool: number;
  phase: number;
  parts: number;
}

/** A new NC program, as loaded at a changeover. */
function newProgram(rng: Rng): Program {
  const tools = Array.from({ length: rng.int(2, 6) }, () => rng.int(1, 60));
  return {
    name: `O${rng.int(1000, 9999)}`,
    rpm: rng.between(3000, 18000),
    feed: rng.between(500, 8000),
    cycleTime: rng.between(60, 900),
    tools,
  };
}

export const cncMachiningCentre = defineModel<Cnc, 'feed_override'>({
  kind: 'cnc-machining-centre',
  setpoints: { feed_override: 100 },
  init(rng, machine) {
    const prog = newProgram(rng);
    return {
      prog,
      spindle: machine === 'running' ? prog.rpm : 0,
      load: 0,
      coolant: powered(machine) ? 25 : AMBIENT,
      tool: prog.tools[0] ?? 1,
      phase: rng.next(),
      parts: rng.int(10_000, 400_000),
    };
  },
  step(c, { dt, prev, machine, sp }, rng) {
    const running = machine === 'running';
    const override = sp.feed_override / 100;
    const prog = machine === 'setup' && prev !== 'setup' ? newProgram(rng) : c.prog;
    let { phase, parts, tool } = c;
    if (prog !== c.prog) phase = 0;
    if (running) {
      let done: number;
      [phase, done] = cycle(phase, dt, prog.cycleTime / override); // override 0 = feed hold
      parts += done;
      tool = prog.tools[Math.floor(phase * prog.tools.length)] ?? tool;
    }
    // Spindle load follows the cut: more feed, more load.
    const loadTarget = running && override > 0 ? 35 + 40 * override : running ? 5 : 0;
    return {
      prog,
      phase,
      parts,
      tool,
      spindle: ramp(c.spindle, running ? prog.rpm : 0, 3000, dt),
      load: running ? clamp(wander(c.load, loadTarget, dt, 5, 6, rng), 0, 150) : 0,
      coolant: wander(
        c.coolant,
        running ? 24 + c.load / 20 : powered(machine) ? 23 : AMBIENT,
        dt,
        900,
        0.1,
        rng,
      ),
    };
  },
  read(c, { machine, sp }) {
    const running = machine === 'running';
    return {
      spindle_speed: c.spindle,
      spindle_load: c.load,
      feed_rate: running ? (c.prog.feed * sp.feed_override) / 100 : 0,
      coolant_temp: c.coolant,
      tool_number: c.tool,
      program: c.prog.name,
      cycle_time: c.prog.cycleTime / Math.max(sp.feed_override / 100, 0.01),
      parts: c.parts,
    };
  },
});

interface Imm {
  /**
   * This machine and mould: mould temperature on the control unit, °C; nominal cycle, s;
   * peak injection pressure, MPa; clamp force, kN.
   */
  k: { mouldSet: number; cycleNom: number; injPeak: number; clampNom: number };
  barrel: number;
  mould: number;
  phase: number;
  lastCycle: number;
  /** Shot-to-shot variation of the pressure reading, a standard normal draw. */
  jitter: number;
  shots: number;
  good: number;
}

export const injectionMouldingMachine = defineModel<Imm, 'barrel_temp_sp'>({
  kind: 'injection-moulding-machine',
  setpoints: { barrel_temp_sp: 230 },
  init(rng, machine, sp) {
    const mouldSet = rng.between(40, 90);
    const cycleNom = rng.between(15, 60);
    const shots = rng.int(50_000, 3_000_000);
    return {
      k: { mouldSet, cycleNom, injPeak: rng.between(80, 160), clampNom: rng.between(1500, 8000) },
      barrel: powered(machine) ? sp.barrel_temp_sp : AMBIENT,
      mould: powered(machine) ? mouldSet : AMBIENT,
      phase: rng.next(),
      lastCycle: cycleNom,
      jitter: 0,
      shots,
      good: Math.floor(shots * 0.98),
    };
  },
  step(m, { dt, machine, sp }, rng) {
    const heat = powered(machine);
    const { mouldSet, cycleNom } = m.k;
    let { phase, shots, good, lastCycle } = m;
    if (machine === 'running') {
      let done: number;
      [phase, done] = cycle(phase, dt, cycleNom);
      for (let i = 0; i < done; i++) {
        shots += 1;
        // Parts moulded off temperature are scrap; otherwise ~1.5 % rejects.
        if (Math.abs(m.barrel - sp.barrel_temp_sp) < 8 && !rng.chance(0.015)) good += 1;
        lastCycle = cycleNom * (1 + noise(rng, 0.01));
      }
    }
    return {
      k: m.k,
      phase,
      shots,
      good,
      lastCycle,
      jitter: noise(rng, 1),
      // Barrel heater bands: ~15 min time constant; the mould TCU ~10 min.
      barrel: wander(m.barrel, heat ? sp.barrel_temp_sp : AMBIENT, dt, 900, 0.5, rng),
      mould: wander(m.mould, heat ? mouldSet - (machine === 'running' ? 0 : 5) : AMBIENT, dt, 600, 0.3, rng),
    };
  },
  read(m, { machine }) {
    const running = machine === 'running';
    const { injPeak, clampNom } = m.k;
    const ph = m.phase;
    // Cycle: inject (0–12 %), hold at ~45 % (12–30 %), cool (mould closed to 80 %), eject.
    const injection = !running ? 0 : ph < 0.12 ? injPeak : ph < 0.3 ? 0.45 * injPeak : 0.5;
    return {
      barrel_temp: m.barrel,
      mould_temp: m.mould,
      injection_pressure: injection * (1 + 0.01 * m.jitter),
      clamp_force: running && ph < 0.8 ? clampNom : 0,
      cycle_time: m.lastCycle,
      shots: m.shots,
      good_parts: m.good,
    };
  },
});
