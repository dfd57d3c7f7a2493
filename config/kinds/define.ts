/**
 * Builds a device kind's default point map from a compact description. Every kind
 * shares one header so SCADA screens and the cloud can rely on it:
 *   discrete 0 running, 1 alarm, then kind flags;  coil 0 enable, 1 fault_reset;
 *   input 0 state (MACHINE_STATES index), 1 fault_code, then signals, then counters;
 *   holding: setpoints from 0.
 * Addresses are assigned in declaration order, so maps never overlap by construction.
 */
import { type DataType, type Order, registerWidth, type Table } from '../../wire/modbus/datatypes.ts';
import { type Point, type PointInput, Point as PointSchema } from '../model/point.ts';

/** Machine states; the Modbus `state` register holds the index. */
export const MACHINE_STATES = ['off', 'idle', 'setup', 'running', 'fault', 'maintenance'] as const;
export type MachineState = (typeof MACHINE_STATES)[number];

export interface Signal {
  name: string;
  type: DataType;
  unit?: string;
  range?: [number, number];
  description?: string;
  order?: Order;
  scale?: number;
  offset?: number;
  length?: number;
}

export interface KindDefinition {
  id: string;
  zh: string;
  en: string;
  /** Digital equipment per GB/T 23020 Annex A unless a ledger entry says otherwise. */
  digital: boolean;
  flags?: Signal[];
  signals?: Signal[];
  counters?: Signal[];
  setpoints?: Signal[];
}

export interface Kind {
  id: string;
  title: { zh: string; en: string };
  digital: boolean;
  points: Point[];
}

const HEADER_BITS: Signal[] = [
  { name: 'running', type: 'bool', description: 'Machine is producing' },
  { name: 'alarm', type: 'bool', description: 'A fault is active' },
];
const HEADER_COILS: Signal[] = [
  { name: 'enable', type: 'bool', description: 'Write 1 to start, 0 to stop' },
  { name: 'fault_reset', type: 'bool', description: 'Write 1 to clear a fault' },
];
const HEADER_REGISTERS: Signal[] = [
  { name: 'state', type: 'uint16', description: `0..5 = ${MACHINE_STATES.join(', ')}` },
  { name: 'fault_code', type: 'uint16', description: '0 = no fault' },
];

export function defineKind(def: KindDefinition): Kind {
  const next: Record<Table, number> = { coil: 0, discrete: 0, input: 0, holding: 0 };
  const points: PointInput[] = [];
  const place = (signals: Signal[], table: Table, access: 'read' | 'readwrite') => {
    for (const s of signals) {
      const { order, scale, offset, ...rest } = s;
      points.push({
        ...rest,
        access,
        modbus: { table, address: next[table], order, scale, offset },
      });
      next[table] += table === 'coil' || table === 'discrete' ? 1 : registerWidth(s.type, s.length);
    }
  };
  place([...HEADER_BITS, ...(def.flags ?? [])], 'discrete', 'read');
  place(HEADER_COILS, 'coil', 'readwrite');
  place([...HEADER_REGISTERS, ...(def.signals ?? []), ...(def.counters ?? [])], 'input', 'read');
  place(def.setpoints ?? [], 'holding', 'readwrite');
  return {
    id: def.id,
    title: { zh: def.zh, en: def.en },
    digital: def.digital,
    points: points.map((p) => PointSchema.parse(p)),
  };
}
