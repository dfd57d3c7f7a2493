/** Fault types a simulated device can suffer, as seen by a client. */
export const FAULT_TYPES = [
  'offline', // Modbus: port closed / connection refused for its unit; OPC UA: variables BadNotConnected
  'hang', // accepts the connection, never answers
  'slow', // answers after `latencyMs`
  'exception', // Modbus exception `exceptionCode` (04 device failure or 06 busy)
  'garbage', // malformed frames
  'stuck', // values freeze at their last value
  'out-of-range', // values beyond the point's range
  'nan', // floats read NaN
  'bad-status', // OPC UA Bad status (BadDeviceFailure); Modbus: exception 04
  'restart', // the serving process restarts: connections dropped, served again after `downMs`
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

export interface FaultSpec {
  type: FaultType;
  /** slow: added latency per answer (default 2000 ms). */
  latencyMs?: number;
  /** exception: Modbus exception code (default 4). */
  exceptionCode?: 4 | 6;
  /** restart: how long the server stays down (default 1000 ms). */
  downMs?: number;
}

/** Faults after which a correct gateway gets no good-quality sample from the device. */
export const UNREACHABLE_FAULTS: ReadonlySet<FaultType> = new Set([
  'offline',
  'hang',
  'exception',
  'garbage',
  'bad-status',
  'restart',
]);
