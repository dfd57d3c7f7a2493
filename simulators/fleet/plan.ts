/**
 * Which virtual edge nodes a plant becomes, pure: every *connected* ledger device (connectivity
 * other than 'none') is published by one edge node of its enterprise — group = enterprise id,
 * device id = ledger id — and never-networked devices are left out, as they are in a real
 * province. One node per enterprise by default, or nodes of at most `nodeSize` devices.
 */
import { KINDS } from '../../config/kinds/index.ts';
import type { Plant, ResolvedDevice } from '../../config/load/resolve.ts';
import type { Point } from '../../config/model/point.ts';
import { sparkplugTypeOf, type SparkplugTypeCode } from '../../wire/sparkplug/index.ts';
import { MODELS } from '../models/index.ts';

/** Aliases 1–99 are the node's own metrics (as the gateway's: gateway/north/point-table.ts). */
export const ALIAS_BASE = 100;

export interface MetricDef {
  name: string;
  datatype: SparkplugTypeCode;
}

export interface DevicePlan {
  /** Ledger id = Sparkplug device id. */
  id: string;
  kind: string;
  /** Metrics the behaviour model provides, in the kind's point order (shared per point list). */
  metrics: readonly MetricDef[];
  /** Alias of metrics[i] is aliasBase + i: unique across the node, as the spec asks. */
  aliasBase: number;
}

export interface NodePlan {
  /** Sparkplug group = enterprise id. */
  group: string;
  node: string;
  devices: DevicePlan[];
}

export interface FleetPlan {
  nodes: NodePlan[];
  /** Every ledger device of the plant, networked or not. */
  ledgerDevices: number;
  /** Devices the fleet publishes. */
  devices: number;
}

export interface PlanOptions {
  /** At most this many devices per edge node; default: one node per enterprise. */
  nodeSize?: number;
}

// Devices of one kind share their point array (config/load/resolve.ts mergePoints): one
// metric list per array, not one per device — 50,000 devices hold a dozen lists.
const defsByPoints = new WeakMap<readonly Point[], readonly MetricDef[]>();

function metricDefs(d: ResolvedDevice): readonly MetricDef[] {
  let defs = defsByPoints.get(d.points);
  if (defs) return defs;
  const modelled = new Set(KINDS.get(d.kind)?.points.map((p) => p.name));
  defs = d.points
    .filter((p) => modelled.has(p.name))
    .map((p) => {
      const m = p.modbus;
      const scaled = m !== undefined && (m.scale !== 1 || m.offset !== 0);
      return { name: p.name, datatype: sparkplugTypeOf(p.type, scaled) };
    });
  defsByPoints.set(d.points, defs);
  return defs;
}

export function planFleet(plant: Pick<Plant, 'enterprises'>, o: PlanOptions = {}): FleetPlan {
  const size = o.nodeSize ?? Infinity;
  if (!(size >= 1)) throw new RangeError(`nodeSize must be ≥ 1, got ${o.nodeSize}`);
  const nodes: NodePlan[] = [];
  let ledgerDevices = 0;
  let devices = 0;
  for (const e of plant.enterprises) {
    let node: NodePlan | undefined;
    let count = 0;
    let alias = ALIAS_BASE;
    for (const line of e.lines) {
      for (const d of line.devices) {
        ledgerDevices++;
        if (d.connectivity.type === 'none') continue;
        if (!MODELS.has(d.kind)) throw new Error(`no behaviour model for kind '${d.kind}' (${e.id}/${d.id})`);
        if (!node || node.devices.length >= size) {
          node = { group: e.id, node: `gw-${++count}`, devices: [] };
          nodes.push(node);
          alias = ALIAS_BASE;
        }
        const metrics = metricDefs(d);
        node.devices.push({ id: d.id, kind: d.kind, metrics, aliasBase: alias });
        alias += metrics.length;
        devices++;
      }
    }
  }
  return { nodes, ledgerDevices, devices };
}
