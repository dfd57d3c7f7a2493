/** How a ledger device is (or is not) connected: the protocols the gateway speaks. */
import { z } from 'zod';
import { Host, intRange, NonEmpty, Port } from './common.ts';

const UnitId = intRange(0, 255).default(1).describe('Modbus unit (slave) id.');

export const ModbusTcp = z.strictObject({
  type: z.literal('modbus-tcp'),
  host: Host,
  port: Port.default(502),
  unitId: UnitId,
});

export const ModbusRtu = z.strictObject({
  type: z.literal('modbus-rtu'),
  path: NonEmpty.describe('Serial device, e.g. /dev/ttyUSB0.'),
  baudRate: z
    .union([1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200].map((b) => z.literal(b)))
    .default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('even'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  unitId: intRange(1, 247).default(1).describe('Modbus RTU slave address, 1–247.'),
});

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const SECURITY_POLICIES = [
  'None',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;

export const Opcua = z
  .strictObject({
    type: z.literal('opcua'),
    endpoint: z.string().regex(/^opc\.tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\/.*)?$/, {
      error: 'expected an OPC UA endpoint URL like opc.tcp://host:4840/path (IPv6 as [addr])',
    }),
    securityMode: z.enum(SECURITY_MODES).default('None'),
    securityPolicy: z.enum(SECURITY_POLICIES).default('None'),
    username: z.string().optional(),
    password: z.string().optional(),
  })
  .refine((c) => (c.securityMode === 'None') === (c.securityPolicy === 'None'), {
    error: 'securityMode and securityPolicy must both be None or both be set',
    path: ['securityPolicy'],
  });

export const NotConnected = z.strictObject({
  type: z.literal('none'),
  reason: z
    .enum(['not-digital', 'no-gateway', 'no-interface'])
    .optional()
    .describe('Why the device is not connected (gap attribution).'),
});

export const Connectivity = z
  .discriminatedUnion('type', [ModbusTcp, ModbusRtu, Opcua, NotConnected])
  .describe('How the gateway reaches the device; "none" for equipment not networked.');

export type Connectivity = z.output<typeof Connectivity>;
export type ConnectivityType = Connectivity['type'];
