/**
 * Online/offline patterns of the fleet, seeded per device and per edge node so a seed always
 * yields the same timeline and adding a node changes nobody else's:
 * - device outages: the gateway loses one device (cable, power, PLC restart): DDEATH, silence,
 *   DBIRTH when it answers again; a small share of devices is flaky (outages far more often);
 * - gateway outages: the uplink drops (the broker publishes the Will NDEATH), the node buffers
 *   what its devices report, reconnects with a new bdSeq and replays the buffer as historical
 *   DDATA.
 * Times between outages are exponential (constant hazard); durations are a floor of 20% of
 * the mean plus an exponential, so no outage is shorter than a few polls.
 */
import { Rng } from '../../config/random.ts';

export interface OutagePattern {
  /** Mean time between outages of one device or node, ms; 0 = never. */
  everyMs: number;
  /** Mean outage duration, ms. */
  forMs: number;
}

export interface OutageConfig {
  device: OutagePattern;
  gateway: OutagePattern;
  /** Share of devices whose outages come `flakyFactor` times as often. */
  flakyShare: number;
  flakyFactor: number;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Defaults: a device drops every ~6 h for ~10 min, a gateway every ~24 h for ~5 min; 5% flaky (×20). */
export const REALISTIC_OUTAGES: OutageConfig = {
  device: { everyMs: 6 * HOUR, forMs: 10 * MINUTE },
  gateway: { everyMs: 24 * HOUR, forMs: 5 * MINUTE },
  flakyShare: 0.05,
  flakyFactor: 20,
};

export const NO_OUTAGES: OutageConfig = {
  device: { everyMs: 0, forMs: 0 },
  gateway: { everyMs: 0, forMs: 0 },
  flakyShare: 0,
  flakyFactor: 1,
};

/** A 32-bit seed from the fleet seed and a path (FNV-1a): independent streams per device/node. */
export function seedOf(seed: number, ...path: string[]): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  const s = path.join('/');
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export const rngFor = (seed: number, ...path: string[]): Rng => new Rng(seedOf(seed, ...path));

/** ms until the next outage (Infinity when the pattern is off). */
export function timeToOutage(rng: Rng, p: OutagePattern, factor = 1): number {
  if (!(p.everyMs > 0)) return Infinity;
  return Math.max(1, Math.round(rng.exponential(p.everyMs / factor)));
}

/** ms an outage lasts. */
export function outageLength(rng: Rng, p: OutagePattern): number {
  return Math.max(1, Math.round(0.2 * p.forMs + rng.exponential(0.8 * p.forMs)));
}
