/** Steel: reheating furnace and rolling-mill stand. */
import { defineKind } from './define.ts';

const RUN_HOURS = { name: 'run_hours', type: 'uint32', unit: 'h', scale: 0.01 } as const;

export const reheatingFurnace = defineKind({
  id: 'reheating-furnace',
  zh: '加热炉',
  en: 'Reheating furnace',
  digital: true,
  flags: [{ name: 'burners_on', type: 'bool' }],
  signals: [
    { name: 'preheat_temp', type: 'float32', unit: '°C', range: [0, 1400] },
    { name: 'heating_temp', type: 'float32', unit: '°C', range: [0, 1400] },
    { name: 'soak_temp', type: 'float32', unit: '°C', range: [0, 1400] },
    { name: 'gas_flow', type: 'float32', unit: 'm³/h', range: [0, 30000] },
    { name: 'air_flow', type: 'float32', unit: 'm³/h', range: [0, 300000] },
    { name: 'furnace_pressure', type: 'int16', unit: 'Pa', range: [-100, 100], scale: 0.1 },
    { name: 'o2', type: 'uint16', unit: '%', range: [0, 21], scale: 0.01 },
  ],
  counters: [
    { name: 'slabs_charged', type: 'uint32' },
    RUN_HOURS,
    { name: 'gas_total', type: 'float64', unit: 'm³' },
  ],
  setpoints: [{ name: 'soak_temp_sp', type: 'float32', unit: '°C', range: [900, 1300] }],
});

export const rollingMillStand = defineKind({
  id: 'rolling-mill-stand',
  zh: '轧机机架',
  en: 'Rolling mill stand',
  digital: true,
  signals: [
    { name: 'roll_speed', type: 'float32', unit: 'm/s', range: [0, 25] },
    { name: 'motor_current', type: 'float32', unit: 'A', range: [0, 6000] },
    { name: 'roll_force', type: 'float32', unit: 'kN', range: [0, 40000] },
    { name: 'roll_gap', type: 'float32', unit: 'mm', range: [0, 80] },
    { name: 'strip_temp', type: 'float32', unit: '°C', range: [0, 1300] },
  ],
  counters: [{ name: 'coils_rolled', type: 'uint32' }, RUN_HOURS],
  setpoints: [{ name: 'roll_speed_sp', type: 'float32', unit: 'm/s', range: [0, 25] }],
});
