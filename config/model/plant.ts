/**
 * The plant file: a region, its enterprises, and each enterprise's equipment ledger
 * (设备台账) — lines, devices, their connectivity and points. Either written out
 * (`enterprises`) or generated from a `scenario` (province-scale inputs).
 */
import { z } from 'zod';
import { Id, INDUSTRIES, NonEmpty } from './common.ts';
import { Connectivity } from './connectivity.ts';
import { Point } from './point.ts';
import { FaultEvent } from './faults.ts';
import { Scenario } from './scenario.ts';

export const City = z.strictObject({
  id: Id,
  name: NonEmpty.describe('Name as written locally, e.g. 唐山市.'),
  nameEn: z.string().optional(),
});

export const Region = z.strictObject({
  id: Id,
  name: NonEmpty.describe('e.g. 河北省'),
  nameEn: z.string().optional(),
  cities: z.array(City).min(1, { error: 'expected at least one city' }),
});

export const Device = z
  .strictObject({
    id: Id,
    name: z.string().optional(),
    kind: Id.describe('Behaviour model / device kind, e.g. reheating-furnace; supplies default points.'),
    digital: z
      .boolean()
      .optional()
      .describe(
        'Digital equipment per GB/T 23020 Annex A (counts in the KPI denominator). Default: from the kind.',
      ),
    keyProcess: z.boolean().default(false).describe('Key-process equipment (关键工序设备).'),
    connectivity: Connectivity.default({ type: 'none' }),
    points: z
      .array(Point)
      .optional()
      .describe("Points added to the kind's default map; a point with a default's name replaces it."),
  })
  .describe('One ledger entry.');

export const Line = z.strictObject({
  id: Id,
  name: z.string().optional(),
  devices: z.array(Device),
});

export const Enterprise = z.strictObject({
  id: Id,
  name: NonEmpty.describe('Registered name; Chinese is fine, e.g. 唐山联网示范钢铁有限公司.'),
  city: Id.describe('Id of one of the region’s cities.'),
  industry: z.enum(INDUSTRIES),
  leading: z.boolean().default(false).describe('Leading enterprise of its industry (龙头企业).'),
  lines: z.array(Line),
});

export const PlantFile = z
  .strictObject({
    $schema: z.string().optional(),
    region: Region,
    enterprises: z.array(Enterprise).optional(),
    scenario: Scenario.optional(),
    faults: z.array(FaultEvent).optional().describe('Fault timeline for the simulators (simulated time).'),
  })
  .refine((p) => (p.enterprises === undefined) !== (p.scenario === undefined), {
    error: 'expected exactly one of "enterprises" (a written ledger) or "scenario" (a generated one)',
  })
  .describe('A lianwang plant file: region, enterprises and their equipment ledger.');

export type PlantFileInput = z.input<typeof PlantFile>;
export type PlantFile = z.output<typeof PlantFile>;
export type Region = z.output<typeof Region>;
export type Enterprise = z.output<typeof Enterprise>;
export type Line = z.output<typeof Line>;
export type Device = z.output<typeof Device>;
export type EnterpriseInput = z.input<typeof Enterprise>;
