/**
 * What the OPC UA driver tests share: a collect entry for a simulated device, a recorder of what the
 * driver emits, a driver with short timings, and the value the driver must report for a point.
 */
import type { CollectDevice, CollectPoint } from '../../../config/index.ts';
import { opcuaDriverFactory, type OpcuaDriverOptions } from '../../../gateway/drivers/opcua/driver.ts';
import type { DeviceStatus, Driver, DriverLog, Reading, Value } from '../../../gateway/drivers/types.ts';
import type { SimDevice } from '../../../simulators/device.ts';
import { waitFor } from '../../helpers/wait.ts';

export type Scale = Record<string, [scale: number, offset: number]>;

export function collect(
  s: SimDevice,
  endpoint: string,
  opts: {
    scale?: Scale;
    options?: Record<string, Partial<Pick<CollectPoint, 'intervalMs' | 'deadband'>>>;
    security?: Partial<Extract<CollectDevice['connectivity'], { type: 'opcua' }>>;
  } = {},
): CollectDevice {
  const connectivity = {
    type: 'opcua' as const,
    endpoint,
    securityMode: 'None' as const,
    securityPolicy: 'None' as const,
    ...opts.security,
  };
  return {
    device: { ...s.device, connectivity },
    connectivity,
    points: s.device.points.map((point) => {
      const [scale, offset] = opts.scale?.[point.name] ?? [1, 0];
      return { point, intervalMs: 200, deadband: 0, scale, offset, ...opts.options?.[point.name] };
    }),
  };
}

/** What the driver emits, and the log lines it wrote. */
export class Recorder {
  readonly readings = new Map<string, Reading[]>();
  readonly statuses = new Map<string, DeviceStatus[]>();
  readonly logs: string[] = [];
  readonly log: DriverLog = {
    info: (o, m) => this.logs.push(`info ${m} ${JSON.stringify(o)}`),
    warn: (o, m) => this.logs.push(`warn ${m} ${JSON.stringify(o)}`),
    error: (o, m) => this.logs.push(`error ${m} ${JSON.stringify(o)}`),
    debug: () => undefined,
  };
  readonly sink = {
    readings: (device: string, readings: Reading[]) => {
      const list = this.readings.get(device) ?? [];
      list.push(...readings);
      this.readings.set(device, list);
    },
    status: (device: string, status: DeviceStatus) => {
      const list = this.statuses.get(device) ?? [];
      list.push(status);
      this.statuses.set(device, list);
    },
  };
  state(device: string): DeviceStatus | undefined {
    return this.statuses.get(device)?.at(-1);
  }
  latest(device: string, point: string): Reading | undefined {
    return this.readings.get(device)?.findLast((r) => r.point === point);
  }
  waitState(device: string, state: DeviceStatus['state'], timeoutMs = 15_000): Promise<void> {
    return waitFor(() => this.state(device)?.state === state, {
      what: `${device} ${state} (now ${JSON.stringify(this.state(device))})`,
      timeoutMs,
    });
  }
}

export function driverFor(
  dataDir: string,
  devices: CollectDevice[],
  rec: Recorder,
  options: OpcuaDriverOptions = {},
): Driver {
  return opcuaDriverFactory({ keepAliveMs: 1_000, ...options })({
    devices,
    sink: rec.sink,
    log: rec.log,
    timeoutMs: 1_000,
    backoffMinMs: 100,
    backoffMaxMs: 1_000,
    maxGap: 16,
    dataDir,
  });
}

/** The value the driver must report: the simulator's, as its OPC UA DataType holds it, then scaled. */
export function expected(s: SimDevice, cp: CollectPoint): Value | undefined {
  const raw = s.values()[cp.point.name];
  if (raw === undefined) return undefined;
  const m = cp.point.modbus;
  const asDouble = m !== undefined && (m.scale !== 1 || m.offset !== 0);
  let v: Value = typeof raw === 'number' && cp.point.type === 'float32' && !asDouble ? Math.fround(raw) : raw;
  if (cp.scale === 1 && cp.offset === 0) return v;
  if (typeof v === 'number') v = v * cp.scale + cp.offset;
  else if (typeof v === 'bigint') v = v * BigInt(cp.scale) + BigInt(cp.offset);
  return v;
}
