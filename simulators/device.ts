/**
 * A simulated device: one ledger device animated by its behaviour model, with the faults
 * currently injected into it. Protocol servers read `values()` and call `write()`/`reset()`;
 * they consult `fault()` to misbehave the way a broken device would.
 */
import { EventEmitter } from 'node:events';
import type { MachineState, Point, ResolvedDevice } from '../config/index.ts';
import { Rng } from '../config/random.ts';
import type { FaultSpec, FaultType } from './faults/types.ts';
import type { BehaviourModel, MachineCore, Value } from './models/types.ts';

export interface SimDeviceEvents {
  /** The model advanced; values() has new data. */
  tick: [];
  /** A fault was injected or cleared. */
  fault: [type: FaultType, active: boolean];
}

export class SimDevice extends EventEmitter<SimDeviceEvents> {
  readonly #model: BehaviourModel;
  readonly #rng: Rng;
  #state: MachineCore;
  #values: Readonly<Record<string, Value>> | undefined;
  #frozen: Readonly<Record<string, Value>> | undefined;
  readonly #faults = new Map<FaultType, FaultSpec>();
  readonly #extra: readonly Point[];
  /** Requests or reads served, for the live table. */
  served = 0;

  constructor(
    readonly device: ResolvedDevice,
    model: BehaviourModel,
    seed: number,
  ) {
    super();
    this.#model = model;
    this.#rng = new Rng(seed);
    this.#state = model.init(this.#rng);
    const modelled = new Set(Object.keys(model.read(this.#state)));
    this.#extra = device.points.filter((p) => !modelled.has(p.name));
  }

  /** Stable key: `<enterprise>/<device>`. */
  get key(): string {
    return `${this.device.enterprise}/${this.device.id}`;
  }

  get machine(): MachineState {
    return this.#state.machine;
  }

  get faultCode(): number {
    return this.#state.faultCode;
  }

  /** Advances the model by `dt` simulated seconds (split into ≤ 1 s steps). */
  step(dt: number): void {
    for (let left = dt; left > 1e-9; left -= 1)
      this.#state = this.#model.step(this.#state, Math.min(1, left), this.#rng);
    this.#values = undefined;
    this.emit('tick');
  }

  /** Engineering values by point name, with value faults applied. */
  values(): Readonly<Record<string, Value>> {
    if (this.#faults.has('stuck')) {
      this.#frozen ??= this.#raw();
      return this.#frozen;
    }
    this.#frozen = undefined;
    if (this.#faults.has('nan') || this.#faults.has('out-of-range')) return this.#corrupt(this.#raw());
    return this.#raw();
  }

  /** A client write to a readwrite point, in engineering units. Throws RangeError if refused. */
  write(point: string, value: Value): void {
    this.#state = this.#model.write(this.#state, point, value);
    this.#values = undefined;
  }

  /** Clears a machine fault (the `fault_reset` coil or the OPC UA `Reset` method). */
  reset(): void {
    this.write('fault_reset', true);
  }

  fault(type: FaultType): FaultSpec | undefined {
    return this.#faults.get(type);
  }

  get faults(): ReadonlyMap<FaultType, FaultSpec> {
    return this.#faults;
  }

  inject(spec: FaultSpec): void {
    this.#faults.set(spec.type, spec);
    this.emit('fault', spec.type, true);
  }

  clear(type: FaultType): void {
    if (this.#faults.delete(type)) this.emit('fault', type, false);
  }

  #raw(): Readonly<Record<string, Value>> {
    if (!this.#values) {
      const modelled = this.#model.read(this.#state);
      this.#values = this.#extra.length ? { ...modelled, ...this.#extraValues() } : modelled;
    }
    return this.#values;
  }

  /**
   * Points the plant file adds beyond the kind's map have no physics: they follow a slow,
   * deterministic wave inside their range (10-minute period) so clients see live data.
   */
  #extraValues(): Record<string, Value> {
    const out: Record<string, Value> = {};
    const t = this.#state.time;
    this.#extra.forEach((p, i) => {
      if (p.type === 'bool') out[p.name] = Math.sin((2 * Math.PI * t) / 600 + i) > 0;
      else if (p.type === 'string') out[p.name] = '';
      else {
        const [lo, hi] = p.range ?? [0, 100];
        const v = lo + ((hi - lo) * (1 + Math.sin((2 * Math.PI * t) / 600 + i))) / 2;
        out[p.name] = p.type.startsWith('float') ? v : Math.round(v);
      }
    });
    return out;
  }

  #corrupt(values: Readonly<Record<string, Value>>): Record<string, Value> {
    const out: Record<string, Value> = { ...values };
    const nan = this.#faults.has('nan');
    for (const p of this.device.points) {
      const v = out[p.name];
      if (typeof v !== 'number') continue;
      if (nan && (p.type === 'float32' || p.type === 'float64')) out[p.name] = Number.NaN;
      else if (!nan && p.range) out[p.name] = p.range[1] + (p.range[1] - p.range[0]) * 0.5;
    }
    return out;
  }
}
