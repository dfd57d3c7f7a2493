/** How a device's injected faults change its answer to one Modbus request. */
import { Rng } from '../../config/random.ts';
import { encodeMbap } from '../../wire/modbus/frames.ts';
import { EXCEPTION } from '../../wire/modbus/pdu.ts';
import type { SimDevice } from '../device.ts';

export type Disposition =
  | { kind: 'answer'; delayMs: number }
  | { kind: 'drop' }
  | { kind: 'exception'; code: number }
  | { kind: 'garbage' };

/**
 * `shared`: the device sits behind a serial-to-Ethernet gateway with other units, so when it
 * is offline the gateway answers 0x0B (target failed to respond); a device on its own port
 * is offline by refusing connections (handled by the port), and on a serial line by silence.
 */
export function disposition(device: SimDevice, transport: 'tcp-shared' | 'tcp' | 'rtu'): Disposition {
  const f = device.faults;
  if (f.size === 0) return { kind: 'answer', delayMs: 0 };
  if (f.has('offline') || f.has('restart')) {
    return transport === 'tcp-shared'
      ? { kind: 'exception', code: EXCEPTION.gatewayTargetFailedToRespond }
      : { kind: 'drop' };
  }
  if (f.has('hang')) return { kind: 'drop' };
  if (f.has('garbage')) return { kind: 'garbage' };
  if (f.has('bad-status')) return { kind: 'exception', code: EXCEPTION.serverDeviceFailure };
  const ex = f.get('exception');
  if (ex) return { kind: 'exception', code: ex.exceptionCode ?? EXCEPTION.serverDeviceFailure };
  const slow = f.get('slow');
  return { kind: 'answer', delayMs: slow ? (slow.latencyMs ?? 2000) : 0 };
}

const garbageRng = new Rng(0x6a7b);

/**
 * A malformed answer, alternating between kinds a broken device or converter produces:
 * a PDU whose byte count disagrees with its length, a header with a foreign protocol id, and
 * plain noise.
 */
export function garbageTcp(transaction: number, unit: number, fc: number): Buffer {
  const noise = Buffer.from(Array.from({ length: garbageRng.int(3, 20) }, () => garbageRng.int(0, 255)));
  switch (garbageRng.int(0, 2)) {
    case 0:
      return encodeMbap(transaction, unit, Buffer.concat([Buffer.from([fc, 200]), noise]));
    case 1: {
      const frame = encodeMbap(transaction, unit, Buffer.concat([Buffer.from([fc, noise.length]), noise]));
      frame.writeUInt16BE(0x1234, 2);
      return frame;
    }
    default:
      return noise;
  }
}

export function garbageRtu(): Buffer {
  return Buffer.from(Array.from({ length: garbageRng.int(3, 20) }, () => garbageRng.int(0, 255)));
}
