/**
 * Drives a model without a device or a socket: for tests, benchmarks and scenario tools.
 * Plain loops over step(); nothing here is used by the simulators at run time.
 */
import type { Rng } from '../../config/random.ts';
import type { BehaviourModel, MachineCore, Value } from './types.ts';

/** Steps until `done(state)` holds; throws if it does not within `limit` simulated seconds. */
export function runUntil<S extends MachineCore>(
  model: BehaviourModel<S>,
  state: S,
  rng: Rng,
  done: (s: S) => boolean,
  { dt = 1, limit = 86_400 }: { dt?: number; limit?: number } = {},
): S {
  let s = state;
  for (let t = 0; !done(s); t += dt) {
    if (t >= limit) throw new Error(`${model.kind}: condition not reached within ${limit} simulated s`);
    s = model.step(s, dt, rng);
  }
  return s;
}

/**
 * Steps `seconds` simulated seconds in steps of `dt`, calling `each` with every new state
 * (read it there if needed: reading costs as much as stepping); returns the final state.
 */
export function simulate<S extends MachineCore>(
  model: BehaviourModel<S>,
  state: S,
  rng: Rng,
  seconds: number,
  dt: number,
  each?: (s: S) => void,
): S {
  let s = state;
  for (let t = 0; t < seconds - 1e-9; t += dt) {
    s = model.step(s, dt, rng);
    each?.(s);
  }
  return s;
}

/** A stable text form of read() values (bigint-safe), to compare traces. */
export const trace = (values: Readonly<Record<string, Value>>): string =>
  JSON.stringify(values, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
