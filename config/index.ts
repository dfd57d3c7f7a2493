/** The configuration model: schemas, kinds and loaders. */
export { KINDS, type Kind, MACHINE_STATES, type MachineState } from './kinds/index.ts';
export { type ConfigError, ConfigLoadError, formatError, formatPath } from './load/errors.ts';
export { type LoadResult, loadPlantFile, loadPlantText } from './load/plant.ts';
export {
  findDevice,
  ledgerDevices,
  opcuaNodeId,
  type Plant,
  type ResolvedDevice,
  type ResolvedEnterprise,
  type ResolvedLine,
} from './load/resolve.ts';
export { INDUSTRIES, type Industry } from './model/common.ts';
export type { Connectivity, ConnectivityType } from './model/connectivity.ts';
export type { Point } from './model/point.ts';
export { FAULT_TYPES, type FaultEvent, type FaultType, parseDuration } from './model/faults.ts';
export {
  type CollectDevice,
  type CollectPoint,
  loadGatewayFile,
  type ResolvedGateway,
} from './load/gateway.ts';
export type { GatewayFile } from './model/gateway.ts';
