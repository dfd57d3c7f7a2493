/**
 * Answers one Modbus request PDU for one simulated device: reads from and writes to its
 * register image, with exceptions for anything outside the map. Shared by TCP and RTU.
 */
import {
  bitsResponse,
  EXCEPTION,
  exceptionResponse,
  parseRequest,
  registersResponse,
  writeResponse,
} from '../../wire/modbus/pdu.ts';
import { ModbusError, type RegisterImage } from './image.ts';

export function answer(image: RegisterImage, pdu: Buffer): Buffer {
  const req = parseRequest(pdu);
  if (req.kind === 'exception') return exceptionResponse(req.fc, req.code);
  try {
    switch (req.kind) {
      case 'read': {
        const data = image.read(req.table, req.address, req.quantity);
        return req.fc === 1 || req.fc === 2
          ? bitsResponse(req.fc, data as boolean[])
          : registersResponse(req.fc, data as Uint16Array);
      }
      case 'write-bits':
        image.writeBits(req.address, req.values);
        return writeResponse(pdu);
      case 'write-registers':
        image.writeRegisters(req.address, req.values);
        return writeResponse(pdu);
    }
  } catch (err) {
    if (err instanceof ModbusError) return exceptionResponse(req.fc, err.code);
    return exceptionResponse(req.fc, EXCEPTION.serverDeviceFailure);
  }
}
