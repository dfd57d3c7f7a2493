/**
 * The machine state machine shared by every model: off / idle / setup / running / fault /
 * maintenance, driven by a per-kind profile (profiles.ts). Each state lasts a random dwell;
 * when it ends the next state is drawn from the profile's weights. While running, faults
 * strike with a constant hazard (mean time between faults `mtbf`), and scheduled
 * maintenance follows every `serviceEvery` seconds of running. `enabled = false` holds the
 * machine in 'off'. All functions are pure: they return new objects.
 */
import type { MachineState } from '../../config/kinds/index.ts';
import type { Rng } from '../../config/random.ts';
import type { MachineCore } from './types.ts';

/** States a profile times: every state but 'off', which only the enable coil controls. */
export type TimedState = Exclude<MachineState, 'off'>;
/** Relative weights of the next state. */
export type Weights = Readonly<Partial<Record<TimedState, number>>>;

export interface MachineProfile {
  /**
   * Dwell per state in simulated seconds as [minimum, mean], drawn as
   * minimum + Exp(mean − minimum): short stops are common, long ones possible. A kind
   * without a setup phase leaves `setup` out (and never names it in `next`).
   */
  dwell: Readonly<Record<Exclude<TimedState, 'setup'>, readonly [number, number]>> & {
    readonly setup?: readonly [number, number];
  };
  /** Where idle, setup and running go when their dwell ends (fault and maintenance → idle). */
  next: Readonly<Record<'idle' | 'setup' | 'running', Weights>>;
  /** Mean running seconds between faults. */
  mtbf: number;
  /** Running seconds between scheduled maintenance stops. */
  serviceEvery: number;
  /** Fault codes of the kind and what they mean (fault_code register, alarm texts). */
  faults: Readonly<Record<number, string>>;
}

/** The machine part of every model state. */
export interface MachineCycle extends MachineCore {
  /** Running seconds left until scheduled maintenance is due. */
  serviceIn: number;
}

/** The part of the state the machine cycle changes on a step. */
export type Machine = Pick<MachineCycle, 'machine' | 'dwell' | 'faultCode' | 'serviceIn'>;

const drawDwell = (profile: MachineProfile, state: TimedState, rng: Rng): number => {
  const [min, mean] = profile.dwell[state] ?? profile.dwell.idle;
  return min + rng.exponential(Math.max(mean - min, 1e-9));
};

/** Fault codes of a profile, ascending. */
export const faultCodes = (profile: MachineProfile): number[] =>
  Object.keys(profile.faults)
    .map(Number)
    .sort((a, b) => a - b);

/** A plausible machine state to start a simulation in (mid-shift: mostly running). */
export function initialMachine(profile: MachineProfile, rng: Rng): MachineCycle {
  const start: Weights = profile.dwell.setup ? { running: 6, idle: 3, setup: 1 } : { running: 6, idle: 3 };
  const machine = rng.weighted(start) ?? 'idle';
  return {
    machine,
    dwell: drawDwell(profile, machine, rng),
    faultCode: 0,
    enabled: true,
    time: 0,
    serviceIn: rng.between(0, profile.serviceEvery),
  };
}

function enter(profile: MachineProfile, machine: TimedState, m: Machine, rng: Rng): Machine {
  const faultCode = machine === 'fault' ? rng.pick(faultCodes(profile)) : 0;
  const serviceIn = machine === 'maintenance' ? profile.serviceEvery : m.serviceIn;
  return { machine, dwell: drawDwell(profile, machine, rng), faultCode, serviceIn };
}

/**
 * Advances the machine by `dt` seconds: fault hazard, dwell countdown, transitions. Returns
 * only the changed machine fields (callers build their state as a literal: object spreads
 * with overrides cost microseconds per step in V8, and models step millions of times).
 */
export function advance(profile: MachineProfile, s: MachineCycle, dt: number, rng: Rng): Machine {
  if (!s.enabled) return { machine: 'off', dwell: 0, faultCode: 0, serviceIn: s.serviceIn };
  let m: Machine = { machine: s.machine, dwell: s.dwell, faultCode: s.faultCode, serviceIn: s.serviceIn };
  // Enabled but off only when a state was built by hand: start from idle.
  if (m.machine === 'off') m = enter(profile, 'idle', m, rng);
  if (m.machine === 'running') {
    m.serviceIn -= dt;
    // Constant hazard: P(fault within dt) = 1 − e^(−dt/mtbf), exact for any dt.
    if (rng.chance(-Math.expm1(-dt / profile.mtbf))) return enter(profile, 'fault', m, rng);
  }
  m.dwell -= dt;
  if (m.dwell > 0) return m;
  let next: TimedState;
  switch (m.machine) {
    case 'idle':
    case 'setup':
      next = rng.weighted(profile.next[m.machine]) ?? 'running';
      break;
    case 'running':
      next = m.serviceIn <= 0 ? 'maintenance' : (rng.weighted(profile.next.running) ?? 'idle');
      break;
    case 'fault': // repaired by the crew, which also acknowledges the alarm
    case 'maintenance':
    case 'off': // not reached: handled above
      next = 'idle';
      break;
  }
  return enter(profile, next, m, rng);
}

/**
 * The enable coil: false stops the machine ('off', any fault dropped with the power);
 * true starts an off machine in idle for its minimum idle dwell (write() has no rng).
 */
export function setEnabled<S extends MachineCycle>(profile: MachineProfile, s: S, on: boolean): S {
  if (!on) return { ...s, enabled: false, machine: 'off', dwell: 0, faultCode: 0 };
  if (s.enabled && s.machine !== 'off') return s;
  return { ...s, enabled: true, machine: 'idle', dwell: profile.dwell.idle[0], faultCode: 0 };
}

/** The fault_reset coil: clears an active fault, back to idle for the minimum idle dwell. */
export function resetFault<S extends MachineCycle>(profile: MachineProfile, s: S): S {
  if (s.machine !== 'fault') return s;
  return { ...s, machine: 'idle', dwell: profile.dwell.idle[0], faultCode: 0 };
}

/**
 * Puts an enabled machine into 'fault' with `code` now, for tests and the fault injector;
 * the crew repairs it after `repairSeconds` unless fault_reset comes first. A disabled
 * machine is returned unchanged (it has no power to fault).
 */
export function forceFault<S extends MachineCore>(s: S, code: number, repairSeconds = 1800): S {
  if (!s.enabled) return s;
  if (!Number.isInteger(code) || code < 1 || code > 65535) {
    throw new RangeError(`fault code ${code} is not in 1..65535 (the fault_code register is uint16)`);
  }
  return { ...s, machine: 'fault', faultCode: code, dwell: repairSeconds };
}
