/** The north side's contract: a publisher takes device states and readings; only it knows topics. */
import type { DeviceStatus, DriverLog, Reading } from '../drivers/types.ts';

/** What the north side needs to know about a device's points (for births). */
export interface PointMeta {
  name: string;
  /** Sparkplug datatype code. */
  datatype: number;
  unit?: string;
  range?: [number, number];
}

export interface DeviceMeta {
  /** `<enterprise>/<device>` */
  key: string;
  /** Device id: the Sparkplug device token. */
  id: string;
  enterprise: string;
  points: PointMeta[];
}

/**
 * A write asked for from the north (a Sparkplug DCMD metric). The publisher only translates topic and
 * alias; the app decides whether the point may be written, routes it to the driver and counts it.
 */
export interface Command {
  /** The gateway's device key, or undefined when the command names no device of this gateway. */
  device: string | undefined;
  /** The device as the command named it (the Sparkplug device id). */
  deviceId: string;
  /** The point, or undefined when neither its name nor its alias is known. */
  point: string | undefined;
  /** How the command named the metric, for logs: its name or `alias N`. */
  metric: string;
  value: unknown;
}

export interface NorthStats {
  connected: boolean;
  broker: string | undefined;
  connects: number;
  connectFailures: number;
  published: Record<string, number>;
  pointsPublished: number;
  pointsQueued: number;
  pointsReplayed: number;
  /** Bad readings of a device that is dead north (its DDEATH stands for them): not published. */
  pointsDead: number;
  inFlight: number;
  rebirths: number;
  commandsIgnored: number;
  /** Device commands (DCMD metrics) handed to the app. */
  commandsReceived: number;
}

export const emptyNorthStats = (): NorthStats => ({
  connected: false,
  broker: undefined,
  connects: 0,
  connectFailures: 0,
  published: {},
  pointsPublished: 0,
  pointsQueued: 0,
  pointsReplayed: 0,
  pointsDead: 0,
  inFlight: 0,
  rebirths: 0,
  commandsIgnored: 0,
  commandsReceived: 0,
});

export interface Publisher {
  start(): Promise<void>;
  /** Publishes the node's death (graceful), flushes the queue, closes the connection. */
  stop(): Promise<void>;
  status(device: string, status: DeviceStatus): void;
  readings(device: string, readings: Reading[]): void;
  /** A new device list (SIGHUP): re-announced with a rebirth where the protocol has births. */
  setDevices(devices: readonly DeviceMeta[]): void;
  stats(): NorthStats;
}

export type { DeviceStatus, DriverLog, Reading };
