/**
 * The south side's contract. A driver collects from the devices of one protocol and emits
 * readings and device states; it never sees MQTT (STYLE.md: south and north never meet).
 * Constructors only store their arguments; start() does the work; stop() releases every
 * socket, session and timer.
 */
import type { CollectDevice, Connectivity } from '../../config/index.ts';
import type { Value } from '../../wire/modbus/codec.ts';

export type { Value };

/** One sample of one point. `value` is null when quality is bad. */
export interface Reading {
  point: string;
  value: Value | null;
  good: boolean;
  /** Source timestamp (ms since the epoch): when the value was sampled from the device. */
  time: number;
}

export type DeviceState = 'connecting' | 'online' | 'degraded' | 'offline';

export interface DeviceStatus {
  state: DeviceState;
  /** Why it is not online: "connect ECONNREFUSED", "timeout", "exception 02 at input 4", … */
  reason?: string;
  since: number;
}

/** Counters a driver keeps per device, exposed in /metrics. */
export interface DeviceCounters {
  polls: number;
  errors: Record<string, number>;
  /** Actual intervals between poll starts (ms) for drift measurement; the driver keeps the last few. */
  lastDurationMs: number;
}

export interface DriverSink {
  /** Readings of one device from one poll or one batch of subscription notifications. */
  readings(device: string, readings: Reading[]): void;
  status(device: string, status: DeviceStatus): void;
}

export interface DriverLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface DriverContext {
  /** The devices this driver instance serves (all of one protocol). */
  devices: readonly CollectDevice[];
  sink: DriverSink;
  log: DriverLog;
  /** polling.timeout, backoffMin/Max, maxGap from the gateway config. */
  timeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  maxGap: number;
  /** Where drivers may keep state (e.g. OPC UA client PKI). */
  dataDir: string;
}

export interface Driver {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Per-device counters for metrics. */
  counters(): ReadonlyMap<string, DeviceCounters>;
  /**
   * Writes one point (a setpoint or command: `access: readwrite`) in engineering units, with the
   * gateway's scaling undone. Resolves once the device acknowledged; rejects with the reason
   * (a WriteRefused when the point cannot be written at all). Absent: the protocol has no writes.
   */
  write?(device: string, point: string, value: Value): Promise<void>;
}

/** A write refused before anything was sent: unknown device or point, read-only point, unsupported. */
export class WriteRefused extends Error {
  override name = 'WriteRefused';
}

export type DriverFactory = (ctx: DriverContext) => Driver;

export type Protocol = Exclude<Connectivity['type'], 'none'>;
