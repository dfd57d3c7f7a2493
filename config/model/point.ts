/** A device point: one named signal and where it lives in Modbus and OPC UA. */
import { z } from 'zod';
import { DATA_TYPES, ORDERS, TABLES } from '../../wire/modbus/datatypes.ts';
import { intRange, NonEmpty } from './common.ts';

export const PointName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, {
  error: 'expected a point name: a letter, then letters, digits or "_" (max 64)',
});

export const ModbusAddress = z
  .strictObject({
    table: z
      .enum(TABLES)
      .describe('coil (0x), discrete (1x input bits), input (3x registers), holding (4x).'),
    address: intRange(0, 65535).describe(
      'Zero-based address inside the table (40001 in 1-based notation = holding 0).',
    ),
    order: z.enum(ORDERS).default('ABCD').describe('Byte and word order of multi-register values.'),
    bit: intRange(0, 15)
      .optional()
      .describe('For a bool in a register table: the bit of the register (0 = least significant).'),
    scale: z.number().default(1).describe('Engineering value = raw × scale + offset.'),
    offset: z.number().default(0).describe('Engineering value = raw × scale + offset.'),
  })
  .describe('Where the point lives on a Modbus device.');

export const OpcuaAddress = z
  .strictObject({
    nodeId: NonEmpty.describe('Node id, e.g. "ns=1;s=plant/line/device/point" or "i=2258".'),
  })
  .describe('Where the point lives on an OPC UA server.');

export const Point = z
  .strictObject({
    name: PointName,
    unit: z.string().optional().describe('Engineering unit, e.g. "°C", "MPa", "kW".'),
    description: z.string().optional(),
    type: z.enum(DATA_TYPES).describe('Data type as held by the device (raw register type on Modbus).'),
    length: intRange(1, 246)
      .optional()
      .describe('String size in bytes (two per register). Required for strings.'),
    range: z
      .tuple([z.number(), z.number()])
      .optional()
      .describe('Engineering range [low, high] (OPC UA EURange).'),
    access: z
      .enum(['read', 'readwrite'])
      .default('read')
      .describe('readwrite = a setpoint or command a client may write.'),
    modbus: ModbusAddress.optional(),
    opcua: OpcuaAddress.optional(),
  })
  .describe('One signal of a device.');

export type PointInput = z.input<typeof Point>;
export type Point = z.output<typeof Point>;
