/**
 * Loads a plant file: YAML with positions → schema → scenario expansion → semantic
 * checks → resolved ledger. Every error is collected and returned at once, each with
 * file, line, column and path; nothing is thrown for bad input.
 */
import { z } from 'zod';
import type { Kind } from '../kinds/define.ts';
import { KINDS } from '../kinds/index.ts';
import { Device, Enterprise, PlantFile, Region } from '../model/plant.ts';
import { Scenario } from '../model/scenario.ts';
import { generateEnterprises } from '../scenario/generate.ts';
import { vocabulary } from '../schema/json.ts';
import type { ConfigError, ConfigIssue } from './errors.ts';
import { findDevice, type Plant, resolveEnterprise } from './resolve.ts';
import { checkPlant, type SemanticInput } from './semantics.ts';
import { locate, parseYaml, readSource } from './yaml.ts';
import { fromZodIssues } from './zod-issues.ts';

export type LoadResult<T> = { ok: true; value: T } | { ok: false; errors: ConfigError[] };

let plantVocabulary: Set<string> | undefined;

export async function loadPlantFile(
  file: string,
  kinds: ReadonlyMap<string, Kind> = KINDS,
): Promise<LoadResult<Plant>> {
  const text = await readSource(file);
  if (typeof text !== 'string') return { ok: false, errors: [text] };
  return loadPlantText(text, file, kinds);
}

export function loadPlantText(
  text: string,
  file: string,
  kinds: ReadonlyMap<string, Kind> = KINDS,
): LoadResult<Plant> {
  const parsed = parseYaml(text, file);
  if (parsed.errors.length) return { ok: false, errors: parsed.errors };
  plantVocabulary ??= vocabulary(PlantFile);
  const issues: ConfigIssue[] = [];
  const result = PlantFile.safeParse(parsed.value, { reportInput: true });
  if (!result.success) issues.push(...fromZodIssues(result.error.issues, plantVocabulary));

  // Expand a scenario and validate what it generated like a written ledger.
  let semantic: SemanticInput | undefined = result.success
    ? {
        region: result.data.region,
        enterprises: result.data.enterprises ?? [],
        ...(result.data.scenario ? { scenario: result.data.scenario } : {}),
        generated: false,
      }
    : salvage(parsed.value);
  if (result.success && result.data.scenario && semantic) {
    const generated = generateEnterprises(result.data.scenario, result.data.region, kinds);
    const checked = z.array(Enterprise).safeParse(generated, { reportInput: true });
    if (checked.success) semantic = { ...semantic, enterprises: checked.data, generated: true };
    else {
      const bad = fromZodIssues(checked.error.issues, plantVocabulary);
      issues.push(...bad.map((i) => ({ ...i, path: ['enterprises', ...i.path], generated: true })));
      semantic = undefined;
    }
  }
  if (semantic) issues.push(...checkPlant(semantic, kinds));

  if (issues.length || !result.success || !semantic) {
    const errors = issues.map((i) => ({ file, ...locate(parsed.source, i, ['scenario']), ...i }));
    errors.sort((a, b) => a.line - b.line || a.column - b.column);
    return { ok: false, errors };
  }
  const enterprises = semantic.enterprises.map((e) => resolveEnterprise(e, kinds));
  const faults = result.data.faults ?? [];
  const faultIssues = faults.flatMap((f, i): ConfigIssue[] => {
    const found = findDevice({ enterprises }, f.device);
    if (typeof found === 'string') return [{ path: ['faults', i, 'device'], message: found }];
    if (found.connectivity.type === 'none') {
      return [
        {
          path: ['faults', i, 'device'],
          message: `device "${f.device}" is not connected, so it is not simulated`,
        },
      ];
    }
    return [];
  });
  if (faultIssues.length) {
    return { ok: false, errors: faultIssues.map((i) => ({ file, ...locate(parsed.source, i), ...i })) };
  }
  return { ok: true, value: { file, region: semantic.region, enterprises, faults } };
}

/**
 * When the schema rejects the file, still run the semantic checks on whatever parses —
 * each device on its own — so duplicates and overlaps are reported with the type errors.
 */
function salvage(raw: unknown): SemanticInput | undefined {
  if (!isRecord(raw)) return undefined;
  const region = Region.safeParse(raw.region);
  if (!region.success) return undefined;
  const scenario = Scenario.safeParse(raw.scenario);
  const enterprises = (Array.isArray(raw.enterprises) ? raw.enterprises : []).map((e): Enterprise => {
    const ent = isRecord(e) ? e : {};
    return {
      id: str(ent.id),
      name: str(ent.name),
      city: str(ent.city),
      industry: 'other',
      leading: false,
      lines: (Array.isArray(ent.lines) ? ent.lines : []).map((l) => {
        const line = isRecord(l) ? l : {};
        return {
          id: str(line.id),
          devices: (Array.isArray(line.devices) ? line.devices : []).map((d) => {
            const ok = Device.safeParse(d);
            if (ok.success) return ok.data;
            const dev = isRecord(d) ? d : {};
            return {
              id: str(dev.id),
              kind: str(dev.kind),
              keyProcess: false,
              connectivity: { type: 'none' as const },
            };
          }),
        };
      }),
    };
  });
  return {
    region: region.data,
    enterprises,
    ...(scenario.success ? { scenario: scenario.data } : {}),
    generated: false,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
