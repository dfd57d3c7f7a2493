/** The resolved plant: a validated ledger with each device's full point map. */
import type { Kind } from '../kinds/define.ts';
import type { Industry } from '../model/common.ts';
import type { Connectivity } from '../model/connectivity.ts';
import type { FaultEvent } from '../model/faults.ts';
import type { Device, Enterprise, Region } from '../model/plant.ts';
import type { Point } from '../model/point.ts';

export interface ResolvedDevice {
  id: string;
  name?: string;
  kind: string;
  digital: boolean;
  keyProcess: boolean;
  connectivity: Connectivity;
  /** The kind's defaults merged with the device's own points (same name replaces). */
  points: readonly Point[];
  enterprise: string;
  line: string;
}

export interface ResolvedLine {
  id: string;
  name?: string;
  devices: ResolvedDevice[];
}

export interface ResolvedEnterprise {
  id: string;
  name: string;
  city: string;
  industry: Industry;
  leading: boolean;
  lines: ResolvedLine[];
}

export interface Plant {
  file: string;
  region: Region;
  enterprises: ResolvedEnterprise[];
  /** The simulators' fault timeline, if the file has one. */
  faults: FaultEvent[];
}

/** Merges kind defaults with the device's own points; shares the kind's array when unchanged. */
export function mergePoints(kind: Kind | undefined, own: readonly Point[] | undefined): readonly Point[] {
  const defaults = kind?.points ?? [];
  if (!own?.length) return defaults;
  const replaced = new Set(own.map((p) => p.name));
  return [...defaults.filter((p) => !replaced.has(p.name)), ...own];
}

export function resolveEnterprise(e: Enterprise, kinds: ReadonlyMap<string, Kind>): ResolvedEnterprise {
  return {
    ...e,
    lines: e.lines.map((l) => ({
      ...l,
      devices: l.devices.map((d: Device): ResolvedDevice => {
        const kind = kinds.get(d.kind);
        return {
          id: d.id,
          ...(d.name === undefined ? {} : { name: d.name }),
          kind: d.kind,
          digital: d.digital ?? kind?.digital ?? true,
          keyProcess: d.keyProcess,
          connectivity: d.connectivity,
          points: mergePoints(kind, d.points),
          enterprise: e.id,
          line: l.id,
        };
      }),
    })),
  };
}

/** Every ledger device of the plant, in file order. */
export function* ledgerDevices(plant: Plant): Generator<ResolvedDevice> {
  for (const e of plant.enterprises) for (const l of e.lines) yield* l.devices;
}

/**
 * The OPC UA node id of a point: its own `opcua.nodeId`, else the simulator's convention
 * `ns=1;s=<enterprise>/<line>/<device>/<point>` (ns=1 = the server's own namespace).
 */
export function opcuaNodeId(device: ResolvedDevice, point: Point): string {
  return point.opcua?.nodeId ?? `ns=1;s=${device.enterprise}/${device.line}/${device.id}/${point.name}`;
}

/**
 * Finds a device by "<enterprise>/<device>" or by a bare device id that is unique in the plant.
 * Returns an error message when there is no such device or the id is ambiguous.
 */
export function findDevice(plant: Pick<Plant, 'enterprises'>, ref: string): ResolvedDevice | string {
  const [ent, id] = ref.includes('/') ? ref.split('/', 2) : [undefined, ref];
  const found: ResolvedDevice[] = [];
  for (const e of plant.enterprises) {
    if (ent !== undefined && e.id !== ent) continue;
    for (const l of e.lines) for (const d of l.devices) if (d.id === id) found.push(d);
  }
  if (found.length === 1 && found[0]) return found[0];
  if (!found.length) return `no device "${ref}" in the plant`;
  return `device id "${ref}" is ambiguous (${found.map((d) => `${d.enterprise}/${d.id}`).join(', ')}): write <enterprise>/<device>`;
}
