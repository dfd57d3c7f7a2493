/**
 * Edge sizing: the gateway's RSS and CPU at 1,000 / 10,000 / 50,000 points/s (10 / 100 / 500
 * Modbus TCP devices × ~100 points at 1 s), each a fresh run of bench/gateway.ts (simulator,
 * mosquitto, `lianwang gateway` child). For comparison, Neuron's published sizing: 10,000 tags in
 * 512 MB.
 *
 *   npx tsx bench/footprint.ts [--short] [--seconds n]
 */
import { pathToFileURL } from 'node:url';
import { type GatewayBenchResult, gatewayBench } from './gateway.ts';
import { fmt, load1 } from './harness.ts';

export interface FootprintPoint {
  devices: number;
  pointsReadPerSecond: number;
  pointsDeliveredPerSecond: number;
  cpuPercent: number;
  rssMb: number;
  /** Highest RSS sample of the run (sampled every 10 s, and at the end). */
  peakRssMb: number;
  heapUsedMb: number;
  /** NODE_OPTIONS of the gateway child, when bench/gateway.ts reports them. */
  nodeOptions: string;
  load: number;
}

export interface FootprintBenchResult {
  seconds: number;
  points: FootprintPoint[];
}

export const FOOTPRINT_DEVICES = [10, 100, 500];

export async function footprintBench(
  short: boolean,
  o: { seconds?: number } = {},
): Promise<FootprintBenchResult> {
  const seconds = o.seconds ?? (short ? 10 : 60);
  const points: FootprintPoint[] = [];
  for (const devices of FOOTPRINT_DEVICES) {
    const r: GatewayBenchResult & { nodeOptions?: string } = await gatewayBench(short, {
      modbusDevices: devices,
      seconds,
      sampleSeconds: Math.min(10, seconds),
    });
    points.push({
      devices,
      pointsReadPerSecond: r.pointsReadPerSecond,
      pointsDeliveredPerSecond: r.pointsDeliveredPerSecond,
      cpuPercent: r.gatewayCpuPercent,
      rssMb: r.gatewayRssMb,
      peakRssMb: Math.max(r.gatewayRssMb, ...r.rssSamplesMb),
      heapUsedMb: r.gatewayHeapUsedMb,
      nodeOptions: r.nodeOptions ?? process.env.GW_NODE_OPTIONS ?? '',
      load: load1(),
    });
  }
  return { seconds, points };
}

export function footprintTable(r: FootprintBenchResult): [string, string, string][] {
  return r.points.map((p) => [
    `footprint: gateway at ${fmt(p.devices * 100)} points/s (${p.devices} Modbus devices × ~100 points @ 1 s${p.nodeOptions ? `, ${p.nodeOptions}` : ''})`,
    `${p.cpuPercent.toFixed(1)}% CPU (of one core), ${p.rssMb.toFixed(0)} MB RSS (peak ${p.peakRssMb.toFixed(0)}, V8 heap ${p.heapUsedMb.toFixed(0)} MB); ${fmt(p.pointsReadPerSecond)} read, ${fmt(p.pointsDeliveredPerSecond)} delivered points/s (load ${p.load.toFixed(1)})`,
    p.devices === 100 ? 'compare: Neuron 10,000 tags in 512 MB' : '',
  ]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--seconds');
  const r = await footprintBench(process.argv.includes('--short'), {
    ...(i < 0 ? {} : { seconds: Number(process.argv[i + 1]) }),
  });
  console.error(JSON.stringify(r, null, 2));
  for (const [a, b, c] of footprintTable(r)) console.log(`${a}\n  ${b}${c ? `  (${c})` : ''}`);
}
