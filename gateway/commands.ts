/**
 * Device commands from the north (Sparkplug DCMD) to the south: a write of one point, allowed only for
 * points the configuration marks `access: readwrite`, routed to the driver that serves the device.
 * Every command ends as written, failed (the device or the link refused or timed out) or rejected
 * (unknown device or metric, read-only point, a value of the wrong kind, a protocol without writes),
 * with a log line; the counts go to /metrics.
 */
import type { CollectDevice } from '../config/index.ts';
import type { Driver, DriverLog, Value } from './drivers/types.ts';
import { WriteRefused } from './drivers/types.ts';
import type { Command } from './north/types.ts';

export interface CommandCounts {
  written: number;
  failed: number;
  rejected: number;
}

const isValue = (v: unknown): v is Value =>
  typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string';

export class CommandRouter {
  readonly counts: CommandCounts = { written: 0, failed: 0, rejected: 0 };
  readonly #log: DriverLog;
  #devices = new Map<string, CollectDevice>();
  #driverOf: (device: string) => Driver | undefined = () => undefined;

  constructor(log: DriverLog) {
    this.#log = log;
  }

  /** The devices and their drivers (after start and after every reload). */
  route(devices: readonly CollectDevice[], driverOf: (device: string) => Driver | undefined): void {
    this.#devices = new Map(devices.map((d) => [`${d.device.enterprise}/${d.device.id}`, d]));
    this.#driverOf = driverOf;
  }

  /** Carries out one command; resolves when it is written, failed or rejected (never rejects). */
  async handle(c: Command): Promise<void> {
    const where = { device: c.device ?? c.deviceId, metric: c.metric };
    const reject = (reason: string) => {
      this.counts.rejected++;
      this.#log.warn({ ...where, reason }, 'command rejected');
    };
    const device = c.device === undefined ? undefined : this.#devices.get(c.device);
    if (c.device === undefined || !device) return reject('unknown device');
    const cp = device.points.find((p) => p.point.name === c.point);
    if (c.point === undefined || !cp) return reject('unknown metric');
    if (cp.point.access !== 'readwrite') return reject('read-only point');
    if (!isValue(c.value))
      return reject(`a value of the wrong kind (${c.value === null ? 'null' : typeof c.value})`);
    const driver = this.#driverOf(c.device);
    if (!driver?.write) return reject(`${device.connectivity.type} devices take no writes`);
    try {
      await driver.write(c.device, c.point, c.value);
    } catch (err) {
      if (err instanceof WriteRefused) return reject(err.message);
      this.counts.failed++;
      this.#log.warn({ ...where, value: String(c.value), err: (err as Error).message }, 'command failed');
      return;
    }
    this.counts.written++;
    this.#log.info({ ...where, value: String(c.value) }, 'command written');
  }
}
