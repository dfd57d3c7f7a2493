/**
 * `lianwang sim --fleet <plant.yaml> --broker url`: the province-scale fleet (docs/fleet.md) —
 * every connected device of the plant as virtual Sparkplug B edge nodes, until SIGINT/SIGTERM or
 * --duration. Prints a status line every --status-every (JSON lines with --json).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatError, loadPlantFile, parseDuration, type Plant } from '../../config/index.ts';
import {
  Fleet,
  type FleetPlan,
  type FleetStats,
  memoryLinks,
  mqttLinks,
  NO_OUTAGES,
  type OutageConfig,
  planFleet,
  REALISTIC_OUTAGES,
  scalePlant,
  type ScaledPlant,
} from '../../simulators/fleet/index.ts';

const USAGE = `usage: lianwang sim --fleet <plant.yaml> --broker mqtt://host:port [options]
  --rate n              DDATA per device per second (default 0.2 = every 5 s)
  --scale k | --devices n   multiply the plant's scenario, or scale it to ≥ n connected devices
  --write-plant file    write the (scaled) plant file for the cloud's ledger (alone: write and exit)
  --node-size n         devices per edge node (default: one node per enterprise)
  --qos 0|1             QoS of DDATA (default 0; births and deaths always 1)
  --seed n              (default 1)
  --duration 5m         stop after this long (default: until SIGINT/SIGTERM)
  --device-mtbf 6h --device-outage 10m --gateway-mtbf 24h --gateway-outage 5m   (0 = never)
  --no-outages          no scheduled outages
  --protocol 4|5        MQTT version (default 4; aedes speaks 4 only)
  --status-every 10s    status interval; --json for JSON lines
  --dry-run             no broker: generate and encode only (measures the generator)`;

type Values = Record<string, string | boolean | undefined>;

function duration(v: Values, name: string, fallback: number): number {
  const text = v[name];
  if (typeof text !== 'string') return fallback;
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new UsageError(`--${name}: expected a duration like 90s, 10m or 6h, got "${text}"`);
  return ms;
}

function num(v: Values, name: string, fallback: number): number {
  const text = v[name];
  if (typeof text !== 'string') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name}: expected a positive number, got "${text}"`);
  return n;
}

class UsageError extends Error {}

/**
 * The fleet plan of the plant (scaled, and written for the cloud, when asked); an exit code on
 * config errors. Only the plan is kept: 140,000 resolved ledger entries are garbage once planned.
 */
async function loadPlan(v: Values, file: string, out: string | undefined): Promise<FleetPlan | number> {
  const nodeSize = v['node-size'] === undefined ? undefined : num(v, 'node-size', 1);
  const plan = (plant: Plant) => planFleet(plant, nodeSize === undefined ? {} : { nodeSize });
  if (v.scale === undefined && v.devices === undefined) {
    const loaded = await loadPlantFile(file);
    if (loaded.ok) return plan(loaded.value);
    for (const e of loaded.errors) console.error(formatError(e));
    return 1;
  }
  const by = v.scale !== undefined ? { scale: num(v, 'scale', 1) } : { devices: num(v, 'devices', 1) };
  let scaled: ScaledPlant;
  try {
    scaled = await scalePlant(file, by, out ?? file);
  } catch (err) {
    console.error(`lianwang sim --fleet: ${(err as Error).message}`);
    return 1;
  }
  console.error(`${file} × ${scaled.scale.toFixed(3)}: ${scaled.connected} connected devices`);
  if (out) {
    await writeFile(out, scaled.text);
    console.error(`wrote ${out} (give it to the cloud: lianwang cloud --plant ${out})`);
  }
  return plan(scaled.plant);
}

export async function simFleetCommand(args: string[]): Promise<number> {
  let values: Values;
  try {
    values = options(args);
  } catch (err) {
    console.error(`lianwang sim --fleet: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  try {
    return await run(values);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`lianwang sim --fleet: ${err.message}\n${USAGE}`);
    return 2;
  }
}

function options(args: string[]): Values {
  const { values } = parseArgs({
    args,
    options: {
      fleet: { type: 'string' },
      broker: { type: 'string' },
      rate: { type: 'string' },
      scale: { type: 'string' },
      devices: { type: 'string' },
      'write-plant': { type: 'string' },
      'node-size': { type: 'string' },
      qos: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      duration: { type: 'string' },
      'device-mtbf': { type: 'string' },
      'device-outage': { type: 'string' },
      'gateway-mtbf': { type: 'string' },
      'gateway-outage': { type: 'string' },
      'no-outages': { type: 'boolean', default: false },
      protocol: { type: 'string', default: '4' },
      'status-every': { type: 'string', default: '10s' },
      json: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  return values;
}

async function run(v: Values): Promise<number> {
  const file = v.fleet;
  if (typeof file !== 'string') throw new UsageError('expected a plant file after --fleet');
  const broker = typeof v.broker === 'string' ? v.broker : undefined;
  const out = typeof v['write-plant'] === 'string' ? v['write-plant'] : undefined;
  if (!broker && !v['dry-run'] && !out) throw new UsageError('expected --broker (or --dry-run)');
  if (v.scale !== undefined && v.devices !== undefined)
    throw new UsageError('--scale or --devices, not both');
  if (out && v.scale === undefined && v.devices === undefined)
    throw new UsageError(
      '--write-plant needs --scale or --devices (otherwise give the cloud the plant file itself)',
    );
  if (v.qos !== '0' && v.qos !== '1') throw new UsageError(`--qos: expected 0 or 1, got "${String(v.qos)}"`);
  if (v.protocol !== '4' && v.protocol !== '5') throw new UsageError('--protocol: expected 4 or 5');
  const seed = Number(v.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed: expected an integer, got "${String(v.seed)}"`);

  const plan = await loadPlan(v, file, out);
  if (typeof plan === 'number') return plan;
  if (!broker && !v['dry-run']) return 0;
  const outages: OutageConfig = v['no-outages']
    ? NO_OUTAGES
    : {
        ...REALISTIC_OUTAGES,
        device: {
          everyMs: duration(v, 'device-mtbf', REALISTIC_OUTAGES.device.everyMs),
          forMs: duration(v, 'device-outage', REALISTIC_OUTAGES.device.forMs),
        },
        gateway: {
          everyMs: duration(v, 'gateway-mtbf', REALISTIC_OUTAGES.gateway.everyMs),
          forMs: duration(v, 'gateway-outage', REALISTIC_OUTAGES.gateway.forMs),
        },
      };
  let dryBytes = 0;
  const links = broker
    ? mqttLinks({ broker, protocolVersion: v.protocol === '5' ? 5 : 4 })
    : memoryLinks((_c, f) => (dryBytes += f.payload.length)).links;
  const fleet = new Fleet({
    plan,
    links,
    seed,
    rate: num(v, 'rate', 0.2),
    qos: v.qos === '1' ? 1 : 0,
    outages,
  });
  const every = duration(v, 'status-every', 10_000);
  const stopAfter = v.duration === undefined ? undefined : duration(v, 'duration', 0);
  console.error(
    `fleet: ${plan.nodes.length} edge nodes, ${plan.devices} devices (of ${plan.ledgerDevices} in the ledger) → ${broker ?? 'dry run'}`,
  );
  fleet.start();

  const status = statusPrinter(fleet, v.json === true, () => dryBytes);
  const timer = setInterval(status, every);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (stopAfter !== undefined) setTimeout(resolve, stopAfter).unref();
  });
  clearInterval(timer);
  status();
  await fleet.stop();
  console.error('fleet stopped (NDEATH sent by every node)');
  return 0;
}

/** A status line per call: rates over the interval since the previous call. */
function statusPrinter(fleet: Fleet, json: boolean, dryBytes: () => number): () => void {
  let prev: { at: number; samples: number; messages: number; cpu: NodeJS.CpuUsage } = {
    at: performance.now(),
    samples: 0,
    messages: 0,
    cpu: process.cpuUsage(),
  };
  return () => {
    const s: FleetStats = fleet.stats();
    const at = performance.now();
    const cpu = process.cpuUsage();
    const seconds = (at - prev.at) / 1000;
    const messages = Object.values(s.messages).reduce((a, b) => a + b, 0);
    const line = {
      ...s,
      pointsPerSecond: (s.samples - prev.samples) / seconds,
      messagesPerSecond: (messages - prev.messages) / seconds,
      cpuPercent: (cpu.user - prev.cpu.user + cpu.system - prev.cpu.system) / 1e4 / seconds || 0,
      rssMb: process.memoryUsage().rss / 2 ** 20,
      ...(dryBytes() ? { dryRunBytes: dryBytes() } : {}),
    };
    prev = { at, samples: s.samples, messages, cpu };
    if (json) {
      console.log(JSON.stringify(line));
      return;
    }
    const f = (n: number) => Math.round(n).toLocaleString('en');
    console.log(
      `fleet ${f(s.elapsedMs / 1000)} s: nodes ${s.nodes.up}/${s.nodes.total} up (${s.nodes.connecting} connecting), ` +
        `devices ${f(s.devices.reachable)}/${f(s.devices.total)} reachable, ${f(line.pointsPerSecond)} points/s ` +
        `(${f(line.messagesPerSecond)} msg/s), samples ${f(s.samples)} (historical ${f(s.historicalPoints)}), ` +
        `buffered ${f(s.buffer.messages)} msg, outages ${s.gatewayOutages} gateway / ${s.deviceOutages} device, ` +
        `lag ${f(s.lagMs)} ms, socket backlog ${f(s.socketBacklogBytes / 1024)} KiB, ` +
        `${line.cpuPercent.toFixed(0)}% CPU, ${f(line.rssMb)} MB RSS`,
    );
  };
}
