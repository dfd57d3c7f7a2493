/**
 * Modbus application PDUs (Modbus Application Protocol v1.1b3): request parsing and response
 * building for the functions a field device serves — 01/02 read bits, 03/04 read
 * registers, 05/06 write single, 15/16 write multiple — and exception responses. Pure code
 * over Buffers; TCP (MBAP) and RTU framing live in their own modules.
 */
import {
  MAX_READ_BITS,
  MAX_READ_REGISTERS,
  MAX_WRITE_BITS,
  MAX_WRITE_REGISTERS,
  type Table,
} from './datatypes.ts';

export const FC = {
  readCoils: 1,
  readDiscreteInputs: 2,
  readHoldingRegisters: 3,
  readInputRegisters: 4,
  writeSingleCoil: 5,
  writeSingleRegister: 6,
  writeMultipleCoils: 15,
  writeMultipleRegisters: 16,
} as const;

export const EXCEPTION = {
  illegalFunction: 1,
  illegalDataAddress: 2,
  illegalDataValue: 3,
  serverDeviceFailure: 4,
  acknowledge: 5,
  serverDeviceBusy: 6,
  gatewayTargetFailedToRespond: 11,
} as const;

export type ReadRequest = {
  kind: 'read';
  fc: 1 | 2 | 3 | 4;
  table: Table;
  address: number;
  quantity: number;
};
export type WriteBitsRequest = { kind: 'write-bits'; fc: 5 | 15; address: number; values: boolean[] };
export type WriteRegistersRequest = {
  kind: 'write-registers';
  fc: 6 | 16;
  address: number;
  values: number[];
};
export type Request = ReadRequest | WriteBitsRequest | WriteRegistersRequest;
/** A request that must be answered with an exception. */
export type Rejected = { kind: 'exception'; fc: number; code: number };

const READ_TABLE: Record<1 | 2 | 3 | 4, Table> = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input' };

/** The length of a request PDU given its first bytes, or undefined if more bytes are needed. */
export function requestLength(pdu: Buffer): number | undefined {
  const fc = pdu[0];
  if (fc === undefined) return undefined;
  if (fc >= 1 && fc <= 6) return 5;
  if (fc === 15 || fc === 16) return pdu.length < 6 ? undefined : 6 + (pdu[5] ?? 0);
  return undefined;
}

export function parseRequest(pdu: Buffer): Request | Rejected {
  const fc = pdu[0] ?? 0;
  const reject = (code: number): Rejected => ({ kind: 'exception', fc, code });
  if (pdu.length < 5)
    return reject(fc >= 1 && fc <= 16 ? EXCEPTION.illegalDataValue : EXCEPTION.illegalFunction);
  const address = pdu.readUInt16BE(1);
  const n = pdu.readUInt16BE(3);
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      const max = fc <= 2 ? MAX_READ_BITS : MAX_READ_REGISTERS;
      if (n < 1 || n > max) return reject(EXCEPTION.illegalDataValue);
      if (address + n > 0x10000) return reject(EXCEPTION.illegalDataAddress);
      return { kind: 'read', fc, table: READ_TABLE[fc], address, quantity: n };
    }
    case 5:
      if (n !== 0xff00 && n !== 0x0000) return reject(EXCEPTION.illegalDataValue);
      return { kind: 'write-bits', fc, address, values: [n === 0xff00] };
    case 6:
      return { kind: 'write-registers', fc, address, values: [n] };
    case 15: {
      const bytes = pdu[5] ?? 0;
      if (n < 1 || n > MAX_WRITE_BITS || bytes !== Math.ceil(n / 8) || pdu.length < 6 + bytes) {
        return reject(EXCEPTION.illegalDataValue);
      }
      if (address + n > 0x10000) return reject(EXCEPTION.illegalDataAddress);
      const values = Array.from({ length: n }, (_, i) => (((pdu[6 + (i >> 3)] ?? 0) >> (i & 7)) & 1) === 1);
      return { kind: 'write-bits', fc, address, values };
    }
    case 16: {
      const bytes = pdu[5] ?? 0;
      if (n < 1 || n > MAX_WRITE_REGISTERS || bytes !== n * 2 || pdu.length < 6 + bytes) {
        return reject(EXCEPTION.illegalDataValue);
      }
      if (address + n > 0x10000) return reject(EXCEPTION.illegalDataAddress);
      const values = Array.from({ length: n }, (_, i) => pdu.readUInt16BE(6 + i * 2));
      return { kind: 'write-registers', fc, address, values };
    }
    default:
      return reject(EXCEPTION.illegalFunction);
  }
}

export function bitsResponse(fc: 1 | 2, bits: ArrayLike<boolean>): Buffer {
  const bytes = Math.ceil(bits.length / 8);
  const out = Buffer.alloc(2 + bytes);
  out[0] = fc;
  out[1] = bytes;
  for (let i = 0; i < bits.length; i++)
    if (bits[i]) out[2 + (i >> 3)] = (out[2 + (i >> 3)] ?? 0) | (1 << (i & 7));
  return out;
}

export function registersResponse(fc: 3 | 4, words: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(2 + words.length * 2);
  out[0] = fc;
  out[1] = words.length * 2;
  for (let i = 0; i < words.length; i++) out.writeUInt16BE((words[i] ?? 0) & 0xffff, 2 + i * 2);
  return out;
}

/** The normal response to a write echoes function, address and quantity (or value for 05/06). */
export function writeResponse(request: Buffer): Buffer {
  return Buffer.from(request.subarray(0, 5));
}

export function exceptionResponse(fc: number, code: number): Buffer {
  return Buffer.from([(fc | 0x80) & 0xff, code]);
}
