/**
 * Checks that a schema cannot express: unique ids, references between sections, known
 * kinds, Modbus addressing, and devices that would answer on the same Modbus endpoint.
 */
import type { Kind } from '../kinds/define.ts';
import type { Enterprise, Region } from '../model/plant.ts';
import type { Point } from '../model/point.ts';
import type { Scenario } from '../model/scenario.ts';
import type { ConfigIssue, PathSegment } from './errors.ts';
import { suggest } from './errors.ts';
import { checkOverlaps, checkPoint, type PlacedPoint } from './points.ts';

export interface SemanticInput {
  region: Region;
  enterprises: Enterprise[];
  scenario?: Scenario;
  /** Enterprises came from the scenario: their issues are located at it. */
  generated: boolean;
}

export function checkPlant(input: SemanticInput, kinds: ReadonlyMap<string, Kind>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: PathSegment[], message: string) =>
    issues.push({
      path,
      message,
      ...(input.generated && path[0] === 'enterprises' ? { generated: true } : {}),
    });
  const cityIds = new Set(input.region.cities.map((c) => c.id));

  unique(input.region.cities, (c) => c.id, ['region', 'cities'], 'city', add);
  unique(input.enterprises, (e) => e.id, ['enterprises'], 'enterprise', add);
  if (input.scenario) checkScenario(input.scenario, cityIds, kinds, add);

  input.enterprises.forEach((e, ei) => {
    // Each enterprise is its own network: endpoints and serial ports are unique per enterprise.
    const endpoints = new Map<string, string>();
    const serialLines = new Map<string, { settings: string; where: string }>();
    const ep: PathSegment[] = ['enterprises', ei];
    if (!cityIds.has(e.city)) add([...ep, 'city'], unknownRef('city', e.city, cityIds));
    unique(e.lines, (l) => l.id, [...ep, 'lines'], 'line', add);
    const deviceIds = new Map<string, string>();
    e.lines.forEach((l, li) => {
      l.devices.forEach((d, di) => {
        const dp: PathSegment[] = [...ep, 'lines', li, 'devices', di];
        const where = `${e.id}/${l.id}/${d.id}`;
        const first = deviceIds.get(d.id);
        if (first)
          add([...dp, 'id'], `duplicate device id "${d.id}" in enterprise ${e.id} (first at ${first})`);
        else deviceIds.set(d.id, where);
        const kind = kinds.get(d.kind);
        if (!kind) add([...dp, 'kind'], unknownRef('kind', d.kind, kinds.keys()));
        const c = d.connectivity;
        if (c.type === 'modbus-tcp') {
          const key = `${c.host.toLowerCase()}|${c.port}|${c.unitId}`;
          const other = endpoints.get(key);
          if (other) add([...dp, 'connectivity'], `same Modbus endpoint and unit id as ${other}`);
          else endpoints.set(key, where);
        } else if (c.type === 'modbus-rtu') {
          const key = `${c.path}|${c.unitId}`;
          const other = endpoints.get(key);
          if (other)
            add(
              [...dp, 'connectivity', 'unitId'],
              `unit id ${c.unitId} on ${c.path} already used by ${other}`,
            );
          else endpoints.set(key, where);
          const settings = `${c.baudRate} ${c.dataBits}${c.parity[0]?.toUpperCase()}${c.stopBits}`;
          const line = serialLines.get(c.path);
          if (line && line.settings !== settings) {
            add([...dp, 'connectivity'], `${c.path} is ${line.settings} for ${line.where}, ${settings} here`);
          } else if (!line) serialLines.set(c.path, { settings, where });
        }
        checkDevicePoints(d.points, kind, dp, c.type.startsWith('modbus'), add);
      });
    });
  });
  return issues;
}

function checkDevicePoints(
  own: readonly Point[] | undefined,
  kind: Kind | undefined,
  dp: PathSegment[],
  modbus: boolean,
  add: (path: PathSegment[], message: string) => void,
): void {
  // Kind maps are checked once by their own tests; a device without points of its own is clean.
  if (!own?.length) return;
  const placed: PlacedPoint[] = own.map((point, pi) => ({
    point,
    path: [...dp, 'points', pi],
    origin: 'device',
  }));
  unique(own, (p) => p.name, [...dp, 'points'], 'point', add);
  const replaced = new Set(own.map((p) => p.name));
  for (const point of kind?.points ?? []) {
    if (!replaced.has(point.name)) placed.push({ point, path: [...dp, 'kind'], origin: kind?.id ?? '' });
  }
  for (const p of placed) {
    if (p.origin !== 'device') continue;
    for (const i of checkPoint(p, modbus)) add(i.path, i.message);
  }
  for (const i of checkOverlaps(placed)) add(i.path, i.message);
}

function checkScenario(
  s: Scenario,
  cityIds: Set<string>,
  kinds: ReadonlyMap<string, Kind>,
  add: (path: PathSegment[], message: string) => void,
): void {
  s.industries.forEach((mix, i) => {
    const p: PathSegment[] = ['scenario', 'industries', i];
    for (const c of Object.keys(mix.cities))
      if (!cityIds.has(c)) add([...p, 'cities', c], unknownRef('city', c, cityIds));
    for (const k of Object.keys(mix.kinds))
      if (!kinds.has(k)) add([...p, 'kinds', k], unknownRef('kind', k, kinds.keys()));
    if (!Object.values(mix.cities).some((w) => w > 0))
      add([...p, 'cities'], 'expected at least one city weight > 0');
    if (!Object.values(mix.kinds).some((w) => w > 0))
      add([...p, 'kinds'], 'expected at least one kind weight > 0');
  });
}

function unique<T>(
  items: readonly T[],
  id: (t: T) => string,
  path: PathSegment[],
  what: string,
  add: (path: PathSegment[], message: string) => void,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const key = id(item);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else {
      const field = what === 'point' ? 'name' : 'id';
      add([...path, i, field], `duplicate ${what} ${field} "${key}" (first at index ${first})`);
    }
  });
}

function unknownRef(what: string, value: string, known: Iterable<string>): string {
  const list = [...known];
  const hint = suggest(value, list);
  const shown = list.length <= 12 ? `; known: ${list.join(', ')}` : '';
  return `unknown ${what} "${value}"${hint ? ` (did you mean "${hint}"?)` : shown}`;
}
