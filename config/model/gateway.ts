/**
 * The edge gateway's configuration: who it is in Sparkplug, where its brokers are, where it
 * buffers, and which devices it collects — referenced from a plant file or written inline —
 * with poll groups, deadbands and scaling per device and point.
 */
import { z } from 'zod';
import { Id, intRange, NonEmpty } from './common.ts';
import { Connectivity } from './connectivity.ts';
import { Duration } from './faults.ts';
import { Point, PointName } from './point.ts';

const BrokerUrl = z
  .string()
  .regex(/^(mqtts?|wss?):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\/.*)?$/, {
    error: 'expected a broker URL like mqtt://[::1]:1883 or mqtts://broker.example:8883',
  });

const PointOptions = z.strictObject({
  pollGroup: Id.optional().describe('Poll group name (polling.groups); default: the device’s.'),
  deadband: z
    .number()
    .min(0)
    .optional()
    .describe('Report only changes larger than this (engineering units).'),
  scale: z.number().optional().describe('Extra gateway-side scaling: value × scale + offset.'),
  offset: z.number().optional(),
  enabled: z.boolean().default(true),
});

export const GatewayDevice = z
  .strictObject({
    id: Id.describe('Device id in the plant’s enterprise, or of the inline device.'),
    line: Id.optional().describe('Inline devices: the line they belong to (default "default").'),
    kind: Id.optional().describe('Inline devices only: the device kind.'),
    connectivity: Connectivity.optional().describe(
      'Inline devices, or an override of the plant’s (e.g. another port).',
    ),
    points: z.array(Point).optional().describe('Inline devices only: points beyond the kind’s map.'),
    pollGroup: Id.optional(),
    deadband: z.number().min(0).optional().describe('Default deadband for the device’s points.'),
    pointOptions: z.record(PointName, PointOptions).optional().describe('Per-point options by point name.'),
  })
  .describe('A device the gateway collects.');

export const GatewayFile = z
  .strictObject({
    $schema: z.string().optional(),
    gateway: z.strictObject({
      group: Id.describe('Sparkplug group id (usually the enterprise id).'),
      node: Id.describe('Sparkplug edge node id.'),
      plant: NonEmpty.optional().describe('Plant file (relative to this file) whose devices are referenced.'),
      enterprise: Id.optional().describe('The enterprise of the plant file this gateway serves.'),
      devices: z
        .array(GatewayDevice)
        .optional()
        .describe('Devices to collect; default: every connected device of the enterprise.'),
    }),
    mqtt: z.strictObject({
      brokers: z
        .array(BrokerUrl)
        .min(1)
        .describe('Tried in order; the next on failure (IPv6 literals in brackets).'),
      protocolVersion: z
        .union([z.literal(4), z.literal(5)])
        .default(4)
        .describe('4 = MQTT 3.1.1 (aedes), 5 = MQTT 5.'),
      clientId: z.string().optional(),
      username: z.string().optional(),
      password: z
        .string()
        .optional()
        .describe('Prefer passwordFile: whoever can read this file can read it.'),
      passwordFile: NonEmpty.optional().describe(
        'File with the MQTT password (read at each connect; path from the cwd).',
      ),
      tls: z
        .strictObject({
          ca: NonEmpty.optional().describe('CA certificate file (PEM).'),
          cert: NonEmpty.optional().describe('Client certificate file (PEM).'),
          key: NonEmpty.optional().describe('Client key file (PEM).'),
          rejectUnauthorized: z.boolean().default(true),
        })
        .optional(),
      keepalive: Duration.default(30_000).describe(
        'MQTT keepalive: how soon a silent broker connection counts as lost (and data goes to the disk queue). Lower it (e.g. 5s) on links that drop without a TCP reset.',
      ),
      connectTimeout: Duration.default(10_000).describe('How long one connection attempt may take.'),
      reconnectMin: Duration.default(500).describe('First reconnect delay; doubles with jitter.'),
      reconnectMax: Duration.default(30_000).describe('Longest delay between reconnect attempts.'),
    }),
    sparkplug: z
      .strictObject({
        mode: z
          .enum(['sparkplug', 'json'])
          .default('sparkplug')
          .describe('json: lianwang/{enterprise}/{device}/data.'),
        qos: z.union([z.literal(0), z.literal(1)]).default(1),
        primaryHostId: Id.optional().describe(
          'Wait for this host application’s STATE online before publishing.',
        ),
      })
      .default({ mode: 'sparkplug', qos: 1 }),
    buffer: z
      .strictObject({
        dir: NonEmpty.optional().describe(
          'Default: .data/gateway/<group>-<node> (relative to the working directory).',
        ),
        maxBytes: intRange(1 << 20, 2 ** 40).default(1 << 30),
        maxAge: Duration.default(7 * 86_400_000),
      })
      .default({ maxBytes: 1 << 30, maxAge: 7 * 86_400_000 }),
    polling: z
      .strictObject({
        interval: Duration.default(1000).describe('Default poll interval.'),
        groups: z.record(Id, Duration).default({}).describe('Named poll groups: name → interval.'),
        timeout: Duration.default(1000).describe('Per-request timeout.'),
        maxGap: intRange(0, 125).default(16).describe('Registers a block read may span between points.'),
        backoffMin: Duration.default(1000),
        backoffMax: Duration.default(30_000),
      })
      .default({
        interval: 1000,
        groups: {},
        timeout: 1000,
        maxGap: 16,
        backoffMin: 1000,
        backoffMax: 30_000,
      }),
    http: z
      .union([
        z.literal(false),
        z.strictObject({ host: z.string().default('::1'), port: intRange(0, 65535).default(9100) }),
      ])
      .default({ host: '::1', port: 9100 })
      .describe('Local /health and /metrics; false to disable.'),
  })
  .refine((f) => f.mqtt.password === undefined || f.mqtt.passwordFile === undefined, {
    error: 'give mqtt.password or mqtt.passwordFile, not both',
    path: ['mqtt', 'passwordFile'],
  })
  .describe('A lianwang edge gateway.');

export type GatewayFileInput = z.input<typeof GatewayFile>;
export type GatewayFile = z.output<typeof GatewayFile>;
export type GatewayDevice = z.output<typeof GatewayDevice>;
