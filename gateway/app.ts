/**
 * The gateway app: drivers (south) → report-by-exception → publisher (north), with the
 * store-and-forward queue and the device state table. `buildGateway()` returns an app that
 * tests drive directly; `lianwang gateway` only wires a config file and signals to it.
 */
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { CollectDevice, CollectPoint, ResolvedGateway } from '../config/index.ts';
import { sparkplugTypeOf } from '../wire/sparkplug/index.ts';
import { DiskQueue, type QueueStats } from './buffer/disk-queue.ts';
import { type CommandCounts, CommandRouter } from './commands.ts';
import { DRIVERS } from './drivers/registry.ts';
import type { DeviceCounters, DeviceStatus, Driver, DriverFactory, Reading } from './drivers/types.ts';
import { JsonPublisher } from './north/json.ts';
import { SparkplugPublisher } from './north/sparkplug.ts';
import type { DeviceMeta, NorthStats, PointMeta, Publisher } from './north/types.ts';
import { PointIndex } from './pipeline/points.ts';
import { ReportByException } from './pipeline/rbe.ts';
import { DefinitionPool } from './pipeline/share.ts';

export interface GatewayOptions {
  /** The root logger (without a `name`): the gateway names its own children. */
  log?: Logger;
  /**
   * A device silent this long is reported again even if unchanged (default 30 s < the 60 s KPI bucket).
   * 0 turns report-by-exception off: every reading goes north.
   */
  maxSilenceMs?: number;
  /** Sees every batch of readings a driver delivers, before report-by-exception (tests reconcile with it). */
  onRead?: (device: string, readings: readonly Reading[]) => void;
}

export interface Gateway {
  start(): Promise<void>;
  stop(): Promise<void>;
  states(): ReadonlyMap<string, DeviceStatus>;
  counters(): ReadonlyMap<string, DeviceCounters>;
  north(): NorthStats;
  queue(): QueueStats;
  suppressed(): number;
  /** Device commands (Sparkplug DCMD) written, failed and rejected. */
  commands(): CommandCounts;
  /**
   * Samples read (good/bad totals; good per `<device>|<point>`) and forwarded north after
   * report-by-exception (good per point) — what a subscriber must end up with, for reconciliation.
   */
  /**
   * Replaces the device list without touching the MQTT session (drivers restart, a rebirth
   * announces the new list). Returns false — and changes nothing — when anything else in the
   * configuration changed: the caller then restarts the whole gateway.
   */
  reload(next: ResolvedGateway): Promise<boolean>;
  sampleCounts(): {
    good: number;
    bad: number;
    perPoint: ReadonlyMap<string, number>;
    forwarded: ReadonlyMap<string, number>;
  };
}

export const deviceKey = (d: CollectDevice): string => `${d.device.enterprise}/${d.device.id}`;

/** Point metadata per collect list: devices sharing a list (pipeline/share.ts) share its metadata. */
const pointMetas = new WeakMap<readonly CollectPoint[], PointMeta[]>();

export function deviceMeta(d: CollectDevice): DeviceMeta {
  let points = pointMetas.get(d.points);
  if (!points) {
    points = d.points.map((cp) => {
      const m = cp.point.modbus;
      const scaled =
        (m !== undefined && (m.scale !== 1 || m.offset !== 0)) || cp.scale !== 1 || cp.offset !== 0;
      return {
        name: cp.point.name,
        datatype: sparkplugTypeOf(cp.point.type, scaled),
        ...(cp.point.unit ? { unit: cp.point.unit } : {}),
        ...(cp.point.range ? { range: cp.point.range } : {}),
      };
    });
    pointMetas.set(d.points, points);
  }
  return { key: deviceKey(d), id: d.device.id, enterprise: d.device.enterprise, points };
}

export function buildGateway(resolved: ResolvedGateway, opts: GatewayOptions = {}): Gateway {
  // No closure below holds `resolved`: the caller's copy of the device list can go once shared.
  const { config, bufferDir } = resolved;
  // Identical point definitions as one object each (pipeline/share.ts); the pool lives for reloads too.
  const pool = new DefinitionPool();
  const devices = pool.share(resolved.devices);
  // Namespaced loggers are siblings of the root (pino would repeat a nested `name` key).
  const root = opts.log ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const log = root.child({ name: 'gateway' });
  const queue = new DiskQueue({
    dir: path.join(bufferDir, 'queue'),
    maxBytes: config.buffer.maxBytes,
    maxAgeMs: config.buffer.maxAge,
    onDrop: (info) => log.warn({ ...info }, 'buffer bound reached: oldest data dropped'),
    onError: (err) => log.error({ err: err.message }, 'buffer background work failed'),
  });
  const metas = devices.map(deviceMeta);
  const commands = new CommandRouter(root.child({ name: 'gateway:commands' }));
  const publisher: Publisher =
    config.sparkplug.mode === 'json'
      ? new JsonPublisher({ config, devices: metas, queue, log: root.child({ name: 'gateway:json' }) })
      : new SparkplugPublisher({
          config,
          devices: metas,
          queue,
          bufferDir,
          log: root.child({ name: 'gateway:sparkplug' }),
          onCommand: (c) => void commands.handle(c),
        });
  // Per-point state in arrays over one dense index of the configured points (pipeline/points.ts).
  let current: readonly CollectDevice[] = devices;
  let index = new PointIndex(metas);
  const rbeFor = (list: readonly CollectDevice[], idx: PointIndex) => {
    const deadbands = new Float64Array(idx.size);
    for (const d of list) {
      const points = idx.points(deviceKey(d));
      for (const cp of d.points) {
        const i = points?.get(cp.point.name);
        if (i !== undefined) deadbands[i] = cp.deadband;
      }
    }
    return new ReportByException(idx, deadbands, opts.maxSilenceMs ?? 30_000);
  };
  let rbe = rbeFor(devices, index);
  const states = new Map<string, DeviceStatus>();
  /** Good samples read, and forwarded north after report-by-exception, per point of `index`. */
  let perPoint: Float64Array = new Float64Array(index.size);
  let forwarded: Float64Array = new Float64Array(index.size);
  const samples = { good: 0, bad: 0 };
  const sink = {
    readings(device: string, readings: Reading[]) {
      opts.onRead?.(device, readings);
      const numbers = index.resolve(device, readings);
      for (let k = 0; k < readings.length; k++) {
        if (!(readings[k] as Reading).good) {
          samples.bad++;
          continue;
        }
        samples.good++;
        const i = numbers?.[k] ?? -1;
        if (i >= 0) perPoint[i] = (perPoint[i] ?? 0) + 1;
      }
      const north = rbe.filter(device, readings);
      // `north` is `readings` in order with some left out (the same objects): walk both.
      for (let k = 0, j = 0; k < readings.length && j < north.length; k++) {
        const r = readings[k] as Reading;
        if (r !== north[j]) continue;
        j++;
        const i = numbers?.[k] ?? -1;
        if (r.good && i >= 0) forwarded[i] = (forwarded[i] ?? 0) + 1;
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
  let drivers: Driver[] = [];
  /** Creates the drivers for a device list and routes commands to them. */
  const createDrivers = async (list: readonly CollectDevice[]): Promise<Driver[]> => {
    const driverOf = new Map<string, Driver>();
    const byFamily = new Map<string, CollectDevice[]>();
    for (const d of list) {
      if (d.connectivity.type === 'none') continue;
      const family = d.connectivity.type.startsWith('modbus') ? 'modbus' : d.connectivity.type;
      byFamily.set(family, [...(byFamily.get(family) ?? []), d]);
    }
    const out: Driver[] = [];
    for (const [family, members] of byFamily) {
      const type = members[0]?.connectivity.type;
      if (!type || type === 'none') continue;
      const factory: DriverFactory = await DRIVERS[type]();
      const driver = factory({
        devices: members,
        sink,
        log: root.child({ name: `gateway:${family}` }),
        timeoutMs: config.polling.timeout,
        backoffMinMs: config.polling.backoffMin,
        backoffMaxMs: config.polling.backoffMax,
        maxGap: config.polling.maxGap,
        dataDir: bufferDir,
      });
      out.push(driver);
      for (const d of members) driverOf.set(deviceKey(d), driver);
    }
    commands.route(list, (device) => driverOf.get(device));
    return out;
  };

  return {
    async start() {
      await queue.open();
      await publisher.start();
      drivers = await createDrivers(devices);
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
    async reload(next: ResolvedGateway) {
      const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
      const c = next.config;
      if (
        !same(c.mqtt, config.mqtt) ||
        !same(c.sparkplug, config.sparkplug) ||
        !same(c.buffer, config.buffer) ||
        c.gateway.group !== config.gateway.group ||
        c.gateway.node !== config.gateway.node ||
        !same(c.polling, config.polling)
      ) {
        return false;
      }
      await Promise.all(drivers.map((d) => d.stop()));
      const keys = new Set(next.devices.map(deviceKey));
      for (const k of [...states.keys()]) if (!keys.has(k)) states.delete(k);
      current = pool.share(next.devices);
      const nextMetas = current.map(deviceMeta);
      const nextIndex = new PointIndex(nextMetas);
      perPoint = index.carry(nextIndex, perPoint);
      forwarded = index.carry(nextIndex, forwarded);
      index = nextIndex;
      rbe = rbeFor(current, index);
      publisher.setDevices(nextMetas);
      drivers = await createDrivers(current);
      for (const d of drivers) await d.start();
      log.info({ devices: current.length }, 'device list reloaded (MQTT session kept, rebirth sent)');
      return true;
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
    commands: () => commands.counts,
    sampleCounts: () => ({
      ...samples,
      // Built on demand: /metrics reads only the totals.
      get perPoint() {
        return index.toMap(perPoint, (n) => n > 0);
      },
      get forwarded() {
        return index.toMap(forwarded, (n) => n > 0);
      },
    }),
  };
}
