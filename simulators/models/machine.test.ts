import { describe, expect, it } from 'vitest';
import { KINDS } from '../../config/kinds/index.ts';
import { Rng } from '../../config/random.ts';
import {
  advance,
  faultCodes,
  forceFault,
  initialMachine,
  type MachineCycle,
  type MachineProfile,
  resetFault,
  setEnabled,
} from './machine.ts';
import { PROFILES } from './profiles.ts';

const PROFILE: MachineProfile = {
  dwell: {
    idle: [10, 60],
    setup: [30, 120],
    running: [100, 600],
    fault: [50, 300],
    maintenance: [200, 400],
  },
  next: { idle: { running: 1, setup: 1 }, setup: { running: 1 }, running: { idle: 1 } },
  mtbf: 3600,
  serviceEvery: 7200,
  faults: { 42: 'broken', 7: 'jammed' },
};

const at = (machine: MachineCycle['machine'], extra: Partial<MachineCycle> = {}): MachineCycle => ({
  machine,
  dwell: 100,
  faultCode: 0,
  enabled: true,
  time: 0,
  serviceIn: 1e9,
  ...extra,
});

describe('machine state machine', () => {
  it('holds a state for its dwell, then moves to a state the profile allows', () => {
    const rng = new Rng(1);
    expect(advance(PROFILE, at('idle', { dwell: 5 }), 1, rng)).toMatchObject({ machine: 'idle', dwell: 4 });
    const next = advance(PROFILE, at('idle', { dwell: 1 }), 1, rng);
    expect(['running', 'setup']).toContain(next.machine);
    expect(next.dwell).toBeGreaterThanOrEqual(PROFILE.dwell[next.machine as 'running'][0]);
    expect(advance(PROFILE, at('setup', { dwell: 1 }), 1, rng).machine).toBe('running');
    expect(advance(PROFILE, at('fault', { dwell: 1, faultCode: 42 }), 1, rng)).toMatchObject({
      machine: 'idle',
      faultCode: 0,
    });
  });

  it('faults while running at the profile rate, for any dt, with one of its codes', () => {
    const profile = { ...PROFILE, mtbf: 200 };
    for (const dt of [1, 10]) {
      const rng = new Rng(dt);
      let total = 0;
      for (let trial = 0; trial < 400; trial++) {
        let m = at('running', { dwell: Infinity });
        let t = 0;
        while (m.machine === 'running') {
          m = { ...m, ...advance(profile, m, dt, rng) };
          t += dt;
        }
        expect(m.machine).toBe('fault');
        expect([7, 42]).toContain(m.faultCode);
        total += t;
      }
      const mean = total / 400;
      expect(mean, `dt ${dt}`).toBeGreaterThan(profile.mtbf * 0.85);
      expect(mean, `dt ${dt}`).toBeLessThan(profile.mtbf * 1.15);
    }
  });

  it('goes to maintenance when a run ends past the service interval, then resets it', () => {
    const rng = new Rng(2);
    const m = advance(PROFILE, at('running', { dwell: 0.5, serviceIn: 0.5 }), 1, rng);
    expect(m).toMatchObject({ machine: 'maintenance', serviceIn: PROFILE.serviceEvery });
    expect(advance(PROFILE, { ...at('maintenance'), ...m, dwell: 1 }, 1, rng).machine).toBe('idle');
  });

  it('enable: off while disabled, idle when enabled again', () => {
    const rng = new Rng(3);
    const off = setEnabled(PROFILE, at('fault', { faultCode: 42 }), false);
    expect(off).toMatchObject({ machine: 'off', enabled: false, faultCode: 0 });
    expect(advance(PROFILE, off, 60, rng)).toMatchObject({ machine: 'off' });
    expect(setEnabled(PROFILE, off, true)).toMatchObject({ machine: 'idle', enabled: true, dwell: 10 });
    const idle = at('running');
    expect(setEnabled(PROFILE, idle, true)).toBe(idle);
  });

  it('fault_reset clears a fault and nothing else; forceFault raises one now', () => {
    expect(resetFault(PROFILE, at('fault', { faultCode: 7 }))).toMatchObject({
      machine: 'idle',
      faultCode: 0,
    });
    const running = at('running');
    expect(resetFault(PROFILE, running)).toBe(running);
    expect(forceFault(running, 42, 90)).toMatchObject({ machine: 'fault', faultCode: 42, dwell: 90 });
    const disabled = at('off', { enabled: false });
    expect(forceFault(disabled, 42)).toBe(disabled);
    expect(() => forceFault(running, 0)).toThrow(RangeError);
    expect(() => forceFault(running, 70000)).toThrow(RangeError);
  });

  it('starts mid-shift: running, idle or setup, enabled, service due within its interval', () => {
    const rng = new Rng(4);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const m = initialMachine(PROFILE, rng);
      seen.add(m.machine);
      expect(m.serviceIn).toBeLessThanOrEqual(PROFILE.serviceEvery);
    }
    expect([...seen].sort()).toEqual(['idle', 'running', 'setup']);
    expect(faultCodes(PROFILE)).toEqual([7, 42]);
  });
});

describe('machine profiles', () => {
  it('exist for every kind, name only timed states, and use distinct uint16 fault codes', () => {
    expect([...PROFILES.keys()].sort()).toEqual([...KINDS.keys()].sort());
    const codes = new Set<number>();
    for (const [kind, p] of PROFILES) {
      for (const weights of Object.values(p.next)) {
        for (const state of Object.keys(weights)) {
          expect(state === 'setup' ? p.dwell.setup : true, `${kind} → ${state}`).toBeTruthy();
        }
      }
      for (const [min, mean] of Object.values(p.dwell)) expect(mean, kind).toBeGreaterThan(min);
      for (const code of faultCodes(p)) {
        expect(code > 0 && code <= 65535 && !codes.has(code), `${kind} ${code}`).toBe(true);
        codes.add(code);
      }
    }
  });
});
