/**
 * Small physics helpers shared by the behaviour models. Each is exact in `dt` (an
 * exponential solution, not an Euler step), so a trace barely depends on the step size:
 * ten 0.1 s steps land where one 1 s step does.
 */
import type { Rng } from '../../config/random.ts';

export const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/**
 * First-order lag (thermal lag, sensor lag): x moves toward `target` with time constant
 * `tau` seconds; x += (target − x)·(1 − e^(−dt/τ)). τ ≤ 0 jumps to the target.
 */
export function lag(x: number, target: number, dt: number, tau: number): number {
  return tau <= 0 ? target : target + (x - target) * Math.exp(-dt / tau);
}

/**
 * A lag with process noise (Ornstein–Uhlenbeck, exact discretisation): x relaxes toward
 * `target` with time constant `tau` and wanders around it with stationary standard
 * deviation `sd`, whatever `dt` is.
 */
export function wander(x: number, target: number, dt: number, tau: number, sd: number, rng: Rng): number {
  const a = Math.exp(-dt / tau);
  return target + (x - target) * a + sd * Math.sqrt(1 - a * a) * rng.normal();
}

/** Moves x toward `target` at no more than `rate` units per second (speed ramps). */
export function ramp(x: number, target: number, rate: number, dt: number): number {
  const d = rate * dt;
  return x < target ? Math.min(target, x + d) : Math.max(target, x - d);
}

/** Instantaneous measurement noise: a normal draw with standard deviation `sd`. */
export const noise = (rng: Rng, sd: number): number => rng.normal(0, sd);

/**
 * Advances a cycle phase in [0, 1) by `dt` seconds of a `period`-second cycle and returns
 * the new phase and how many cycles completed (a non-finite or non-positive period stalls).
 */
export function cycle(phase: number, dt: number, period: number): [phase: number, done: number] {
  if (!(period > 0) || !Number.isFinite(period)) return [phase, 0];
  const t = phase + dt / period;
  const done = Math.floor(t);
  return [t - done, done];
}
