/** Fault types a simulated device can suffer, as seen by a client (defined in config/model/faults.ts). */
import type { FaultType } from '../../config/model/faults.ts';

export { FAULT_TYPES, type FaultType } from '../../config/model/faults.ts';

export interface FaultSpec {
  type: FaultType;
  /** slow: added latency per answer (default 2000 ms). */
  latencyMs?: number;
  /** exception: Modbus exception code (default 4). */
  exceptionCode?: 4 | 6;
  /** restart: how long the server stays down (default 1000 ms). */
  downMs?: number;
}

/** Faults during which a correct gateway gets no good-quality sample from the device. */
export const UNREACHABLE_FAULTS: ReadonlySet<FaultType> = new Set([
  'offline',
  'hang',
  'exception',
  'garbage',
  'bad-status',
  'restart',
]);
