/**
 * Metric ⇄ wire Metric, with its property set, metadata, and DataSet/Template values. Pure
 * functions used by payload.ts; errors carry no position (the payload layer adds it).
 */
import { SparkplugType as T, sparkplugTypeName } from './datatypes.ts';
import { SparkplugDecodeError } from './errors.ts';
import {
  fromU64,
  isU64,
  own,
  toU64,
  u64ToSafeNumber,
  type WireDataSet,
  type WireMetaData,
  type WireMetric,
  type WirePropertySet,
  type WirePropertyValue,
  type WireTemplate,
  type WireU64,
} from './proto.ts';
import { coerceScalar, decodeRaw, encodeScalar, type RawValue, type Scalar } from './values.ts';

export type { Scalar } from './values.ts';

/** A value of a property (PropertyValue): scalars, or nested sets for types 20 and 21. */
export interface PropertyValue {
  type: number;
  value?: Scalar | PropertySet | PropertySet[] | null;
}
/** A metric's properties by key (e.g. Quality: { type: Int32, value: 192 }). */
export type PropertySet = Record<string, PropertyValue>;

export interface MetaData {
  isMultiPart?: boolean;
  contentType?: string;
  size?: number | bigint;
  seq?: number | bigint;
  fileName?: string;
  fileType?: string;
  md5?: string;
  description?: string;
}

export type DataSetCell = Scalar | null;
/** A typed table: `types[i]` is the datatype of column `columns[i]`. */
export interface DataSet {
  numOfColumns?: number;
  columns: string[];
  types: number[];
  rows: DataSetCell[][];
}

export interface TemplateParameter {
  name?: string;
  type?: number;
  value?: Scalar | null;
}
/** A user-defined type: a definition (NBIRTH) or an instance referring to one. */
export interface Template {
  version?: string;
  templateRef?: string;
  isDefinition?: boolean;
  metrics: Metric[];
  parameters?: TemplateParameter[];
}

export type MetricValue = Scalar | Uint8Array | DataSet | Template | null;

export interface Metric {
  name?: string;
  /** Decoded as a number when ≤ 2^53 − 1, else a bigint. */
  alias?: number | bigint;
  /** Milliseconds since the epoch, UTC. */
  timestamp?: number;
  /** A SparkplugType code; absent in DATA/CMD messages that use aliases. */
  datatype?: number;
  isHistorical?: boolean;
  isTransient?: boolean;
  isNull?: boolean;
  metadata?: MetaData;
  properties?: PropertySet;
  /** null ⇔ is_null. Without a datatype (DATA), the raw value of the field that was set. */
  value?: MetricValue;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
export const isDataSet = (v: unknown): v is DataSet => isRecord(v) && Array.isArray(v.rows);
export const isTemplate = (v: unknown): v is Template => isRecord(v) && Array.isArray(v.metrics);

// ---------------------------------------------------------------------------------- encode

/** A non-negative integer for a uint64 field: a safe number, or any bigint in range. */
export function u64Field(v: number | bigint, what: string): WireU64 {
  if (typeof v === 'bigint' ? isU64(v) : Number.isSafeInteger(v) && v >= 0) return toU64(v);
  throw new RangeError(`${what} must be an integer in 0..2^64−1 (safe if a number), got ${String(v)}`);
}

function encodePropertySet(set: PropertySet): WirePropertySet {
  const keys = Object.keys(set);
  return { keys, values: keys.map((k) => encodePropertyValue(set[k] as PropertyValue, k)) };
}

function encodePropertyValue(p: PropertyValue, key: string): WirePropertyValue {
  const w: WirePropertyValue = { type: p.type };
  const v = p.value;
  if (v === null) w.isNull = true;
  else if (v === undefined) return w;
  else if (p.type === T.PropertySet) {
    if (!isRecord(v)) throw new TypeError(`property ${key}: PropertySet needs an object`);
    w.propertysetValue = encodePropertySet(v);
  } else if (p.type === T.PropertySetList) {
    if (!Array.isArray(v)) throw new TypeError(`property ${key}: PropertySetList needs an array`);
    w.propertysetsValue = { propertyset: v.map(encodePropertySet) };
  } else {
    const s = encodeScalar(p.type, v);
    if (s.bytesValue)
      throw new TypeError(`property ${key}: ${sparkplugTypeName(p.type)} is not a property type`);
    Object.assign(w, s);
  }
  return w;
}

function encodeMetaData({ size, seq, ...rest }: MetaData): WireMetaData {
  const w: WireMetaData = { ...rest };
  if (size !== undefined) w.size = u64Field(size, 'metadata.size');
  if (seq !== undefined) w.seq = u64Field(seq, 'metadata.seq');
  return w;
}

function encodeDataSet(d: DataSet): WireDataSet {
  return {
    numOfColumns: u64Field(d.numOfColumns ?? d.types.length, 'numOfColumns'),
    columns: d.columns,
    types: d.types,
    rows: d.rows.map((row) => ({
      elements: row.map((cell, i) => {
        if (cell === null) return {};
        const type = d.types[i];
        if (type === undefined) throw new TypeError(`data set cell ${i} has no column type`);
        return encodeScalar(type, cell);
      }),
    })),
  };
}

function encodeTemplate(t: Template): WireTemplate {
  const w: WireTemplate = { metrics: t.metrics.map((m) => encodeMetric(m, false)) };
  if (t.version !== undefined) w.version = t.version;
  if (t.templateRef !== undefined) w.templateRef = t.templateRef;
  if (t.isDefinition !== undefined) w.isDefinition = t.isDefinition;
  if (t.parameters) {
    w.parameters = t.parameters.map((p) => {
      const { value, ...rest } = p;
      if (value === undefined || value === null) return rest;
      if (p.type === undefined) throw new TypeError(`template parameter ${p.name ?? ''} has no type`);
      return { ...rest, ...encodeScalar(p.type, value) };
    });
  }
  return w;
}

/**
 * Metric → wire shape. The value goes into the field its datatype prescribes, so a metric
 * with a value needs a datatype even when `omitDatatype` keeps it off the wire (DATA).
 */
export function encodeMetric(m: Metric, omitDatatype: boolean): WireMetric {
  const w: WireMetric = {};
  if (m.name !== undefined) w.name = m.name;
  if (m.alias !== undefined) w.alias = u64Field(m.alias, 'alias');
  if (m.timestamp !== undefined) w.timestamp = u64Field(m.timestamp, 'timestamp');
  if (m.datatype !== undefined && !omitDatatype) w.datatype = m.datatype;
  if (m.isHistorical !== undefined) w.isHistorical = m.isHistorical;
  if (m.isTransient !== undefined) w.isTransient = m.isTransient;
  if (m.metadata) w.metadata = encodeMetaData(m.metadata);
  if (m.properties) w.properties = encodePropertySet(m.properties);
  const v = m.value;
  if (v === null || m.isNull === true) {
    w.isNull = true;
    return w;
  }
  if (m.isNull === false) w.isNull = false;
  if (v === undefined) return w;
  if (m.datatype === undefined) throw new TypeError('a metric with a value needs a datatype');
  if (m.datatype === T.DataSet) {
    if (!isDataSet(v)) throw new TypeError('DataSet needs { columns, types, rows }');
    w.datasetValue = encodeDataSet(v);
  } else if (m.datatype === T.Template) {
    if (!isTemplate(v)) throw new TypeError('Template needs { metrics }');
    w.templateValue = encodeTemplate(v);
  } else Object.assign(w, encodeScalar(m.datatype, v));
  return w;
}

// ---------------------------------------------------------------------------------- decode

/** A uint64 that must be a safe number (timestamps, sequence numbers). */
export function safeU64(v: WireU64, what: string): number {
  const n = u64ToSafeNumber(v);
  if (n === undefined) throw new SparkplugDecodeError(`${what} ${fromU64(v)} is beyond 2^53`);
  return n;
}

const numberOrBig = (v: WireU64): number | bigint => u64ToSafeNumber(v) ?? fromU64(v);

function decodePropertySet(w: WirePropertySet): PropertySet {
  const keys = w.keys ?? [];
  const values = w.values ?? [];
  if (keys.length !== values.length) {
    throw new SparkplugDecodeError(`property set has ${keys.length} keys but ${values.length} values`);
  }
  // fromEntries defines own properties: a key "__proto__" stays data, not a prototype.
  return Object.fromEntries(keys.map((k, i) => [k, decodePropertyValue(values[i] as WirePropertyValue, k)]));
}

function decodePropertyValue(w: WirePropertyValue, key: string): PropertyValue {
  const type = own(w, 'type') ?? T.Unknown;
  const set = own(w, 'propertysetValue');
  const list = own(w, 'propertysetsValue');
  const nested = (set ? 1 : 0) + (list ? 1 : 0);
  const raw = decodeRaw(w, nested);
  const p: PropertyValue = { type };
  try {
    if (own(w, 'isNull') === true) p.value = null;
    else if (set) {
      if (type !== T.PropertySet) throw mismatch(type, 'property set');
      p.value = decodePropertySet(set);
    } else if (list) {
      if (type !== T.PropertySetList) throw mismatch(type, 'property set list');
      p.value = (list.propertyset ?? []).map(decodePropertySet);
    } else if (raw !== undefined) {
      const v = coerceScalar(type, raw);
      if (v instanceof Uint8Array) throw mismatch(type, 'bytes');
      p.value = v;
    }
  } catch (e) {
    if (e instanceof SparkplugDecodeError) throw new SparkplugDecodeError(`property ${key}: ${e.reason}`);
    throw e;
  }
  return p;
}

const mismatch = (type: number, got: string) =>
  new SparkplugDecodeError(`${sparkplugTypeName(type)} value carried as ${got}`);

function decodeMetaData(w: WireMetaData): MetaData {
  const m: MetaData = {};
  for (const k of ['isMultiPart', 'contentType', 'fileName', 'fileType', 'md5', 'description'] as const) {
    const v = own(w, k);
    if (v !== undefined) (m as Record<string, unknown>)[k] = v;
  }
  const size = own(w, 'size');
  if (size !== undefined) m.size = numberOrBig(size);
  const seq = own(w, 'seq');
  if (seq !== undefined) m.seq = numberOrBig(seq);
  return m;
}

function decodeDataSet(w: WireDataSet): DataSet {
  const types = [...(w.types ?? [])];
  const d: DataSet = {
    columns: [...(w.columns ?? [])],
    types,
    rows: (w.rows ?? []).map((row) =>
      (row.elements ?? []).map((cell, i) => {
        const raw = decodeRaw(cell);
        if (raw === undefined) return null;
        const t = types[i];
        const v = t === undefined ? raw : coerceScalar(t, raw);
        if (v instanceof Uint8Array) throw mismatch(t ?? T.Unknown, 'bytes');
        return v;
      }),
    ),
  };
  const n = own(w, 'numOfColumns');
  if (n !== undefined) d.numOfColumns = safeU64(n, 'numOfColumns');
  return d;
}

function decodeTemplate(w: WireTemplate): Template {
  const t: Template = { metrics: (w.metrics ?? []).map(decodeMetric) };
  const version = own(w, 'version');
  if (version !== undefined) t.version = version;
  const ref = own(w, 'templateRef');
  if (ref !== undefined) t.templateRef = ref;
  const def = own(w, 'isDefinition');
  if (def !== undefined) t.isDefinition = def;
  if (w.parameters?.length) {
    t.parameters = w.parameters.map((wp) => {
      const p: TemplateParameter = {};
      const name = own(wp, 'name');
      if (name !== undefined) p.name = name;
      const type = own(wp, 'type');
      if (type !== undefined) p.type = type;
      const raw = decodeRaw(wp);
      if (raw !== undefined) {
        const v = type === undefined ? raw : coerceScalar(type, raw);
        if (v instanceof Uint8Array) throw mismatch(type ?? T.Unknown, 'bytes');
        p.value = v;
      }
      return p;
    });
  }
  return t;
}

/** Wire Metric → Metric; the value is converted when the metric names its datatype. */
export function decodeMetric(w: WireMetric): Metric {
  const m: Metric = {};
  const name = own(w, 'name');
  if (name !== undefined) m.name = name;
  const alias = own(w, 'alias');
  if (alias !== undefined) m.alias = numberOrBig(alias);
  const timestamp = own(w, 'timestamp');
  if (timestamp !== undefined) m.timestamp = safeU64(timestamp, 'timestamp');
  const datatype = own(w, 'datatype');
  if (datatype !== undefined) m.datatype = datatype;
  const isHistorical = own(w, 'isHistorical');
  if (isHistorical !== undefined) m.isHistorical = isHistorical;
  const isTransient = own(w, 'isTransient');
  if (isTransient !== undefined) m.isTransient = isTransient;
  const isNull = own(w, 'isNull');
  if (isNull !== undefined) m.isNull = isNull;
  const metadata = own(w, 'metadata');
  if (metadata) m.metadata = decodeMetaData(metadata);
  const properties = own(w, 'properties');
  if (properties) m.properties = decodePropertySet(properties);

  const dataset = own(w, 'datasetValue');
  const template = own(w, 'templateValue');
  const raw = decodeRaw(w, (dataset ? 1 : 0) + (template ? 1 : 0));
  let value: MetricValue | undefined = raw;
  if (dataset) value = decodeDataSet(dataset);
  else if (template) value = decodeTemplate(template);
  if (isNull === true) m.value = null;
  else if (value !== undefined) m.value = datatype === undefined ? value : coerceTo(value, datatype);
  return m;
}

function coerceTo(value: Exclude<MetricValue, null>, datatype: number): Exclude<MetricValue, null> {
  const structured = isDataSet(value) ? T.DataSet : isTemplate(value) ? T.Template : undefined;
  if (datatype === T.DataSet || datatype === T.Template || structured !== undefined) {
    if (structured !== datatype)
      throw mismatch(datatype, structured ? sparkplugTypeName(structured) : 'scalar');
    return value;
  }
  return coerceScalar(datatype, value as RawValue);
}

/**
 * A decoded metric's value in the JS type of `datatype` — for DATA messages, whose metrics
 * carry only an alias and a raw value, with the datatype the BIRTH declared for that alias.
 * Returns null for a null metric and undefined for one without a value. Throws
 * SparkplugDecodeError when the value cannot be of that datatype (e.g. a string for Int16).
 */
export function coerceValue(metric: Metric, datatype: number): MetricValue | undefined {
  if (metric.isNull === true || metric.value === null) return null;
  if (metric.value === undefined) return undefined;
  return coerceTo(metric.value, datatype);
}
