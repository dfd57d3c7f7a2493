/**
 * Starts the simulated plant: one SimDevice per connected ledger device, Modbus TCP ports
 * (grouped by configured port, several unit ids per port), Modbus RTU lines (grouped by
 * serial path), OPC UA servers (grouped by endpoint port, many machines per server), the
 * clock that steps the models, the fault controller and the ground-truth log.
 */
import path from 'node:path';
import { ledgerDevices, type Plant, type ResolvedDevice } from '../../config/index.ts';
import type { FaultEvent } from '../../config/model/faults.ts';
import { SimDevice } from '../device.ts';
import { ModbusRtuLine } from '../modbus/server-rtu.ts';
import { ModbusTcpPort } from '../modbus/server-tcp.ts';
import { modelFor } from '../models/index.ts';
import { type OpcuaSim, startOpcuaServer } from '../opcua/server.ts';
import { SimClock } from './clock.ts';
import { FaultController, type Restartable } from './controller.ts';
import { GroundTruth } from './ground-truth.ts';

export interface SimulationOptions {
  plant: Plant;
  /** Only devices of this enterprise / line. */
  enterprise?: string;
  line?: string;
  seed?: number;
  speed?: number;
  tickMs?: number;
  /** Bind address for Modbus TCP and OPC UA; default '::' (dual stack). */
  bindHost?: string;
  /** Bind every configured port as 0 (ephemeral) — for tests; see `ports`. */
  ephemeralPorts?: boolean;
  /** OPC UA PKI directory (generated on first start); default `.data/sim-pki`. */
  pkiDir?: string;
  opcua?: {
    securityModes?: ('None' | 'Sign' | 'SignAndEncrypt')[];
    users?: { username: string; password: string }[];
    allowAnonymous?: boolean;
  };
  /** Extra fault events, added to the plant's timeline. */
  faults?: readonly FaultEvent[];
}

export interface Simulation {
  devices: ReadonlyMap<string, SimDevice>;
  modbusPorts: ReadonlyMap<number, ModbusTcpPort>;
  rtuLines: readonly ModbusRtuLine[];
  opcuaServers: ReadonlyMap<number, OpcuaSim>;
  /** Configured port → port actually listening (they differ with ephemeralPorts). */
  ports: ReadonlyMap<number, number>;
  clock: SimClock;
  faults: FaultController;
  truth: GroundTruth;
  /** Where a client reaches the device now: "host:port#unit", a serial path, or an OPC UA URL. */
  addressOf(device: SimDevice): string;
  stop(): Promise<void>;
}

/** FNV-1a: a stable per-device seed from the run's seed and the device key. */
function seedFor(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}

const opcuaPort = (endpoint: string): number => Number(new URL(endpoint).port || 4840);

export async function startSimulation(opts: SimulationOptions): Promise<Simulation> {
  const seed = opts.seed ?? 1;
  const selected: ResolvedDevice[] = [...ledgerDevices(opts.plant)].filter(
    (d) =>
      d.connectivity.type !== 'none' &&
      (opts.enterprise === undefined || d.enterprise === opts.enterprise) &&
      (opts.line === undefined || d.line === opts.line),
  );
  const devices = new Map<string, SimDevice>();
  for (const d of selected) {
    const sim = new SimDevice(d, modelFor(d.kind), seedFor(seed, `${d.enterprise}/${d.id}`));
    devices.set(sim.key, sim);
  }

  const tcpGroups = new Map<number, Map<number, SimDevice>>();
  const rtuGroups = new Map<string, { device: ResolvedDevice; units: Map<number, SimDevice> }>();
  const opcuaGroups = new Map<number, SimDevice[]>();
  for (const sim of devices.values()) {
    const c = sim.device.connectivity;
    if (c.type === 'modbus-tcp') {
      const units = tcpGroups.get(c.port) ?? new Map<number, SimDevice>();
      units.set(c.unitId, sim);
      tcpGroups.set(c.port, units);
    } else if (c.type === 'modbus-rtu') {
      const g = rtuGroups.get(c.path) ?? { device: sim.device, units: new Map<number, SimDevice>() };
      g.units.set(c.unitId, sim);
      rtuGroups.set(c.path, g);
    } else if (c.type === 'opcua') {
      const port = opcuaPort(c.endpoint);
      opcuaGroups.set(port, [...(opcuaGroups.get(port) ?? []), sim]);
    }
  }

  const modbusPorts = new Map<number, ModbusTcpPort>();
  const rtuLines: ModbusRtuLine[] = [];
  const opcuaServers = new Map<number, OpcuaSim>();
  const ports = new Map<number, number>();
  const clock = new SimClock({
    ...(opts.speed ? { speed: opts.speed } : {}),
    ...(opts.tickMs ? { tickMs: opts.tickMs } : {}),
  });
  const truth = new GroundTruth();
  const serverOf = new Map<SimDevice, Restartable>();

  const stopAll = async () => {
    clock.stop();
    await Promise.allSettled([
      ...[...modbusPorts.values()].map((p) => p.stop()),
      ...rtuLines.map((l) => l.stop()),
      ...[...opcuaServers.values()].map((s) => s.stop()),
    ]);
  };

  try {
    for (const [configured, units] of tcpGroups) {
      const port = new ModbusTcpPort({
        host: opts.bindHost ?? '::',
        port: opts.ephemeralPorts ? 0 : configured,
        units,
      });
      await port.start().catch((err: unknown) => {
        throw new Error(`Modbus TCP port ${configured}: ${(err as Error).message}`, { cause: err });
      });
      modbusPorts.set(configured, port);
      ports.set(configured, port.port);
      const r: Restartable = { devices: [...units.values()], restart: (ms) => port.restart(ms) };
      for (const d of units.values()) serverOf.set(d, r);
    }
    for (const [devicePath, g] of rtuGroups) {
      const c = g.device.connectivity;
      if (c.type !== 'modbus-rtu') continue;
      const line = new ModbusRtuLine({ ...c, path: devicePath, units: g.units });
      await line.start();
      rtuLines.push(line);
    }
    for (const [configured, group] of opcuaGroups) {
      const server = await startOpcuaServer({
        devices: group,
        port: opts.ephemeralPorts ? 0 : configured,
        host: opts.bindHost ?? '::',
        pkiDir: opts.pkiDir ?? path.resolve('.data/sim-pki'),
        ...(opts.opcua ?? {}),
      });
      opcuaServers.set(configured, server);
      ports.set(configured, server.port);
      const r: Restartable = { devices: group, restart: (ms) => server.restart(ms) };
      for (const d of group) serverOf.set(d, r);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  const faults = new FaultController({
    devices,
    plant: opts.plant,
    clock,
    truth,
    serverOf: (d) => serverOf.get(d),
    timeline: [...opts.plant.faults, ...(opts.faults ?? [])],
  });
  faults.start();
  clock.start((dtMs) => {
    for (const d of devices.values()) d.step(dtMs / 1000);
    faults.tick();
  });

  return {
    devices,
    modbusPorts,
    rtuLines,
    opcuaServers,
    ports,
    clock,
    faults,
    truth,
    addressOf(device) {
      const c = device.device.connectivity;
      if (c.type === 'modbus-tcp') return `[${c.host}]:${ports.get(c.port) ?? c.port}#${c.unitId}`;
      if (c.type === 'modbus-rtu') return `${c.path}#${c.unitId}`;
      if (c.type === 'opcua') return opcuaServers.get(opcuaPort(c.endpoint))?.endpointUrl ?? c.endpoint;
      return '-';
    },
    async stop() {
      faults.stopAll();
      await stopAll();
    },
  };
}
