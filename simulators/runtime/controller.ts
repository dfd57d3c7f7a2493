/**
 * Injects and clears faults — from the plant's timeline, the control API or the CLI — and
 * keeps the ground-truth log in step with what a client can observe.
 */
import { findDevice, type FaultEvent, type Plant } from '../../config/index.ts';
import type { SimDevice } from '../device.ts';
import { type FaultSpec, type FaultType, UNREACHABLE_FAULTS } from '../faults/types.ts';
import type { SimClock } from './clock.ts';
import type { GroundTruth } from './ground-truth.ts';

/** A server that can restart: a Modbus TCP port or an OPC UA server, with the devices it serves. */
export interface Restartable {
  devices: readonly SimDevice[];
  restart(downMs: number): Promise<void>;
}

export interface ActiveFault {
  device: string;
  spec: FaultSpec;
  /** Simulated ms at which it clears; undefined = until cleared. */
  until: number | undefined;
}

export interface InjectRequest extends FaultSpec {
  device: string;
  /** Simulated ms; undefined = until cleared. */
  forMs?: number;
}

export class FaultController {
  readonly #devices: ReadonlyMap<string, SimDevice>;
  readonly #plant: Pick<Plant, 'enterprises'>;
  readonly #clock: SimClock;
  readonly #truth: GroundTruth;
  readonly #serverOf: (device: SimDevice) => Restartable | undefined;
  readonly #timeline: FaultEvent[];
  readonly #active = new Map<string, ActiveFault>();
  readonly #restarting = new Set<string>();
  /** Errors from timeline events or restarts, for the live table and logs. */
  readonly errors: string[] = [];

  constructor(opts: {
    devices: ReadonlyMap<string, SimDevice>;
    plant: Pick<Plant, 'enterprises'>;
    clock: SimClock;
    truth: GroundTruth;
    serverOf: (device: SimDevice) => Restartable | undefined;
    timeline: readonly FaultEvent[];
  }) {
    this.#devices = opts.devices;
    this.#plant = opts.plant;
    this.#clock = opts.clock;
    this.#truth = opts.truth;
    this.#serverOf = opts.serverOf;
    this.#timeline = [...opts.timeline].sort((a, b) => a.at - b.at);
  }

  /** Resolves a device reference ("id" or "enterprise/id") to a simulated device. */
  resolve(ref: string): SimDevice {
    const found = findDevice(this.#plant, ref);
    if (typeof found === 'string') throw new Error(found);
    const device = this.#devices.get(`${found.enterprise}/${found.id}`);
    if (!device) throw new Error(`device "${ref}" is not simulated here (not connected, or filtered out)`);
    return device;
  }

  inject(req: InjectRequest): ActiveFault {
    const device = this.resolve(req.device);
    const { device: _ref, forMs, ...spec } = req;
    const until = forMs === undefined ? undefined : this.#clock.now + forMs;
    if (spec.type === 'restart') {
      this.#restart(device, spec.downMs ?? 1000);
      return { device: device.key, spec, until: undefined };
    }
    device.inject(spec);
    const active = { device: device.key, spec, until };
    this.#active.set(`${device.key}|${spec.type}`, active);
    this.#update(device, `${spec.type} injected`);
    return active;
  }

  /** Clears one fault type, or every fault of the device. Returns how many were cleared. */
  clear(ref: string, type?: FaultType): number {
    const device = this.resolve(ref);
    let n = 0;
    for (const t of type ? [type] : [...device.faults.keys()]) {
      if (!device.faults.has(t)) continue;
      device.clear(t);
      this.#active.delete(`${device.key}|${t}`);
      n++;
    }
    if (n) this.#update(device, `${type ?? 'all faults'} cleared`);
    return n;
  }

  list(): ActiveFault[] {
    return [...this.#active.values()];
  }

  /** Runs due timeline events and expires faults; called on every clock tick. */
  tick(): void {
    const now = this.#clock.now;
    while (this.#timeline.length && (this.#timeline[0]?.at ?? Infinity) <= now) {
      const e = this.#timeline.shift();
      if (!e) break;
      try {
        this.inject({
          device: e.device,
          type: e.fault,
          ...(e.for === undefined ? {} : { forMs: e.for }),
          ...(e.latencyMs === undefined ? {} : { latencyMs: e.latencyMs }),
          ...(e.exceptionCode === undefined ? {} : { exceptionCode: e.exceptionCode }),
          ...(e.downMs === undefined ? {} : { downMs: e.downMs }),
        });
      } catch (err) {
        this.errors.push(`timeline ${e.device} ${e.fault}: ${(err as Error).message}`);
      }
    }
    for (const a of [...this.#active.values()]) {
      if (a.until !== undefined && a.until <= now) this.clear(a.device, a.spec.type);
    }
  }

  /** Records every device's initial reachability. */
  start(): void {
    for (const d of this.#devices.values()) this.#update(d, 'simulation started');
  }

  stopAll(): void {
    for (const d of this.#devices.values()) {
      this.#truth.record(d.key, false, Date.now(), this.#clock.now / 1000, 'simulation stopped');
    }
  }

  #restart(device: SimDevice, downMs: number): void {
    const server = this.#serverOf(device);
    if (!server) throw new Error(`device ${device.key} has no restartable server`);
    for (const d of server.devices) {
      this.#restarting.add(d.key);
      this.#update(d, 'server restarting');
    }
    void server
      .restart(downMs)
      .catch((err: unknown) => this.errors.push(`restart for ${device.key}: ${(err as Error).message}`))
      .finally(() => {
        for (const d of server.devices) {
          this.#restarting.delete(d.key);
          this.#update(d, 'server restarted');
        }
      });
  }

  #update(device: SimDevice, cause: string): void {
    const blocked = [...device.faults.keys()].filter((t) => UNREACHABLE_FAULTS.has(t));
    const reachable = blocked.length === 0 && !this.#restarting.has(device.key);
    this.#truth.record(
      device.key,
      reachable,
      Date.now(),
      this.#clock.now / 1000,
      reachable ? cause : blocked.join('+') || cause,
    );
  }
}
