/** Pharma: batch reactor and rotary tablet press. */
import { defineKind } from './define.ts';

const RUN_HOURS = { name: 'run_hours', type: 'uint32', unit: 'h', scale: 0.01 } as const;

export const pharmaReactor = defineKind({
  id: 'pharma-reactor',
  zh: '反应釜',
  en: 'Pharmaceutical reactor',
  digital: true,
  signals: [
    { name: 'batch_temp', type: 'float32', unit: '°C', range: [-20, 150] },
    { name: 'jacket_temp', type: 'float32', unit: '°C', range: [-30, 180] },
    { name: 'pressure', type: 'float32', unit: 'kPa', range: [-100, 600] },
    { name: 'agitator_speed', type: 'float32', unit: 'rpm', range: [0, 300] },
    { name: 'ph', type: 'uint16', range: [0, 14], scale: 0.01 },
    { name: 'level', type: 'float32', unit: '%', range: [0, 100] },
    { name: 'batch_id', type: 'string', length: 12 },
  ],
  counters: [{ name: 'batches', type: 'uint32' }, RUN_HOURS],
  setpoints: [{ name: 'batch_temp_sp', type: 'float32', unit: '°C', range: [0, 120] }],
});

export const tabletPress = defineKind({
  id: 'tablet-press',
  zh: '压片机',
  en: 'Tablet press',
  digital: true,
  signals: [
    { name: 'turret_speed', type: 'float32', unit: 'rpm', range: [0, 120] },
    { name: 'compression_force', type: 'float32', unit: 'kN', range: [0, 100] },
    { name: 'tablet_weight', type: 'float32', unit: 'mg', range: [0, 1500] },
  ],
  counters: [{ name: 'tablets', type: 'uint64' }, { name: 'rejects', type: 'uint32' }, RUN_HOURS],
  setpoints: [{ name: 'turret_speed_sp', type: 'float32', unit: 'rpm', range: [10, 110] }],
});
