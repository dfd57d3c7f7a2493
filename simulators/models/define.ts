/**
 * Builds a BehaviourModel from a kind's physics. The shared parts live here once: the
 * machine state machine (machine.ts + profiles.ts), the header points every kind carries
 * (running, alarm, enable, fault_reset, state, fault_code, run_hours), setpoint storage
 * and validated writes, and presenting values so they fit the kind's point map (JS type,
 * range, register encoding). A kind file only says how its signals follow the machine.
 */
import { type Kind, KINDS, MACHINE_STATES, type MachineState } from '../../config/kinds/index.ts';
import type { Point } from '../../config/model/point.ts';
import type { Rng } from '../../config/random.ts';
import {
  advance,
  initialMachine,
  type MachineCycle,
  type MachineProfile,
  resetFault,
  setEnabled,
} from './machine.ts';
import { PROFILES } from './profiles.ts';
import type { BehaviourModel, Value } from './types.ts';

/** What a kind's read() returns before presentation: 64-bit counters are plain numbers. */
export type Raw = number | boolean | string;

export interface StepContext<K extends string> {
  readonly dt: number;
  /** Machine state before this step. */
  readonly prev: MachineState;
  /** Machine state after this step's transition: the signals follow this one. */
  readonly machine: MachineState;
  readonly sp: Readonly<Record<K, number>>;
  /** Simulated seconds since start, after this step. */
  readonly time: number;
}

export interface ReadContext<K extends string> {
  readonly machine: MachineState;
  readonly sp: Readonly<Record<K, number>>;
  readonly time: number;
}

export interface ModelSpec<P, K extends string> {
  kind: string;
  /** Default setpoints, one per writable point of the kind besides enable/fault_reset. */
  setpoints: Readonly<Record<K, number>>;
  /** Device parameters and an initial physical state consistent with `machine`. */
  init(rng: Rng, machine: MachineState, sp: Readonly<Record<K, number>>): P;
  /** Advances the physics by ctx.dt. Must not mutate `p`. */
  step(p: Readonly<P>, ctx: StepContext<K>, rng: Rng): P;
  /** The kind's own signals and counters by point name (header points are added here). */
  read(p: Readonly<P>, ctx: ReadContext<K>): Record<string, Raw>;
}

export interface ModelState<P, K extends string = string> extends MachineCycle {
  /** Simulated seconds spent running, over the machine's life (run_hours). */
  runTime: number;
  sp: Readonly<Record<K, number>>;
  p: Readonly<P>;
}

export interface Model<P, K extends string> extends BehaviourModel<ModelState<P, K>> {
  readonly profile: MachineProfile;
}

const HEADER_COILS = new Set(['enable', 'fault_reset']);

/** The header points every kind shares (config/kinds/define.ts), read from the machine. */
const HEADER: Readonly<Record<string, (s: ModelState<unknown>) => Raw>> = {
  running: (s) => s.machine === 'running',
  alarm: (s) => s.machine === 'fault',
  enable: (s) => s.enabled,
  fault_reset: () => false, // a momentary command: reads back released
  state: (s) => MACHINE_STATES.indexOf(s.machine),
  fault_code: (s) => (s.machine === 'fault' ? s.faultCode : 0),
  run_hours: (s) => s.runTime / 3600,
};

const INT_LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

type Present = (v: Raw | undefined) => Value;

/**
 * How one point's value is presented: strict JS type, clamped to the point's range, and
 * for integer registers rounded to a raw value the register can hold (raw × scale + offset).
 * Unscaled 64-bit integers become bigint, as the Value contract says.
 */
function presenter(kind: string, p: Point): Present {
  const fail = (v: unknown): never => {
    throw new TypeError(`${kind} model: point '${p.name}' (${p.type}) got ${typeof v} ${String(v)}`);
  };
  if (p.type === 'bool') return (v) => (typeof v === 'boolean' ? v : fail(v));
  if (p.type === 'string') {
    const length = p.length ?? 0;
    return (v) => (typeof v === 'string' ? v.replace(/[^\x20-\x7e]/g, '?').slice(0, length) : fail(v));
  }
  const [lo, hi] = p.range ?? [-Infinity, Infinity];
  const num = (v: Raw | undefined): number =>
    typeof v === 'number' && !Number.isNaN(v) ? Math.min(hi, Math.max(lo, v)) : fail(v);
  if (p.type === 'float32') return (v) => Math.fround(num(v));
  if (p.type === 'float64') return num;
  const scale = p.modbus?.scale ?? 1;
  const offset = p.modbus?.offset ?? 0;
  const [tmin, tmax] = INT_LIMITS[p.type] ?? [0, 0];
  const ends = [(lo - offset) / scale, (hi - offset) / scale];
  const rawLo = Math.max(tmin, Math.ceil(Math.min(...ends) - 1e-9));
  const rawHi = Math.min(tmax, Math.floor(Math.max(...ends) + 1e-9));
  const toRaw = (v: Raw | undefined) =>
    Math.min(rawHi, Math.max(rawLo, Math.round((num(v) - offset) / scale)));
  if (scale === 1 && offset === 0 && (p.type === 'int64' || p.type === 'uint64'))
    return (v) => BigInt(toRaw(v));
  // 123.45 rather than 123.45000000000002: divide by 1/scale when that is an integer.
  const inv = Math.round(1 / scale);
  const exact = Math.abs(inv * scale - 1) < 1e-12;
  return (v) => (exact ? toRaw(v) / inv : toRaw(v) * scale) + offset;
}

function kindOf(id: string): Kind {
  const kind = KINDS.get(id);
  if (!kind) throw new Error(`behaviour model for unknown kind '${id}'`);
  return kind;
}

export function defineModel<P, K extends string>(spec: ModelSpec<P, K>): Model<P, K> {
  const kind = kindOf(spec.kind);
  const profile = PROFILES.get(kind.id);
  if (!profile) throw new Error(`no machine profile for kind '${kind.id}' (simulators/models/profiles.ts)`);
  const points = new Map(kind.points.map((p) => [p.name, p]));
  // Per point: where its value comes from and how it is presented. read() runs on every
  // poll, so this is resolved once here rather than by building and merging objects.
  type Get = (s: ModelState<P, K>, own: Readonly<Record<string, Raw>>) => Raw | undefined;
  const source = (name: string): Get =>
    HEADER[name] ?? (name in spec.setpoints ? (s) => s.sp[name as K] : (_s, own) => own[name]);
  const fields = kind.points.map((p) => [p.name, source(p.name), presenter(kind.id, p)] as const);
  const writable = kind.points.filter((p) => p.access === 'readwrite' && !HEADER_COILS.has(p.name));
  const declared = Object.keys(spec.setpoints);
  if (writable.length !== declared.length || writable.some((p) => !declared.includes(p.name))) {
    throw new Error(`${kind.id} model: setpoints [${declared.join()}] ≠ writable points of the kind`);
  }

  return {
    kind: kind.id,
    profile,
    init(rng) {
      const m = initialMachine(profile, rng);
      const sp = { ...spec.setpoints };
      // Machines arrive with a history: some thousands of running hours.
      return { ...m, runTime: rng.between(500, 30000) * 3600, sp, p: spec.init(rng, m.machine, sp) };
    },
    step(s, dt, rng) {
      if (!(dt > 0) || !Number.isFinite(dt))
        throw new RangeError(`${kind.id} model: step dt ${dt} must be > 0`);
      const m = advance(profile, s, dt, rng);
      const time = s.time + dt;
      const ctx = { dt, prev: s.machine, machine: m.machine, sp: s.sp, time };
      return {
        machine: m.machine,
        dwell: m.dwell,
        faultCode: m.faultCode,
        serviceIn: m.serviceIn,
        enabled: s.enabled,
        time,
        runTime: m.machine === 'running' ? s.runTime + dt : s.runTime,
        sp: s.sp,
        p: spec.step(s.p, ctx, rng),
      };
    },
    read(s) {
      const own = spec.read(s.p, { machine: s.machine, sp: s.sp, time: s.time });
      const out: Record<string, Value> = {};
      for (const [name, get, present] of fields) out[name] = present(get(s, own));
      return out;
    },
    write(s, name, value) {
      const p = points.get(name);
      if (!p) throw new RangeError(`${kind.id}: no point '${name}'`);
      if (p.access !== 'readwrite') throw new RangeError(`${kind.id}: point '${name}' is read-only`);
      if (name === 'enable') return setEnabled(profile, s, asBool(kind.id, name, value));
      if (name === 'fault_reset') return asBool(kind.id, name, value) ? resetFault(profile, s) : s;
      const v = typeof value === 'bigint' ? Number(value) : value;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new RangeError(
          `${kind.id}: ${name} expects a finite number, got ${typeof value} ${String(value)}`,
        );
      }
      if (p.range && (v < p.range[0] || v > p.range[1])) {
        const unit = p.unit ? ` ${p.unit}` : '';
        throw new RangeError(`${kind.id}: ${name} = ${v} is outside [${p.range.join(', ')}]${unit}`);
      }
      // `name` is one of K: the constructor checked the setpoints against the writable points.
      return { ...s, sp: { ...s.sp, [name]: v } };
    },
  };
}

/** A coil value: a boolean, or 0/1 as a number or bigint. */
function asBool(kind: string, name: string, value: Value): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') {
    const n = Number(value);
    if (n === 0 || n === 1) return n === 1;
  }
  throw new RangeError(`${kind}: ${name} expects true/false or 0/1, got ${typeof value} ${String(value)}`);
}
