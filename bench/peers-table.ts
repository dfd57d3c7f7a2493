/** The rows bench/peers.ts adds to the benchmark table (bench/run.ts) and prints on its own. */
import { fmt, pct } from './harness.ts';
import type { PeerRun, PeersBenchResult } from './peers-measure.ts';

const cost = (r: PeerRun) =>
  `${r.cpuPercent.toFixed(0)}% CPU, ${r.rssMb.toFixed(0)} MB RSS, ${fmt(r.pointsPerCpuSecond)} points/CPU-s`;
const drift = (r: PeerRun) =>
  `drift p50 ${pct(r.drift.meanP50)} p99 ${pct(r.drift.meanP99)}, jitter p99 ${pct(r.drift.jitterP99)}`;

export function peersTable(r: PeersBenchResult): [string, string, string][] {
  const scale = `${r.devices} devices, ${fmt(r.pointsPerCycle)} points in ${fmt(r.blocksPerCycle)} block reads @ 1 s`;
  const nr = r.nodeRed;
  return [
    [
      `peers: raw modbus-serial block-read loop, no processing (${scale})`,
      `${fmt(r.raw.pointsReadPerSecond)} points/s; ${cost(r.raw)}; ${drift(r.raw)} (load ${r.raw.load.toFixed(1)})`,
      'the ceiling',
    ],
    [
      'peers: raw loop unpaced (simulator-bound)',
      `${fmt(r.rawUnpaced.pointsReadPerSecond)} points/s; ${cost(r.rawUnpaced)} (load ${r.rawUnpaced.load.toFixed(1)})`,
      '',
    ],
    [
      `peers: lianwang gateway → Sparkplug → mosquitto (same poll set)`,
      `${fmt(r.lianwang.pointsReadPerSecond)} read, ${fmt(r.lianwang.pointsDeliveredPerSecond)} delivered points/s; ${cost(r.lianwang)}; ${drift(r.lianwang)} (load ${r.lianwang.load.toFixed(1)})`,
      '',
    ],
    [
      `peers: Node-RED → JSON → mosquitto (${r.nodeRedVersions})`,
      'error' in nr
        ? `failed: ${nr.error.split('\n')[0] ?? ''}`
        : `${fmt(nr.pointsDeliveredPerSecond)} delivered points/s; ${cost(nr)}; ${drift(nr)} (load ${nr.load.toFixed(1)})`,
      '',
    ],
    [
      'peers: lianwang ÷ Node-RED, points per CPU-second',
      Number.isFinite(r.vsNodeRed)
        ? `${r.vsNodeRed.toFixed(1)}× delivered (${r.vsNodeRedRead.toFixed(1)}× read)`
        : 'n/a (no Node-RED figure)',
      'target ≥ 5×',
    ],
    [
      'peers: lianwang ÷ raw loop, points per CPU-second',
      `${pct(r.vsRaw, 0)} delivered (${pct(r.vsRawRead, 0)} read)`,
      'target ≥ 60%',
    ],
  ];
}
