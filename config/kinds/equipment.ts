/** Equipment manufacturing: hydraulic press, CNC machining centre, injection moulding machine. */
import { defineKind } from './define.ts';

const RUN_HOURS = { name: 'run_hours', type: 'uint32', unit: 'h', scale: 0.01 } as const;

export const hydraulicPress = defineKind({
  id: 'hydraulic-press',
  zh: '液压机',
  en: 'Hydraulic press',
  digital: true,
  signals: [
    { name: 'oil_pressure', type: 'float32', unit: 'MPa', range: [0, 35] },
    { name: 'oil_temp', type: 'int16', unit: '°C', range: [0, 90], scale: 0.1 },
    { name: 'ram_position', type: 'float32', unit: 'mm', range: [0, 1200] },
    { name: 'press_force', type: 'float32', unit: 'kN', range: [0, 20000] },
    { name: 'motor_current', type: 'float32', unit: 'A', range: [0, 400] },
  ],
  counters: [{ name: 'strokes', type: 'uint32' }, { name: 'parts', type: 'uint32' }, RUN_HOURS],
  setpoints: [{ name: 'pressure_sp', type: 'float32', unit: 'MPa', range: [5, 32] }],
});

export const cncMachiningCentre = defineKind({
  id: 'cnc-machining-centre',
  zh: '数控加工中心',
  en: 'CNC machining centre',
  digital: true,
  signals: [
    { name: 'spindle_speed', type: 'float32', unit: 'rpm', range: [0, 24000] },
    { name: 'spindle_load', type: 'uint16', unit: '%', range: [0, 150] },
    { name: 'feed_rate', type: 'float32', unit: 'mm/min', range: [0, 30000] },
    { name: 'coolant_temp', type: 'int16', unit: '°C', range: [0, 60], scale: 0.1 },
    { name: 'tool_number', type: 'uint16', range: [0, 60] },
    { name: 'program', type: 'string', length: 16, description: 'Active NC program' },
    { name: 'cycle_time', type: 'float32', unit: 's', range: [0, 3600] },
  ],
  counters: [{ name: 'parts', type: 'uint32' }, RUN_HOURS],
  setpoints: [{ name: 'feed_override', type: 'uint16', unit: '%', range: [0, 150] }],
});

export const injectionMouldingMachine = defineKind({
  id: 'injection-moulding-machine',
  zh: '注塑机',
  en: 'Injection moulding machine',
  digital: true,
  signals: [
    { name: 'barrel_temp', type: 'float32', unit: '°C', range: [0, 350] },
    { name: 'mould_temp', type: 'float32', unit: '°C', range: [0, 150] },
    { name: 'injection_pressure', type: 'float32', unit: 'MPa', range: [0, 250] },
    { name: 'clamp_force', type: 'float32', unit: 'kN', range: [0, 10000] },
    { name: 'cycle_time', type: 'float32', unit: 's', range: [0, 300] },
  ],
  counters: [{ name: 'shots', type: 'uint32' }, { name: 'good_parts', type: 'uint32' }, RUN_HOURS],
  setpoints: [{ name: 'barrel_temp_sp', type: 'float32', unit: '°C', range: [150, 320] }],
});
