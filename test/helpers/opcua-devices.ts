/**
 * SimDevices for protocol-server tests: real kinds' point maps animated by a small deterministic
 * model whose every value changes on every tick, so a test never depends on the physics models.
 */
import { KINDS, MACHINE_STATES, type Point, type ResolvedDevice } from '../../config/index.ts';
import { SimDevice } from '../../simulators/device.ts';
import type { BehaviourModel, MachineCore, Value } from '../../simulators/models/types.ts';

interface TickState extends MachineCore {
  tick: number;
  setpoints: Readonly<Record<string, Value>>;
}

const scaled = (p: Point) => p.modbus !== undefined && (p.modbus.scale !== 1 || p.modbus.offset !== 0);

/** The value of a signal at tick `n`: walks through the range (or counts), different every tick. */
function signal(p: Point, n: number): Value {
  if (p.type === 'bool') return n % 2 === 1;
  if (p.type === 'string') return `P${n}`;
  const [lo, hi] = p.range ?? [0, 1000];
  const float = p.type === 'float32' || p.type === 'float64' || scaled(p);
  const v = lo + ((n % 10) + (float ? 0.25 : 0)) * ((hi - lo) / 10);
  if (float) return v;
  if (p.type === 'int64' || p.type === 'uint64') return BigInt(Math.round(v));
  return Math.round(p.range ? v : n);
}

/**
 * Starts in 'fault' (fault code 7) so a test can clear it; `fault_reset` → 'idle', `enable` false →
 * 'off'. Setpoints accept values inside their range, else RangeError, as the real models do.
 */
export function tickModel(kind: string): BehaviourModel<TickState> {
  const points = KINDS.get(kind)?.points;
  if (!points) throw new Error(`unknown kind ${kind}`);
  const byName = new Map(points.map((p) => [p.name, p]));
  return {
    kind,
    init: () => ({
      machine: 'fault',
      dwell: 0,
      faultCode: 7,
      enabled: true,
      time: 0,
      tick: 0,
      setpoints: Object.fromEntries(
        points
          .filter((p) => p.access === 'readwrite' && p.type !== 'bool')
          .map((p) => [p.name, p.range?.[0] ?? 0]),
      ),
    }),
    step: (s, dt) => ({ ...s, time: s.time + dt, tick: s.tick + 1 }),
    read(s) {
      const out: Record<string, Value> = {};
      for (const p of points) {
        if (p.name === 'state') out[p.name] = MACHINE_STATES.indexOf(s.machine);
        else if (p.name === 'fault_code') out[p.name] = s.faultCode;
        else if (p.name === 'running') out[p.name] = s.machine === 'running';
        else if (p.name === 'alarm') out[p.name] = s.machine === 'fault';
        else if (p.name === 'enable') out[p.name] = s.enabled;
        else if (p.name === 'fault_reset') out[p.name] = false;
        else out[p.name] = s.setpoints[p.name] ?? signal(p, s.tick);
      }
      return out;
    },
    write(s, name, value) {
      const p = byName.get(name);
      if (!p || p.access !== 'readwrite') throw new RangeError(`${name} is not writable`);
      if (name === 'fault_reset') return value === true ? { ...s, machine: 'idle', faultCode: 0 } : s;
      if (name === 'enable')
        return { ...s, enabled: value === true, machine: value === true ? s.machine : 'off' };
      if (typeof value !== 'number') throw new RangeError(`${name} expects a number`);
      if (p.range && (value < p.range[0] || value > p.range[1])) throw new RangeError(`${name} out of range`);
      return { ...s, setpoints: { ...s.setpoints, [name]: value } };
    },
  };
}

/** A ledger device of a real kind, connected by OPC UA, animated by `tickModel`. */
export function tickDevice(
  d: { enterprise: string; line: string; id: string; kind: string; name?: string },
  endpoint = 'opc.tcp://localhost:4840',
): SimDevice {
  const points = KINDS.get(d.kind)?.points;
  if (!points) throw new Error(`unknown kind ${d.kind}`);
  const device: ResolvedDevice = {
    ...d,
    digital: true,
    keyProcess: false,
    connectivity: { type: 'opcua', endpoint, securityMode: 'None', securityPolicy: 'None' },
    points,
  };
  return new SimDevice(device, tickModel(d.kind), 1);
}
