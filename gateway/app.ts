/**
 * The gateway app: drivers (south) → report-by-exception → publisher (north), with the
 * store-and-forward queue and the device state table. `buildGateway()` returns an app that
 * tests drive directly; `lianwang gateway` only wires a config file and signals to it.
 */
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { CollectDevice, ResolvedGateway } from '../config/index.ts';
import { sparkplugTypeOf } from '../wire/sparkplug/index.ts';
import { DiskQueue, type QueueStats } from './buffer/disk-queue.ts';
import { DRIVERS } from './drivers/registry.ts';
import type { DeviceCounters, DeviceStatus, Driver, DriverFactory, Reading } from './drivers/types.ts';
import { JsonPublisher } from './north/json.ts';
import { SparkplugPublisher } from './north/sparkplug.ts';
import type { DeviceMeta, NorthStats, Publisher } from './north/types.ts';
import { ReportByException } from './pipeline/rbe.ts';

export interface GatewayOptions {
  /** The root logger (without a `name`): the gateway names its own children. */
  log?: Logger;
  /** A device silent this long is reported again even if unchanged (default 30 s < the 60 s KPI bucket). */
  maxSilenceMs?: number;
}

export interface Gateway {
  start(): Promise<void>;
  stop(): Promise<void>;
  states(): ReadonlyMap<string, DeviceStatus>;
  counters(): ReadonlyMap<string, DeviceCounters>;
  north(): NorthStats;
  queue(): QueueStats;
  suppressed(): number;
  /**
   * Samples read (good/bad totals; good per `<device>|<point>`) and forwarded north after
   * report-by-exception (good per point) — what a subscriber must end up with, for reconciliation.
   */
  sampleCounts(): {
    good: number;
    bad: number;
    perPoint: ReadonlyMap<string, number>;
    forwarded: ReadonlyMap<string, number>;
  };
}

export const deviceKey = (d: CollectDevice): string => `${d.device.enterprise}/${d.device.id}`;

export function deviceMeta(d: CollectDevice): DeviceMeta {
  return {
    key: deviceKey(d),
    id: d.device.id,
    enterprise: d.device.enterprise,
    points: d.points.map((cp) => {
      const m = cp.point.modbus;
      const scaled =
        (m !== undefined && (m.scale !== 1 || m.offset !== 0)) || cp.scale !== 1 || cp.offset !== 0;
      return {
        name: cp.point.name,
        datatype: sparkplugTypeOf(cp.point.type, scaled),
        ...(cp.point.unit ? { unit: cp.point.unit } : {}),
        ...(cp.point.range ? { range: cp.point.range } : {}),
      };
    }),
  };
}

export function buildGateway(resolved: ResolvedGateway, opts: GatewayOptions = {}): Gateway {
  const { config, devices } = resolved;
  // Namespaced loggers are siblings of the root (pino would repeat a nested `name` key).
  const root = opts.log ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const log = root.child({ name: 'gateway' });
  const queue = new DiskQueue({
    dir: path.join(resolved.bufferDir, 'queue'),
    maxBytes: config.buffer.maxBytes,
    maxAgeMs: config.buffer.maxAge,
    onDrop: (info) => log.warn({ ...info }, 'buffer bound reached: oldest data dropped'),
    onError: (err) => log.error({ err: err.message }, 'buffer background work failed'),
  });
  const metas = devices.map(deviceMeta);
  const publisher: Publisher =
    config.sparkplug.mode === 'json'
      ? new JsonPublisher({ config, devices: metas, queue, log: root.child({ name: 'gateway:json' }) })
      : new SparkplugPublisher({
          config,
          devices: metas,
          queue,
          bufferDir: resolved.bufferDir,
          log: root.child({ name: 'gateway:sparkplug' }),
        });
  const deadbands = new Map<string, number>();
  for (const d of devices)
    for (const cp of d.points) deadbands.set(`${deviceKey(d)}|${cp.point.name}`, cp.deadband);
  const rbe = new ReportByException(deadbands, opts.maxSilenceMs ?? 30_000);
  const states = new Map<string, DeviceStatus>();
  const perPoint = new Map<string, number>();
  const forwarded = new Map<string, number>();
  const samples = { good: 0, bad: 0 };
  const sink = {
    readings(device: string, readings: Reading[]) {
      for (const r of readings) {
        if (r.good) {
          samples.good++;
          const key = `${device}|${r.point}`;
          perPoint.set(key, (perPoint.get(key) ?? 0) + 1);
        } else samples.bad++;
      }
      const north = rbe.filter(device, readings);
      for (const r of north) {
        if (!r.good) continue;
        const key = `${device}|${r.point}`;
        forwarded.set(key, (forwarded.get(key) ?? 0) + 1);
      }
      publisher.readings(device, north);
    },
    status(device: string, status: DeviceStatus) {
      const before = states.get(device);
      states.set(device, status);
      if (before?.state !== status.state) {
        log.info({ device, state: status.state, reason: status.reason, was: before?.state }, 'device state');
      }
      if (status.state === 'offline') rbe.reset(device);
      publisher.status(device, status);
    },
  };

  // One driver instance per protocol family, serving all of its devices; created on start().
  const byFamily = new Map<string, CollectDevice[]>();
  for (const d of devices) {
    if (d.connectivity.type === 'none') continue;
    const family = d.connectivity.type.startsWith('modbus') ? 'modbus' : d.connectivity.type;
    byFamily.set(family, [...(byFamily.get(family) ?? []), d]);
  }
  const drivers: Driver[] = [];
  const createDrivers = async () => {
    for (const [family, list] of byFamily) {
      const type = list[0]?.connectivity.type;
      if (!type || type === 'none') continue;
      const factory: DriverFactory = await DRIVERS[type]();
      drivers.push(
        factory({
          devices: list,
          sink,
          log: root.child({ name: `gateway:${family}` }),
          timeoutMs: config.polling.timeout,
          backoffMinMs: config.polling.backoffMin,
          backoffMaxMs: config.polling.backoffMax,
          maxGap: config.polling.maxGap,
          dataDir: resolved.bufferDir,
        }),
      );
    }
  };

  return {
    async start() {
      await queue.open();
      await publisher.start();
      await createDrivers();
      for (const d of drivers) await d.start();
      log.info(
        { devices: devices.length, group: config.gateway.group, node: config.gateway.node },
        'gateway started',
      );
    },
    async stop() {
      await Promise.all(drivers.map((d) => d.stop()));
      await publisher.stop();
      await queue.close();
      log.info({}, 'gateway stopped');
    },
    states: () => states,
    counters() {
      const all = new Map<string, DeviceCounters>();
      for (const d of drivers) for (const [k, v] of d.counters()) all.set(k, v);
      return all;
    },
    north: () => publisher.stats(),
    queue: () => queue.stats(),
    suppressed: () => rbe.suppressed,
    sampleCounts: () => ({ ...samples, perPoint, forwarded }),
  };
}
