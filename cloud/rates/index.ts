/** The networked rates (DOMAIN.md §1, docs/rates.md): availability index, link status, engine. */
export { AvailabilityIndex, type AvailabilityStats, BucketRuns } from './availability.ts';
export {
  createRatesEngine,
  type RatesEngineOptions,
  type RatesEngineStats,
  type RatesService,
  type TargetOptions,
} from './engine.ts';
export { LinkStatus, type NodeStatus } from './status.ts';
export { INDUSTRY_NAMES } from './tally.ts';
export type * from './types.ts';
export { RatesError, type RatesErrorCode } from './window.ts';
