/** Fault timelines for the simulators: what goes wrong with which device, when, for how long. */
import { z } from 'zod';

export const FAULT_TYPES = [
  'offline', // Modbus: connection refused (own port) or 0x0B (behind a shared gateway port); OPC UA: BadNotConnected
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

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "500ms", "90s", "10m", "1h30m" or a number of seconds into milliseconds. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== text.trim().replace(/\s+/g, '')) return undefined;
  return parts.reduce((ms, p) => ms + Number(p[1]) * (UNITS[p[2] ?? 's'] ?? 0), 0);
}

export const Duration = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration like 90s, 10m or 1h30m, got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .describe('Duration: "500ms", "90s", "10m", "1h30m", or seconds as a number.');

export const FaultEvent = z
  .strictObject({
    at: Duration.describe('When, in simulated time since the simulation started.'),
    device: z.string().min(1).describe('Device id, or "<enterprise>/<device>" when ids repeat.'),
    fault: z.enum(FAULT_TYPES),
    for: Duration.optional().describe('How long; omitted = until cleared (restart: ignored).'),
    latencyMs: z.int().min(0).max(600_000).optional().describe('slow: added latency per answer.'),
    exceptionCode: z
      .union([z.literal(4), z.literal(6)])
      .optional()
      .describe('exception: 4 or 6.'),
    downMs: z.int().min(0).max(600_000).optional().describe('restart: time the server stays down.'),
  })
  .describe('One fault on the timeline.');

export const FaultsFile = z.strictObject({
  $schema: z.string().optional(),
  faults: z.array(FaultEvent),
});

export type FaultEvent = z.output<typeof FaultEvent>;
