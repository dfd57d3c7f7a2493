/**
 * Per-kind machine profiles: dwell times in simulated seconds as [minimum, mean], where each
 * state goes next (relative weights), mean running time between faults, the maintenance
 * interval and the kind's fault codes. The figures are plausible shop-floor orders of
 * magnitude, not measurements: continuous processes (furnace, compressor, meter) run for
 * hours, batch and discrete machines stop for changeovers every hour or two, and faults
 * come every one to three shifts of running.
 */
import type { MachineProfile } from './machine.ts';

const min = 60;
const h = 3600;
const day = 24 * h;

/** Machines that make parts: short idles, changeovers (setup), runs of about an hour. */
const discrete = (
  setupMean: number,
  runMean: number,
  mtbf: number,
  faults: MachineProfile['faults'],
): MachineProfile => ({
  dwell: {
    idle: [1 * min, 8 * min],
    setup: [setupMean / 4, setupMean],
    running: [5 * min, runMean],
    fault: [5 * min, 40 * min],
    maintenance: [1 * h, 3 * h],
  },
  next: { idle: { running: 3, setup: 1 }, setup: { running: 1 }, running: { idle: 3, setup: 1 } },
  mtbf,
  serviceEvery: 160 * h,
  faults,
});

export const PROFILES: ReadonlyMap<string, MachineProfile> = new Map<string, MachineProfile>([
  [
    'reheating-furnace',
    {
      // Runs for hours; stops are mill delays (hold at temperature) and rare setups.
      dwell: {
        idle: [2 * min, 20 * min],
        setup: [20 * min, 1 * h],
        running: [30 * min, 4 * h],
        fault: [15 * min, 1 * h],
        maintenance: [4 * h, 12 * h],
      },
      next: { idle: { running: 9, setup: 1 }, setup: { running: 1 }, running: { idle: 1 } },
      mtbf: 30 * h,
      serviceEvery: 30 * day,
      faults: {
        101: 'burner flame failure',
        102: 'combustion air fan trip',
        103: 'furnace pressure high',
        104: 'walking beam hydraulic fault',
        105: 'zone thermocouple failure',
      },
    },
  ],
  [
    'rolling-mill-stand',
    discrete(30 * min, 45 * min, 10 * h, {
      201: 'main drive overcurrent',
      202: 'hydraulic AGC fault',
      203: 'cobble detected',
      204: 'lube oil pressure low',
      205: 'roll cooling water flow low',
    }),
  ],
  [
    'hydraulic-press',
    discrete(20 * min, 50 * min, 12 * h, {
      301: 'oil temperature high',
      302: 'pressure not reached',
      303: 'light curtain interrupted',
      304: 'pump motor overload',
      305: 'oil level low',
    }),
  ],
  [
    'cnc-machining-centre',
    discrete(20 * min, 1 * h, 20 * h, {
      401: 'spindle overload',
      402: 'servo alarm',
      403: 'tool breakage detected',
      404: 'coolant level low',
      405: 'door interlock open',
      406: 'axis overtravel',
    }),
  ],
  [
    'injection-moulding-machine',
    discrete(45 * min, 2 * h, 16 * h, {
      501: 'barrel heater zone failure',
      502: 'mould temperature deviation',
      503: 'ejector fault',
      504: 'hydraulic oil temperature high',
      505: 'short shot detected',
    }),
  ],
  [
    'air-compressor',
    {
      // Base-load unit: long runs, standby when demand is low, no changeovers.
      dwell: {
        idle: [5 * min, 30 * min],
        running: [30 * min, 6 * h],
        fault: [10 * min, 45 * min],
        maintenance: [2 * h, 4 * h],
      },
      next: { idle: { running: 1 }, setup: { running: 1 }, running: { idle: 1 } },
      mtbf: 48 * h,
      serviceEvery: 2000 * h,
      faults: {
        601: 'discharge temperature high',
        602: 'motor overload',
        603: 'oil filter differential pressure high',
        604: 'phase failure',
      },
    },
  ],
  [
    'conveyor',
    {
      dwell: {
        idle: [1 * min, 15 * min],
        running: [10 * min, 2 * h],
        fault: [5 * min, 30 * min],
        maintenance: [1 * h, 2 * h],
      },
      next: { idle: { running: 1 }, setup: { running: 1 }, running: { idle: 1 } },
      mtbf: 36 * h,
      serviceEvery: 500 * h,
      faults: {
        701: 'belt misalignment',
        702: 'pull-cord emergency stop',
        703: 'motor overload',
        704: 'belt slip',
        705: 'chute blockage',
      },
    },
  ],
  [
    'pharma-reactor',
    {
      // Batch cycle: idle (discharged, cleaned) → setup (charging) → running (the batch) → idle.
      dwell: {
        idle: [10 * min, 30 * min],
        setup: [20 * min, 45 * min],
        running: [2 * h, 4 * h],
        fault: [15 * min, 1 * h],
        maintenance: [2 * h, 6 * h],
      },
      next: { idle: { setup: 1 }, setup: { running: 1 }, running: { idle: 1 } },
      mtbf: 48 * h,
      serviceEvery: 720 * h,
      faults: {
        801: 'jacket temperature deviation',
        802: 'reactor overpressure',
        803: 'agitator motor trip',
        804: 'pH probe failure',
        805: 'level high-high',
      },
    },
  ],
  [
    'tablet-press',
    discrete(30 * min, 90 * min, 14 * h, {
      901: 'compression overload',
      902: 'feeder jam',
      903: 'punch tightness',
      904: 'tablet weight out of tolerance',
    }),
  ],
  [
    'power-meter',
    {
      // The metered feeder: 'running' = plant under load, 'idle' = base load (breaks).
      dwell: {
        idle: [5 * min, 30 * min],
        running: [10 * min, 2 * h],
        fault: [10 * min, 1 * h],
        maintenance: [1 * h, 2 * h],
      },
      next: { idle: { running: 1 }, setup: { running: 1 }, running: { idle: 1 } },
      mtbf: 2000 * h,
      serviceEvery: 8760 * h,
      faults: {
        1101: 'voltage phase loss',
        1102: 'overvoltage',
        1103: 'current transformer reversed',
        1104: 'metering module error',
      },
    },
  ],
  [
    'manual-equipment',
    // No data interface: the state machine still runs (a ledger device has a life), unseen.
    discrete(30 * min, 1 * h, 40 * h, { 1: 'breakdown' }),
  ],
]);
