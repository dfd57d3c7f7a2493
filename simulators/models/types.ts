/**
 * The behaviour-model contract. A model is a pure state machine: `step(state, dt, rng)`
 * returns the next state from the previous one, the elapsed simulated seconds and a seeded
 * random source — no clocks, no I/O — so a seed always replays the same trace and models
 * are unit-tested without sockets.
 */
import type { MachineState } from '../../config/index.ts';
import type { Rng } from '../../config/random.ts';

/** An engineering value: numbers; bigint for unscaled 64-bit counters; booleans; strings. */
export type { Value } from '../../wire/modbus/codec.ts';
import type { Value } from '../../wire/modbus/codec.ts';

/** What every model state carries (the shared kind header, config/kinds/define.ts). */
export interface MachineCore {
  /** Machine state (MACHINE_STATES). */
  machine: MachineState;
  /** Simulated seconds left in the current state before the next transition is drawn. */
  dwell: number;
  /** 0 = no fault; otherwise a kind-specific fault code, set while machine = 'fault'. */
  faultCode: number;
  /** Operator enable (coil `enable`): false drives the machine to 'off'. */
  enabled: boolean;
  /** Simulated seconds since the model started. */
  time: number;
}

export interface BehaviourModel<S extends MachineCore = MachineCore> {
  /** The device kind this model animates (config/kinds). */
  readonly kind: string;
  /** Initial state; may draw from rng (initial temperatures, counters). */
  init(rng: Rng): S;
  /** Advances by `dt` simulated seconds (0 < dt ≤ 60). Must not mutate `state`. */
  step(state: S, dt: number, rng: Rng): S;
  /** Every point of the kind's default map, by name, in engineering units. */
  read(state: S): Readonly<Record<string, Value>>;
  /**
   * Applies a client write to a `readwrite` point (setpoints, `enable`, `fault_reset`).
   * Returns the new state; throws RangeError for an unknown or read-only point or a value
   * outside the point's range.
   */
  write(state: S, point: string, value: Value): S;
}
