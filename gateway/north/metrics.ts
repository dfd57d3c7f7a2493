/** Sparkplug metrics from readings and point metadata: pure helpers of the edge node. */
import {
  BD_SEQ,
  encodePayload,
  type Metric,
  NODE_CONTROL_REBIRTH,
  SparkplugType,
} from '../../wire/sparkplug/index.ts';
import type { PointMeta, Reading } from './types.ts';

/**
 * A reading as a metric: source timestamp, datatype, alias and/or name, null when bad. Built field by
 * field (no spreads of temporary objects): this runs once per point per poll.
 */
export function toMetric(r: Reading, datatype: number, alias: number | undefined, withName: boolean): Metric {
  const m: Metric = { timestamp: r.time, datatype };
  if (withName) m.name = r.point;
  if (alias !== undefined) m.alias = alias;
  if (r.good && r.value !== null) m.value = coerce(r.value, datatype);
  else {
    m.isNull = true;
    m.value = null;
  }
  return m;
}

/** Birth properties for SCADA clients: engineering unit and range (Ignition's names). */
export function birthProperties(p: PointMeta): Metric['properties'] | undefined {
  const properties: NonNullable<Metric['properties']> = {};
  if (p.unit) properties.engUnit = { type: SparkplugType.String, value: p.unit };
  if (p.range) {
    properties.engLow = { type: SparkplugType.Double, value: p.range[0] };
    properties.engHigh = { type: SparkplugType.Double, value: p.range[1] };
  }
  return Object.keys(properties).length ? properties : undefined;
}

/** Engineering value → the JS type the Sparkplug datatype needs. */
export function coerce(v: NonNullable<Reading['value']>, datatype: number): Metric['value'] {
  if (datatype === SparkplugType.Int64 || datatype === SparkplugType.UInt64) {
    return typeof v === 'bigint' ? v : BigInt(Math.round(Number(v)));
  }
  if (typeof v === 'bigint') return Number(v);
  return v;
}

/** NBIRTH metrics: bdSeq, the rebirth control, and the disk queue's size (aliases 1 and 2). */
export function nodeBirthMetrics(bdSeq: number, queue: { entries: number; bytes: number }): Metric[] {
  const timestamp = Date.now();
  return [
    { name: BD_SEQ, datatype: SparkplugType.UInt64, value: BigInt(bdSeq), timestamp },
    { name: NODE_CONTROL_REBIRTH, datatype: SparkplugType.Boolean, value: false, timestamp },
    {
      name: 'Buffer/Entries',
      alias: 1,
      datatype: SparkplugType.UInt64,
      value: BigInt(queue.entries),
      timestamp,
    },
    { name: 'Buffer/Bytes', alias: 2, datatype: SparkplugType.UInt64, value: BigInt(queue.bytes), timestamp },
  ];
}

/** NDEATH (and the Will): only the birth/death sequence number. */
export function deathPayload(bdSeq: number): Buffer {
  return Buffer.from(
    encodePayload({
      timestamp: Date.now(),
      metrics: [{ name: BD_SEQ, datatype: SparkplugType.UInt64, value: BigInt(bdSeq) }],
    }),
  );
}
