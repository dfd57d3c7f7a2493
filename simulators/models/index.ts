/** The behaviour-model registry: one model per device kind (config/kinds), keyed by kind id. */
import { cncMachiningCentre, hydraulicPress, injectionMouldingMachine } from './equipment.ts';
import { faultCodes } from './machine.ts';
import { pharmaReactor, tabletPress } from './pharma.ts';
import { PROFILES } from './profiles.ts';
import { reheatingFurnace, rollingMillStand } from './steel.ts';
import type { BehaviourModel } from './types.ts';
import { airCompressor, conveyor, manualEquipment, powerMeter } from './utilities.ts';

export type { BehaviourModel, MachineCore, Value } from './types.ts';
export { forceFault } from './machine.ts';
export { PROFILES };

// Each model is typed by its own state; the map holds them by the common contract (sound:
// a state only ever goes back to the model that made it).
export const MODELS: ReadonlyMap<string, BehaviourModel> = new Map<string, BehaviourModel>(
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
  ].map((m: BehaviourModel) => [m.kind, m]),
);

export function modelFor(kind: string): BehaviourModel {
  const model = MODELS.get(kind);
  if (!model) {
    throw new Error(`no behaviour model for device kind '${kind}' (known: ${[...MODELS.keys()].join(', ')})`);
  }
  return model;
}

/** The fault codes a kind's machine can raise (for the fault injector and alarm texts). */
export function faultCodesFor(kind: string): number[] {
  const profile = PROFILES.get(kind);
  if (!profile) throw new Error(`no machine profile for device kind '${kind}'`);
  return faultCodes(profile);
}
