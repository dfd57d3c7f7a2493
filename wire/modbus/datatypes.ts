/**
 * Modbus data types, tables and byte/word orders: the vocabulary shared by the
 * register codec, the simulators and the gateway. Pure data, no I/O.
 */

export const DATA_TYPES = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
  'string',
] as const;
export type DataType = (typeof DATA_TYPES)[number];

/** Modbus tables: coils (0x), discrete inputs (1x), input registers (3x), holding registers (4x). */
export const TABLES = ['coil', 'discrete', 'input', 'holding'] as const;
export type Table = (typeof TABLES)[number];

/** Bit tables hold single bits; register tables hold 16-bit words. */
export const isBitTable = (t: Table): boolean => t === 'coil' || t === 'discrete';
/** Tables a Modbus client may write (function codes 5/15 and 6/16). */
export const isWritableTable = (t: Table): boolean => t === 'coil' || t === 'holding';

/**
 * Byte and word order, named by where bytes A (most significant) … D land on the wire
 * for a 32-bit value. ABCD = big-endian (Modbus default); DCBA = fully little-endian;
 * BADC = bytes swapped inside each word; CDAB = words swapped ("word-swapped", common
 * on PLCs). For 64-bit values the same two rules apply: word swap reverses the order of
 * all four words, byte swap swaps the two bytes inside each word.
 */
export const ORDERS = ['ABCD', 'DCBA', 'BADC', 'CDAB'] as const;
export type Order = (typeof ORDERS)[number];

export const swapsBytes = (o: Order): boolean => o === 'DCBA' || o === 'BADC';
export const swapsWords = (o: Order): boolean => o === 'DCBA' || o === 'CDAB';

/** Max quantities per request (Modbus application protocol v1.1b3 §6). */
export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;
export const MAX_WRITE_REGISTERS = 123;
export const MAX_WRITE_BITS = 1968;

/**
 * Width of a value in its table's units: registers for register tables, bits for bit
 * tables. A bool in a register table uses one register (or one bit of it, see `bit`).
 * A string packs two bytes per register; `length` is its size in bytes.
 */
export function registerWidth(type: DataType, length = 0): number {
  switch (type) {
    case 'bool':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    case 'string':
      return Math.ceil(length / 2);
  }
}
