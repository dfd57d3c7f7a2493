/**
 * Sparkplug metrics → store samples. Pure: the alias table of the birth gives names and
 * datatypes (DATA carries aliases only and no datatype, so values are coerced with the
 * birth's type: Int8..Int32 travel as unsigned 32-bit and need it to come back negative).
 */
import {
  BD_SEQ,
  coerceValue,
  isDataSet,
  isTemplate,
  type Metric,
  type MetricValue,
} from '../../wire/sparkplug/index.ts';
import type { Sample, SampleValue } from '../store/types.ts';

export interface MetricDef {
  name: string;
  datatype: number;
}

/** name/alias → definition, as declared in one NBIRTH or DBIRTH. */
export class AliasTable {
  readonly byAlias = new Map<number, MetricDef>();
  readonly byName = new Map<string, MetricDef>();

  static fromBirth(metrics: readonly Metric[]): AliasTable {
    const t = new AliasTable();
    for (const m of metrics) {
      if (m.name === undefined || m.datatype === undefined) continue;
      const def = { name: m.name, datatype: m.datatype };
      t.byName.set(m.name, def);
      if (m.alias !== undefined) t.byAlias.set(Number(m.alias), def);
    }
    return t;
  }

  resolve(m: Metric): MetricDef | undefined {
    if (m.name !== undefined) {
      const def = this.byName.get(m.name);
      if (def) return def;
      return m.datatype === undefined ? undefined : { name: m.name, datatype: m.datatype };
    }
    return m.alias === undefined ? undefined : this.byAlias.get(Number(m.alias));
  }
}

/** Why a metric of an accepted message was not turned into a sample. */
export type DropReason = 'unknown_alias' | 'unsupported_type' | 'bad_timestamp' | 'future_timestamp';

export interface Converted {
  samples: Sample[];
  dropped: Partial<Record<DropReason, number>>;
  /** Some metric referred to an alias the birth did not declare. */
  unknownAlias: boolean;
}

export interface Where {
  enterprise: string;
  node: string;
  device: string;
  /** Payload timestamp, used when a metric has none. */
  payloadTime: number | undefined;
  /** Arrival time, the last fallback and the reference for the future-skew check. */
  now: number;
  maxFutureMs: number;
}

/** Metrics the session layer handles and the store does not need. */
const isControl = (name: string): boolean => name === BD_SEQ || name.startsWith('Node Control/');

/** OPC UA / Sparkplug quality property (192 = Good); absent means good. */
function qualityGood(m: Metric): boolean {
  const q = m.properties?.Quality?.value;
  return typeof q === 'number' ? q === 192 : true;
}

function scalar(v: MetricValue | undefined): SampleValue | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  if (v instanceof Uint8Array || isDataSet(v) || isTemplate(v)) return undefined;
  return undefined;
}

const MIN_TIME = Date.UTC(2000, 0, 1);

export function toSamples(metrics: readonly Metric[], table: AliasTable | undefined, w: Where): Converted {
  const out: Converted = { samples: [], dropped: {}, unknownAlias: false };
  const drop = (r: DropReason) => (out.dropped[r] = (out.dropped[r] ?? 0) + 1);
  for (const m of metrics) {
    const def =
      table?.resolve(m) ?? (m.name !== undefined && m.datatype !== undefined ? (m as MetricDef) : undefined);
    if (!def) {
      if (m.name !== undefined && isControl(m.name)) continue;
      if (m.name === undefined) out.unknownAlias = true;
      drop('unknown_alias');
      continue;
    }
    if (isControl(def.name)) continue;
    const time = m.timestamp ?? w.payloadTime ?? w.now;
    if (!Number.isSafeInteger(time) || time < MIN_TIME) {
      drop('bad_timestamp');
      continue;
    }
    if (time > w.now + w.maxFutureMs) {
      drop('future_timestamp');
      continue;
    }
    let raw: MetricValue | undefined;
    try {
      raw = m.isNull === true ? null : coerceValue(m, def.datatype);
    } catch {
      drop('unsupported_type');
      continue;
    }
    const value = scalar(raw);
    if (value === undefined) {
      drop('unsupported_type');
      continue;
    }
    const good = value !== null && qualityGood(m);
    out.samples.push({
      enterprise: w.enterprise,
      node: w.node,
      device: w.device,
      metric: def.name,
      time,
      value: good ? value : null,
      good,
      historical: m.isHistorical === true,
    });
  }
  return out;
}
