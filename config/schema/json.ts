/**
 * JSON Schemas generated from the zod schemas — for editors (yaml-language-server) and
 * other tools. Checked in under config/schema/; `npm run schema` rewrites them and a
 * test fails when they are stale.
 */
import { z } from 'zod';
import { FaultsFile } from '../model/faults.ts';
import { GatewayFile } from '../model/gateway.ts';
import { PlantFile } from '../model/plant.ts';

export const SCHEMAS: Record<string, z.ZodType> = {
  'plant.schema.json': PlantFile,
  'gateway.schema.json': GatewayFile,
  'faults.schema.json': FaultsFile,
};

export function jsonSchema(name: string, schema: z.ZodType): Record<string, unknown> {
  return {
    ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
    $id: `https://lianwang.invalid/schema/${name}`,
  };
}

export const renderSchema = (name: string, schema: z.ZodType): string =>
  `${JSON.stringify(jsonSchema(name, schema), null, 2)}\n`;

/** Every property name a schema allows anywhere, for "did you mean" hints. */
export function vocabulary(schema: z.ZodType): Set<string> {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'properties' && v && typeof v === 'object')
          for (const p of Object.keys(v as object)) names.add(p);
        walk(v);
      }
    }
  };
  walk(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));
  return names;
}
