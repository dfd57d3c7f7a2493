/**
 * Inputs of the province-scale scenario generator: how many enterprises of each
 * industry, where, and what their ledgers look like. Expanded deterministically
 * (same seed → same ledger) into `enterprises` by config/scenario/generate.ts.
 */
import { z } from 'zod';
import { Id, INDUSTRIES, intRange } from './common.ts';

const Share = z.number().min(0).max(1);
const IntSpan = z
  .tuple([intRange(0, 10_000), intRange(0, 10_000)])
  .refine(([lo, hi]) => lo <= hi, { error: 'expected [min, max] with min ≤ max' });
const Weights = z.record(Id, z.number().min(0)).describe('Relative weights by id.');

export const IndustryMix = z.strictObject({
  industry: z.enum(INDUSTRIES),
  enterprises: intRange(0, 100_000).describe('How many enterprises of this industry.'),
  leadingShare: Share.default(0.2).describe('Share that are leading enterprises (龙头企业).'),
  cities: Weights.describe('Relative weight of each city id for placing these enterprises.'),
  lines: IntSpan.describe('Lines per enterprise [min, max].'),
  devicesPerLine: IntSpan.describe('Ledger devices per line [min, max].'),
  kinds: Weights.describe('Relative weight of each device kind.'),
  digitalShare: Share.describe('Share of devices that are digital equipment.'),
  networkedShare: z
    .tuple([Share, Share])
    .describe('Per-enterprise share of digital devices given a gateway connection, drawn from [min, max].'),
  protocols: z
    .strictObject({
      'modbus-tcp': z.number().min(0),
      opcua: z.number().min(0),
      'modbus-rtu': z.number().min(0),
    })
    .partial()
    .describe('Relative weight of each protocol among connected devices.'),
});

export const Scenario = z.strictObject({
  seed: z.int().describe('Seed of the deterministic generator.'),
  industries: z.array(IndustryMix).min(1),
});

export type Scenario = z.output<typeof Scenario>;
export type IndustryMix = z.output<typeof IndustryMix>;
