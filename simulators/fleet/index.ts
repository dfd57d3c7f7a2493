/**
 * The province-scale fleet (issue 8 part 2): virtual Sparkplug B edge nodes publishing every
 * connected device of a plant, with seeded online/offline patterns. docs/fleet.md.
 */
export { Fleet, type FleetOptions } from './fleet.ts';
export {
  type Frame,
  type LinkFactory,
  memoryLinks,
  type MemoryBroker,
  mqttLinks,
  type NodeLink,
} from './link.ts';
export { EdgeNode } from './node.ts';
export { NO_OUTAGES, type OutageConfig, type OutagePattern, REALISTIC_OUTAGES } from './outages.ts';
export { ALIAS_BASE, type FleetPlan, planFleet, type PlanOptions } from './plan.ts';
export { scalePlant, type ScaleBy, type ScaledPlant } from './scale.ts';
export type { FleetCounters, FleetStats } from './stats.ts';
