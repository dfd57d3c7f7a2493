/**
 * How a device's injected faults look through OPC UA. The server stays up for the other machines, so
 * a device the gateway could not reach (UNREACHABLE_FAULTS) shows as a Bad status on each of its
 * variables and its Reset method; value faults (stuck, nan, out-of-range) arrive through
 * `SimDevice.values()` with Good status, and 'slow' has no OPC UA effect (values are served from the
 * server's cache). A whole-server restart is `OpcuaSim.restart()`.
 */
import { type StatusCode, StatusCodes } from 'node-opcua';
import type { SimDevice } from '../device.ts';
import type { FaultType } from '../faults/types.ts';

/** In order of precedence when several faults are active. */
const FAULT_STATUS: readonly (readonly [FaultType, StatusCode])[] = [
  ['offline', StatusCodes.BadNotConnected],
  ['restart', StatusCodes.BadNotConnected],
  ['hang', StatusCodes.BadTimeout],
  ['garbage', StatusCodes.BadCommunicationError],
  ['bad-status', StatusCodes.BadDeviceFailure],
  ['exception', StatusCodes.BadDeviceFailure],
];

/** The status of every read of the device's variables while a fault makes it unreachable. */
export function faultStatus(device: SimDevice): StatusCode | undefined {
  if (device.faults.size === 0) return undefined;
  for (const [type, status] of FAULT_STATUS) if (device.faults.has(type)) return status;
  return undefined;
}
