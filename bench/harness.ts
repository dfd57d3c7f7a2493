/**
 * Shared by the peer, latency and footprint benchmarks: one `lianwang sim` serving N Modbus TCP
 * devices of ~100 points, the gateway file it emits (with the poll plan the gateway derives from
 * it), and the statistics every row reports the same way (percentiles, poll-interval drift, the
 * machine's load next to each figure).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { loadGatewayFile } from '../config/index.ts';
import { planLoops } from '../gateway/drivers/modbus/plan.ts';
import type { Table } from '../wire/modbus/datatypes.ts';
import { type Child, startChild } from './child.ts';
import { benchPlantYaml } from './plant.ts';

/** One block read, as the gateway plans it, with what a peer needs to decode its points. */
export interface PollBlock {
  table: Table;
  address: number;
  quantity: number;
  points: PollPoint[];
}

/** A point of a block: its offset in the block and the codec (device scaling combined with the gateway's). */
export interface PollPoint {
  name: string;
  at: number;
  type: string;
  order: string;
  scale: number;
  offset: number;
  bit?: number;
  length?: number;
}

export interface PollDevice {
  id: string;
  host: string;
  port: number;
  unit: number;
  intervalMs: number;
  blocks: PollBlock[];
}

export interface SimPlant {
  dir: string;
  plantFile: string;
  /** The gateway file `lianwang sim --emit-gateway-config` wrote (devices with their ephemeral ports). */
  gatewayFile: string;
  devices: PollDevice[];
  /** Points per poll cycle over all devices (= points/s at 1 s polling). */
  pointsPerCycle: number;
  sim: Child;
  stop(): Promise<void>;
}

/** Starts the simulator for `devices` Modbus TCP devices × (kind map + `extra` float32 registers). */
export async function startSimPlant(devices: number, broker: string, extra = 85): Promise<SimPlant> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-bench-peer-'));
  const plantFile = path.join(dir, 'plant.yaml');
  const basePort = 20000 + Math.floor(Math.random() * 20000);
  await writeFile(
    plantFile,
    benchPlantYaml({
      modbusDevices: devices,
      opcuaMachines: 0,
      opcuaExtraPoints: 0,
      modbusExtraPoints: extra,
      modbusBasePort: basePort,
      opcuaPort: basePort - 1,
    }),
  );
  const sim = await startChild(
    [
      'sim',
      plantFile,
      '--control-port',
      '0',
      '--ephemeral-ports',
      '--emit-gateway-config',
      dir,
      '--broker',
      broker,
    ],
    /wrote .*bench\.yaml/,
  );
  const stop = async () => {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const gatewayFile = path.join(dir, 'bench.yaml');
    const plan = await pollPlan(gatewayFile);
    const pointsPerCycle = plan.reduce((n, d) => n + d.blocks.reduce((m, b) => m + b.points.length, 0), 0);
    return { dir, plantFile, gatewayFile, devices: plan, pointsPerCycle, sim, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The gateway's own plan (config loader + block planner): the peers read exactly these blocks. */
export async function pollPlan(gatewayFile: string): Promise<PollDevice[]> {
  const loaded = await loadGatewayFile(gatewayFile);
  if (!loaded.ok) throw new Error(`${gatewayFile}: ${loaded.errors.map((e) => e.message).join('; ')}`);
  const maxGap = loaded.value.config.polling.maxGap;
  return loaded.value.devices.flatMap((d) => {
    const c = d.connectivity;
    if (c.type !== 'modbus-tcp') return [];
    return planLoops(d.points, maxGap).map((loop) => ({
      id: d.device.id,
      host: c.host,
      port: c.port,
      unit: c.unitId,
      intervalMs: loop.intervalMs,
      blocks: loop.blocks.map((b) => ({
        table: b.table,
        address: b.address,
        quantity: b.quantity,
        points: b.points.map((p) => ({
          name: p.cp.point.name,
          at: p.offset,
          type: p.codec.type,
          order: p.codec.order,
          // Device scaling, then the gateway's own (value × scale + offset).
          scale: p.codec.scale * p.cp.scale,
          offset: p.codec.offset * p.cp.scale + p.cp.offset,
          ...(p.bit === undefined ? {} : { bit: p.bit }),
          ...(p.codec.length === undefined ? {} : { length: p.codec.length }),
        })),
      })),
    }));
  });
}

/** Rewrites the emitted gateway file for a run: broker, buffer directory, local HTTP port. */
export async function configureGateway(
  file: string,
  o: { broker: string; protocolVersion: 4 | 5; bufferDir: string; httpPort: number },
): Promise<void> {
  const config = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  Object.assign(config, {
    mqtt: { brokers: [o.broker], protocolVersion: o.protocolVersion },
    buffer: { dir: o.bufferDir },
    http: { host: '::1', port: o.httpPort },
  });
  await writeFile(file, stringify(config));
}

/** The 1-minute load average: printed next to every figure (the machine is shared). */
export const load1 = (): number => loadavg()[0] ?? Number.NaN;

/** Nearest-rank percentile of an ascending array. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}

export interface Drift {
  /** |mean interval − configured| / configured per series: p50 and p99 over the series (the gateway's definition). */
  meanP50: number;
  meanP99: number;
  /** |interval − configured| / configured of every single interval: p50, p99. */
  jitterP50: number;
  jitterP99: number;
  /** Intervals that were more than 1.5 × the configured one (a missed or late poll). */
  late: number;
  intervals: number;
}

/** Records read times per series (a device, or one block of a device) between `start()` and `drift()`. */
export class PollTimes {
  readonly #times = new Map<string, number[]>();
  #on = false;

  start(): void {
    this.#times.clear();
    this.#on = true;
  }

  stop(): void {
    this.#on = false;
  }

  add(series: string, time: number): void {
    if (!this.#on) return;
    const list = this.#times.get(series);
    if (list) list.push(time);
    else this.#times.set(series, [time]);
  }

  drift(intervalMs: number): Drift {
    const means: number[] = [];
    const jitters: number[] = [];
    let late = 0;
    for (const times of this.#times.values()) {
      if (times.length < 2) continue;
      times.sort((a, b) => a - b);
      for (let i = 1; i < times.length; i++) {
        const d = (times[i] ?? 0) - (times[i - 1] ?? 0);
        jitters.push(Math.abs(d - intervalMs) / intervalMs);
        if (d > 1.5 * intervalMs) late++;
      }
      const mean = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / (times.length - 1);
      means.push(Math.abs(mean - intervalMs) / intervalMs);
    }
    means.sort((a, b) => a - b);
    jitters.sort((a, b) => a - b);
    return {
      meanP50: quantile(means, 0.5),
      meanP99: quantile(means, 0.99),
      jitterP50: quantile(jitters, 0.5),
      jitterP99: quantile(jitters, 0.99),
      late,
      intervals: jitters.length,
    };
  }
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en');
export const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}%`;
