/**
 * Loads a gateway file: its own schema, the plant file it references (relative to it), and
 * the devices to collect — resolved to full point maps with per-point poll interval,
 * deadband and gateway-side scaling. Every error is returned located, nothing is thrown.
 */
import path from 'node:path';
import type { Kind } from '../kinds/define.ts';
import { KINDS } from '../kinds/index.ts';
import type { Connectivity } from '../model/connectivity.ts';
import { type GatewayDevice, GatewayFile } from '../model/gateway.ts';
import { Device } from '../model/plant.ts';
import type { Point } from '../model/point.ts';
import { vocabulary } from '../schema/json.ts';
import type { ConfigError, ConfigIssue } from './errors.ts';
import { loadPlantFile, type LoadResult } from './plant.ts';
import { findDevice, mergePoints, type Plant, type ResolvedDevice } from './resolve.ts';
import { locate, parseYaml, readSource } from './yaml.ts';
import { fromZodIssues } from './zod-issues.ts';

export interface CollectPoint {
  point: Point;
  intervalMs: number;
  deadband: number;
  /** Gateway-side scaling on top of the device's own: value × scale + offset. */
  scale: number;
  offset: number;
}

export interface CollectDevice {
  device: ResolvedDevice;
  connectivity: Connectivity;
  points: CollectPoint[];
}

export interface ResolvedGateway {
  file: string;
  config: GatewayFile;
  devices: CollectDevice[];
  bufferDir: string;
}

let gatewayVocabulary: Set<string> | undefined;

export async function loadGatewayFile(
  file: string,
  kinds: ReadonlyMap<string, Kind> = KINDS,
): Promise<LoadResult<ResolvedGateway>> {
  const text = await readSource(file);
  if (typeof text !== 'string') return { ok: false, errors: [text] };
  const parsed = parseYaml(text, file);
  if (parsed.errors.length) return { ok: false, errors: parsed.errors };
  gatewayVocabulary ??= vocabulary(GatewayFile);
  const result = GatewayFile.safeParse(parsed.value, { reportInput: true });
  const fail = (issues: ConfigIssue[], extra: ConfigError[] = []): LoadResult<ResolvedGateway> => ({
    ok: false,
    errors: [
      ...issues
        .map((i) => ({ file, ...locate(parsed.source, i), ...i }))
        .sort((a, b) => a.line - b.line || a.column - b.column),
      ...extra,
    ],
  });
  if (!result.success) return fail(fromZodIssues(result.error.issues, gatewayVocabulary));
  const config = result.data;
  const g = config.gateway;

  let plant: Plant | undefined;
  if (g.plant) {
    const loaded = await loadPlantFile(path.resolve(path.dirname(file), g.plant), kinds);
    if (!loaded.ok)
      return fail(
        [{ path: ['gateway', 'plant'], message: `the plant file has ${loaded.errors.length} error(s)` }],
        loaded.errors,
      );
    plant = loaded.value;
  }
  const issues: ConfigIssue[] = [];
  const groups = config.polling.groups;
  const intervalOf = (group: string | undefined, at: (string | number)[]): number => {
    if (group === undefined) return config.polling.interval;
    const ms = groups[group];
    if (ms === undefined) {
      issues.push({
        path: at,
        message: `unknown poll group "${group}"; known: ${Object.keys(groups).join(', ') || '(none)'}`,
      });
      return config.polling.interval;
    }
    return ms;
  };

  const selected: GatewayDevice[] = g.devices ?? defaultSelection(plant, g.enterprise);
  if (!g.devices && !plant)
    issues.push({ path: ['gateway'], message: 'expected "plant" (with "enterprise") or "devices"' });
  if (g.plant && !g.enterprise)
    issues.push({ path: ['gateway', 'enterprise'], message: 'required with "plant"' });
  const devices: CollectDevice[] = [];
  const seen = new Set<string>();
  selected.forEach((sel, i) => {
    const at = ['gateway', 'devices', i];
    if (seen.has(sel.id)) issues.push({ path: [...at, 'id'], message: `duplicate device "${sel.id}"` });
    seen.add(sel.id);
    let device: ResolvedDevice | undefined;
    if (sel.kind !== undefined) {
      const inline = Device.safeParse({
        id: sel.id,
        kind: sel.kind,
        connectivity: sel.connectivity,
        points: sel.points,
      });
      const kind = kinds.get(sel.kind);
      if (!kind) issues.push({ path: [...at, 'kind'], message: `unknown kind "${sel.kind}"` });
      if (!inline.success || !kind) return;
      device = {
        id: sel.id,
        kind: sel.kind,
        digital: kind.digital,
        keyProcess: false,
        connectivity: inline.data.connectivity,
        points: mergePoints(kind, inline.data.points),
        enterprise: g.group,
        line: sel.line ?? 'default',
      };
    } else if (plant && g.enterprise) {
      const found = findDevice(plant, `${g.enterprise}/${sel.id}`);
      if (typeof found === 'string') {
        issues.push({ path: [...at, 'id'], message: `${found} (enterprise ${g.enterprise})` });
        return;
      }
      device = found;
    } else {
      issues.push({
        path: [...at, 'kind'],
        message: 'inline devices need "kind" and "connectivity" (no plant referenced)',
      });
      return;
    }
    const connectivity = sel.connectivity ?? device.connectivity;
    if (connectivity.type === 'none') {
      issues.push({
        path: [...at, 'id'],
        message: `device "${sel.id}" has no connectivity: nothing to collect`,
      });
      return;
    }
    const names = new Set(device.points.map((p) => p.name));
    for (const name of Object.keys(sel.pointOptions ?? {})) {
      if (!names.has(name))
        issues.push({
          path: [...at, 'pointOptions', name],
          atKey: true,
          message: `no point "${name}" on ${sel.id}`,
        });
    }
    const deviceInterval = intervalOf(sel.pollGroup, [...at, 'pollGroup']);
    const points = device.points.flatMap((point): CollectPoint[] => {
      const o = sel.pointOptions?.[point.name];
      if (o?.enabled === false) return [];
      return [
        {
          point,
          intervalMs:
            o?.pollGroup === undefined
              ? deviceInterval
              : intervalOf(o.pollGroup, [...at, 'pointOptions', point.name, 'pollGroup']),
          deadband: o?.deadband ?? sel.deadband ?? 0,
          scale: o?.scale ?? 1,
          offset: o?.offset ?? 0,
        },
      ];
    });
    devices.push({ device: { ...device, connectivity }, connectivity, points });
  });
  if (issues.length) return fail(issues);
  return {
    ok: true,
    value: {
      file,
      config,
      devices,
      bufferDir: path.resolve(config.buffer.dir ?? `.data/gateway/${g.group}-${g.node}`),
    },
  };
}

function defaultSelection(plant: Plant | undefined, enterprise: string | undefined): GatewayDevice[] {
  const e = plant?.enterprises.find((x) => x.id === enterprise);
  return (e?.lines ?? []).flatMap((l) =>
    l.devices.filter((d) => d.connectivity.type !== 'none').map((d) => ({ id: d.id })),
  );
}
