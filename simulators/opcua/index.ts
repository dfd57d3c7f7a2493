/** The OPC UA server of the machine simulators. */
export { type OpcuaLog, resetNodeId, stateNodeId } from './address-space.ts';
export { faultStatus } from './faults.ts';
export { opcuaDataType } from './datatypes.ts';
export { configureNodeOpcuaLogging, type NodeOpcuaLogging, type NodeOpcuaLogLevel } from './logging.ts';
export type { SecurityModeName, SecurityPolicyName, UserCredentials } from './security.ts';
export {
  type OpcuaSim,
  OpcuaSimServer,
  type OpcuaSimOptions,
  SIMULATOR_NAMESPACE_URI,
  startOpcuaServer,
} from './server.ts';
