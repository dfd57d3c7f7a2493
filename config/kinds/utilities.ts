/** Plant utilities and materials handling: air compressor, conveyor, power meter, manual equipment. */
import { defineKind } from './define.ts';

const RUN_HOURS = { name: 'run_hours', type: 'uint32', unit: 'h', scale: 0.01 } as const;

export const airCompressor = defineKind({
  id: 'air-compressor',
  zh: '空气压缩机',
  en: 'Air compressor',
  digital: true,
  flags: [{ name: 'loaded', type: 'bool', description: 'Compressor is loaded (delivering air)' }],
  signals: [
    { name: 'discharge_pressure', type: 'float32', unit: 'bar', range: [0, 13] },
    { name: 'discharge_temp', type: 'float32', unit: '°C', range: [0, 120] },
    { name: 'motor_current', type: 'float32', unit: 'A', range: [0, 500] },
    { name: 'motor_power', type: 'float32', unit: 'kW', range: [0, 250] },
  ],
  counters: [
    { name: 'starts', type: 'uint32' },
    { name: 'load_hours', type: 'uint32', unit: 'h', scale: 0.01 },
    RUN_HOURS,
  ],
  setpoints: [{ name: 'pressure_sp', type: 'float32', unit: 'bar', range: [5, 10] }],
});

export const conveyor = defineKind({
  id: 'conveyor',
  zh: '输送机',
  en: 'Conveyor',
  digital: true,
  signals: [
    { name: 'belt_speed', type: 'float32', unit: 'm/s', range: [0, 5] },
    { name: 'motor_current', type: 'float32', unit: 'A', range: [0, 200] },
    { name: 'load', type: 'uint16', unit: '%', range: [0, 120] },
  ],
  counters: [{ name: 'items', type: 'uint32' }, RUN_HOURS],
  setpoints: [{ name: 'belt_speed_sp', type: 'float32', unit: 'm/s', range: [0, 5] }],
});

/** A three-phase energy meter; like many meters it sends floats word-swapped (CDAB). */
export const powerMeter = defineKind({
  id: 'power-meter',
  zh: '电能表',
  en: 'Power meter',
  digital: true,
  signals: [
    { name: 'voltage_a', type: 'float32', unit: 'V', range: [0, 500], order: 'CDAB' },
    { name: 'voltage_b', type: 'float32', unit: 'V', range: [0, 500], order: 'CDAB' },
    { name: 'voltage_c', type: 'float32', unit: 'V', range: [0, 500], order: 'CDAB' },
    { name: 'current_a', type: 'float32', unit: 'A', range: [0, 2000], order: 'CDAB' },
    { name: 'current_b', type: 'float32', unit: 'A', range: [0, 2000], order: 'CDAB' },
    { name: 'current_c', type: 'float32', unit: 'A', range: [0, 2000], order: 'CDAB' },
    { name: 'active_power', type: 'float32', unit: 'kW', range: [0, 2000], order: 'CDAB' },
    { name: 'power_factor', type: 'int16', range: [-1, 1], scale: 0.001 },
    { name: 'frequency', type: 'uint16', unit: 'Hz', range: [45, 55], scale: 0.01 },
  ],
  counters: [{ name: 'energy_import', type: 'uint64', unit: 'kWh', scale: 0.01, order: 'CDAB' }],
});

/** Non-digital ledger equipment (no data interface): counts in 设备联网率's denominator only. */
export const manualEquipment = defineKind({
  id: 'manual-equipment',
  zh: '非数字化设备',
  en: 'Manual / non-digital equipment',
  digital: false,
});
