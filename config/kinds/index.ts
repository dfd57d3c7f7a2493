/** The registry of device kinds: adding a kind = one definition + one line here. */
import type { Kind } from './define.ts';
import { cncMachiningCentre, hydraulicPress, injectionMouldingMachine } from './equipment.ts';
import { pharmaReactor, tabletPress } from './pharma.ts';
import { reheatingFurnace, rollingMillStand } from './steel.ts';
import { airCompressor, conveyor, manualEquipment, powerMeter } from './utilities.ts';

export type { Kind, MachineState } from './define.ts';
export { MACHINE_STATES } from './define.ts';

export const KINDS: ReadonlyMap<string, Kind> = new Map(
  [
    reheatingFurnace,
    rollingMillStand,
    hydraulicPress,
    cncMachiningCentre,
    injectionMouldingMachine,
    airCompressor,
    conveyor,
    pharmaReactor,
    tabletPress,
    powerMeter,
    manualEquipment,
  ].map((k) => [k.id, k]),
);
