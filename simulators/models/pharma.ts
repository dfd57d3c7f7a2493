/** Pharma: batch reactor and rotary tablet press. */
import { defineModel } from './define.ts';
import { clamp, lag, ramp, wander } from './physics.ts';

const AMBIENT = 20;
const YEAR = 365 * 24 * 3600;
/** Batch ids count from this year (the simulation has no wall clock). */
const FIRST_YEAR = 2026;

interface Reactor {
  /** Recipe: fill level %, agitator speed rpm, pH. */
  k: { fill: number; agitation: number; phSet: number };
  batchTemp: number;
  jacketTemp: number;
  pressure: number;
  agitator: number;
  ph: number;
  level: number;
  /** Number of the batch in the vessel (batch_id) and batches completed. */
  batchNo: number;
  batches: number;
}

export const pharmaReactor = defineModel<Reactor, 'batch_temp_sp'>({
  kind: 'pharma-reactor',
  setpoints: { batch_temp_sp: 80 },
  init(rng, machine, sp) {
    const fill = rng.between(60, 85);
    const agitation = rng.between(80, 220);
    const batchNo = rng.int(1, 400);
    const running = machine === 'running';
    return {
      k: { fill, agitation, phSet: rng.between(3, 9) },
      batchTemp: running ? sp.batch_temp_sp : AMBIENT,
      jacketTemp: running ? sp.batch_temp_sp : AMBIENT,
      pressure: 0,
      agitator: running ? agitation : 0,
      ph: 7,
      level: running ? fill : 0,
      batchNo,
      batches: batchNo - 1,
    };
  },
  step(r, { dt, prev, machine, sp }, rng) {
    const running = machine === 'running';
    const { fill, agitation, phSet } = r.k;
    let { batchNo, batches } = r;
    if (machine === 'setup' && prev !== 'setup') batchNo += 1; // charging starts a new batch
    if (prev === 'running' && machine === 'idle') batches += 1; // completed, not aborted
    // Jacket: a cascade controller asks for sp + 1.5 × error; the utility loop lags ~2 min.
    // The batch follows the jacket with a ~25 min time constant (thermal mass of the charge).
    const jacketTarget = running
      ? clamp(sp.batch_temp_sp + 1.5 * (sp.batch_temp_sp - r.batchTemp), -30, 180)
      : AMBIENT;
    const jacketTemp = wander(r.jacketTemp, jacketTarget, dt, 120, 0.3, rng);
    const batchTemp = wander(
      r.batchTemp,
      r.level > 1 ? jacketTemp : AMBIENT,
      dt,
      r.level > 1 ? 1500 : 3000,
      0.1,
      rng,
    );
    // Level: charging fills at ~0.03 %/s, the discharge after a batch empties at ~0.05 %/s.
    const levelTarget = machine === 'setup' ? fill : machine === 'idle' ? 0 : r.level;
    const level = ramp(r.level, levelTarget, levelTarget > r.level ? 0.03 : 0.05, dt);
    // Vapour pressure rises with temperature above ~40 °C (gauge kPa).
    const pressureTarget = running ? 5 + Math.max(0, batchTemp - 40) * 2.2 : 0;
    const agitatorTarget = running ? agitation : machine === 'setup' ? 40 : 0;
    return {
      k: r.k,
      batchNo,
      batches,
      jacketTemp,
      batchTemp,
      level: clamp(level, 0, 100),
      pressure: wander(r.pressure, pressureTarget, dt, 60, running ? 2 : 0.3, rng),
      agitator: ramp(r.agitator, agitatorTarget, 2, dt),
      // The probe reads the batch while it is wet, drifts back to its storage buffer (pH 7).
      ph: level > 5 ? wander(r.ph, phSet, dt, 600, 0.15, rng) : lag(r.ph, 7, dt, 300),
    };
  },
  read(r, { time }) {
    const year = FIRST_YEAR + Math.floor(time / YEAR);
    return {
      batch_temp: r.batchTemp,
      jacket_temp: r.jacketTemp,
      pressure: r.pressure,
      agitator_speed: r.agitator,
      ph: r.ph,
      level: r.level,
      batch_id: `B${year}-${String(r.batchNo % 10000).padStart(4, '0')}`,
      batches: r.batches,
    };
  },
});

interface TabletPress {
  /** This press and product: punch stations (tablets per turn), force kN, tablet weight mg. */
  k: { stations: number; forceNom: number; weightNom: number };
  speed: number;
  force: number;
  weight: number;
  tablets: number;
  rejects: number;
}

export const tabletPress = defineModel<TabletPress, 'turret_speed_sp'>({
  kind: 'tablet-press',
  setpoints: { turret_speed_sp: 60 },
  init(rng, machine, sp) {
    const weightNom = rng.between(150, 900);
    const tablets = rng.int(1e7, 5e8);
    return {
      k: { stations: rng.int(30, 61), forceNom: rng.between(10, 40), weightNom },
      speed: machine === 'running' ? sp.turret_speed_sp : 0,
      force: 0,
      weight: weightNom,
      tablets,
      rejects: Math.floor(tablets * 0.002),
    };
  },
  step(t, { dt, machine, sp }, rng) {
    const running = machine === 'running';
    const { stations, forceNom, weightNom } = t.k;
    const speed = ramp(t.speed, running ? sp.turret_speed_sp : 0, running ? 3 : 6, dt);
    const made = running ? (speed * stations * dt) / 60 : 0;
    // Die fill drifts slowly around the target weight; compression force follows the fill.
    const weight = running ? wander(t.weight, weightNom, dt, 60, 0.006 * weightNom, rng) : t.weight;
    const deviation = Math.abs(weight - weightNom) / weightNom;
    // The weight-control gate rejects ~0.2 % in tolerance, 5 % beyond ±1.5 %.
    const rejectRate = deviation > 0.015 ? 0.05 : 0.002;
    const forceTarget = forceNom * (weight / weightNom);
    return {
      k: t.k,
      speed,
      weight,
      force: speed > 1 ? wander(t.force, forceTarget, dt, 2, 0.02 * forceNom, rng) : lag(t.force, 0, dt, 0.5),
      tablets: t.tablets + made,
      rejects: t.rejects + made * rejectRate,
    };
  },
  read(t) {
    return {
      turret_speed: t.speed,
      compression_force: Math.max(0, t.force),
      tablet_weight: t.weight,
      tablets: Math.floor(t.tablets),
      rejects: Math.floor(t.rejects),
    };
  },
});
