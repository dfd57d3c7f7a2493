/**
 * The OPC UA driver: one client and session per server (devices grouped by endpoint URL, security and
 * user), each point a monitored item, one state machine per device.
 *
 * Files: endpoint.ts dials (the IPv6 workaround), discovery.ts fetches a secured server's
 * certificate and trust.ts decides on it, session.ts keeps a session and its subscriptions alive,
 * subscriptions.ts says what is monitored how, values.ts turns DataValues into readings, health.ts
 * derives device states. README.md says why it is built this way.
 *
 * The client PKI (own certificate and key, generated on first start) lives in `<dataDir>/opcua-pki`,
 * never in ~/.config; known-servers.json there records first-use server certificates.
 */
import path from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';
import { type CollectDevice, opcuaNodeId } from '../../../config/index.ts';
import type { DeviceCounters, Driver, DriverContext, DriverFactory } from '../types.ts';
import { parseEndpoint } from './endpoint.ts';
import { DeviceHealth } from './health.ts';
import { type ConnectionOptions, ServerConnection } from './session.ts';
import type { MonitoredPoint } from './subscriptions.ts';
import { type ServerTrust, TrustStore } from './trust.ts';
import type { Sample } from './values.ts';

export type { ServerTrust } from './trust.ts';

export interface OpcuaDriverOptions {
  /**
   * Server certificate trust by endpoint URL as written in the configuration. Endpoints not listed are
   * trusted on first use (trust.ts). When the connectivity schema gains `trustFingerprints`, it maps
   * onto `{ fingerprints }` here (see `trustOf`).
   */
  trust?: Readonly<Record<string, ServerTrust>>;
  /** Longest silence before the server sends a keep-alive; the watchdog allows twice this. Default 5 s. */
  keepAliveMs?: number;
  /** How long a server keeps an orphaned session and subscription (and their queued samples). Default 60 s. */
  lifetimeMs?: number;
  /** How long node-opcua may repair a broken connection before a full rebuild. Default max(30 s, 2 × backoffMax). */
  repairTimeoutMs?: number;
}

type OpcuaConnectivity = Extract<CollectDevice['connectivity'], { type: 'opcua' }>;

/** A driver factory with options the configuration does not carry (yet). */
export function opcuaDriverFactory(options: OpcuaDriverOptions = {}): DriverFactory {
  return (ctx) => new OpcuaDriver(ctx, options);
}

export const createOpcuaDriver: DriverFactory = opcuaDriverFactory();

class OpcuaDriver implements Driver {
  readonly #ctx: DriverContext;
  readonly #options: OpcuaDriverOptions;
  readonly #connections: ServerConnection[] = [];
  readonly #counters = new Map<string, DeviceCounters>();
  readonly #lastBatch = new Map<string, number>();
  #certificateManager: OPCUACertificateManager | undefined;
  #started = false;

  constructor(ctx: DriverContext, options: OpcuaDriverOptions) {
    this.#ctx = ctx;
    this.#options = options;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const ctx = this.#ctx;
    const pkiDir = path.join(ctx.dataDir, 'opcua-pki');
    const certificateManager = new OPCUACertificateManager({
      rootFolder: pkiDir,
      automaticallyAcceptUnknownCertificate: false,
      // No chokidar watchers on the PKI folders: nothing to release in stop(), nothing polling.
      disableFileWatchers: true,
    });
    this.#certificateManager = certificateManager;
    await certificateManager.initialize();
    const trustStore = new TrustStore(pkiDir);

    for (const [key, devices] of groupByServer(ctx.devices)) {
      const connectivity = devices[0]?.connectivity as OpcuaConnectivity;
      const health = new Map<string, DeviceHealth>();
      for (const d of devices) {
        const deviceKey = keyOf(d);
        this.#counters.set(deviceKey, { polls: 0, errors: {}, lastDurationMs: 0 });
        const h = new DeviceHealth(
          d.points.map((p) => p.point.name),
          (status) => ctx.sink.status(deviceKey, status),
        );
        health.set(deviceKey, h);
        h.start(`connecting to ${connectivity.endpoint}`);
      }
      let endpoint;
      try {
        endpoint = parseEndpoint(connectivity.endpoint);
      } catch (err) {
        for (const h of health.values()) h.linkDown(err instanceof Error ? err.message : String(err));
        continue;
      }
      if (connectivity.username !== undefined && connectivity.securityMode === 'None')
        ctx.log.warn(
          { endpoint: connectivity.endpoint },
          'OPC UA user name and password over a None channel: the server certificate that protects the password is not verified',
        );
      const options: ConnectionOptions = {
        endpoint,
        securityMode: connectivity.securityMode,
        securityPolicy: connectivity.securityPolicy,
        user:
          connectivity.username === undefined
            ? undefined
            : { username: connectivity.username, password: connectivity.password ?? '' },
        trust: trustOf(connectivity, this.#options),
        trustStore,
        certificateManager,
        points: devices.flatMap(monitoredPoints),
        timing: {
          timeoutMs: ctx.timeoutMs,
          backoffMinMs: ctx.backoffMinMs,
          backoffMaxMs: ctx.backoffMaxMs,
          keepAliveMs: this.#options.keepAliveMs ?? 5_000,
          lifetimeMs: this.#options.lifetimeMs ?? 60_000,
          repairTimeoutMs: this.#options.repairTimeoutMs ?? Math.max(30_000, 2 * ctx.backoffMaxMs),
        },
        log: ctx.log,
        events: {
          samples: (device, samples) => this.#onSamples(device, samples, health.get(device)),
          refused: (refusals) => {
            for (const [device, list] of groupBy(refusals, (r) => r.point.device))
              health.get(device)?.report(list.map((r) => [r.point.point, r.status] as const));
          },
          up: () => {
            for (const h of health.values()) h.linkUp();
          },
          down: (reason) => {
            for (const [device, h] of health) {
              h.linkDown(reason);
              const errors = this.#counters.get(device)?.errors;
              if (errors) {
                const kind = reason.replace(/\d+/g, 'N');
                errors[kind] = (errors[kind] ?? 0) + 1;
              }
            }
          },
        },
      };
      ctx.log.info(
        { endpoint: connectivity.endpoint, devices: devices.length, server: key },
        'OPC UA connecting',
      );
      const connection = new ServerConnection(options);
      this.#connections.push(connection);
      connection.start();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.#connections.map((c) => c.stop()));
    this.#connections.length = 0;
    await this.#certificateManager?.dispose();
    this.#certificateManager = undefined;
  }

  counters(): ReadonlyMap<string, DeviceCounters> {
    return this.#counters;
  }

  #onSamples(device: string, samples: Sample[], health: DeviceHealth | undefined): void {
    const counters = this.#counters.get(device);
    if (counters) {
      const now = Date.now();
      const last = this.#lastBatch.get(device);
      counters.polls++;
      if (last !== undefined) counters.lastDurationMs = now - last;
      this.#lastBatch.set(device, now);
      for (const s of samples) if (s.status) counters.errors[s.status] = (counters.errors[s.status] ?? 0) + 1;
    }
    health?.report(samples.map((s) => [s.reading.point, s.status ?? null] as const));
    this.#ctx.sink.readings(
      device,
      samples.map((s) => s.reading),
    );
  }
}

const keyOf = (d: CollectDevice): string => `${d.device.enterprise}/${d.device.id}`;

/** Devices sharing endpoint, security and user share one session. */
function groupByServer(devices: readonly CollectDevice[]): Map<string, CollectDevice[]> {
  return groupBy(
    devices.filter((d) => d.connectivity.type === 'opcua'),
    (d) => {
      const c = d.connectivity as OpcuaConnectivity;
      return `${c.endpoint} ${c.securityMode}/${c.securityPolicy}${c.username === undefined ? '' : ` as ${c.username}`}`;
    },
  );
}

function monitoredPoints(d: CollectDevice): MonitoredPoint[] {
  return d.points.map((p) => ({
    device: keyOf(d),
    point: p.point.name,
    nodeId: opcuaNodeId(d.device, p.point),
    intervalMs: p.intervalMs,
    deadband: p.deadband,
    numeric: p.point.type !== 'bool' && p.point.type !== 'string',
    scaling: { scale: p.scale, offset: p.offset },
  }));
}

/** The trust of an endpoint: the driver's option, else (once the schema has it) the connectivity's fingerprints. */
function trustOf(c: OpcuaConnectivity, options: OpcuaDriverOptions): ServerTrust | undefined {
  const configured = options.trust?.[c.endpoint];
  if (configured) return configured;
  const list = (c as { trustFingerprints?: unknown }).trustFingerprints;
  if (!Array.isArray(list)) return undefined;
  const fingerprints = (list as unknown[]).filter((f): f is string => typeof f === 'string');
  return fingerprints.length ? { fingerprints } : undefined;
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
