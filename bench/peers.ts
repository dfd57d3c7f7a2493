/**
 * The gateway next to what a user would pick instead, same simulator, same poll set, same broker:
 *
 * - **raw ceiling**: a bare modbus-serial block-read loop (bench/raw-loop.ts), no decoding, no
 *   publishing — paced at the same 1 s interval (points per CPU-second: the ceiling the gateway is
 *   held against), then unpaced (how fast the simulator answers);
 * - **lianwang**: `lianwang gateway` polling the plant, Sparkplug B to mosquitto;
 * - **Node-RED** 4 with node-red-contrib-modbus, installed from npm into a temp directory at run time
 *   (never a project dependency), with a generated flow: per device a modbus-client, per block the
 *   gateway plans a modbus-read (1 s) → a function node decoding that block's points (same codecs)
 *   → json → mqtt out (QoS 1) to the same mosquitto.
 *
 * Each contender runs alone (one after the other) against the one simulator. Points delivered are
 * counted by a subscriber; CPU and RSS from /proc of the contender's process; poll-interval drift
 * from the read times (metric timestamps, or the time the function node ran). Ratios, never asserted:
 * lianwang points per CPU-second ÷ Node-RED's (target ≥ 5×) and ÷ the raw loop's (target ≥ 60%).
 *
 *   npx tsx bench/peers.ts [--short] [--devices n] [--seconds n]
 *
 * NODE_RED_DIR=<dir> reuses a directory where node-red and node-red-contrib-modbus are installed
 * (skips the ~20 s install while iterating); GW_NODE_OPTIONS sets the gateway child's Node options.
 */
import { rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { decodePayload } from '../wire/sparkplug/index.ts';
import { PollTimes, type SimPlant, startSimPlant } from './harness.ts';
import { runLianwang, runRaw } from './peers-contenders.ts';
import type { Counters, PeerRun, PeersBenchResult } from './peers-measure.ts';
import { CONTRIB_MODBUS, installNodeRed, NODE_RED, runNodeRed } from './peers-node-red.ts';
import { peersTable } from './peers-table.ts';

export type { PeerRun, PeersBenchResult } from './peers-measure.ts';
export { CONTRIB_MODBUS, installNodeRed, NODE_RED } from './peers-node-red.ts';
export { peersTable } from './peers-table.ts';

export interface PeersBenchOptions {
  /** Modbus TCP devices of ~100 points (default 100: 10,000 points/s at 1 s). */
  devices?: number;
  /** Measurement per contender (default 10 s short, 60 s full), after a 5 s warm-up. */
  seconds?: number;
}

export async function peersBench(short: boolean, o: PeersBenchOptions = {}): Promise<PeersBenchResult> {
  const devices = o.devices ?? 100;
  const seconds = o.seconds ?? (short ? 10 : 60);
  // Installed first: npm's CPU would disturb the measurements. Without it (no registry), the other
  // contenders still run and the Node-RED row says why it is missing.
  const nodeRed = await installNodeRed().catch((err: unknown) => ({
    dir: '',
    seconds: 0,
    versions: `${NODE_RED}, ${CONTRIB_MODBUS}`,
    owned: false,
    error: (err as Error).message,
  }));
  let broker: Awaited<ReturnType<typeof startMosquitto>> | undefined;
  let plant: SimPlant | undefined;
  let subscriber: mqtt.MqttClient | undefined;
  try {
    broker = await startMosquitto();
    subscriber = await mqtt.connectAsync(broker.url, { protocolVersion: 5 }, false);
    plant = await startSimPlant(devices, broker.url);
    const lw: Counters = { delivered: 0, read: 0 };
    const nr: Counters = { delivered: 0, read: 0 };
    const lwTimes = new PollTimes();
    const nrTimes = new PollTimes();
    subscriber.on('message', (topic, payload) => {
      if (topic.startsWith('spBv1.0/')) {
        const p = decodePayload(payload);
        lw.delivered += p.metrics.length;
        let first = Infinity;
        for (const m of p.metrics) if (m.timestamp !== undefined && m.timestamp < first) first = m.timestamp;
        if (first < Infinity) lwTimes.add(topic, first);
      } else {
        const m = JSON.parse(payload.toString()) as { t: number; n: number };
        nr.delivered += m.n;
        nr.read += m.n;
        nrTimes.add(topic, m.t);
      }
    });
    await subscriber.subscribeAsync(['spBv1.0/bench/DDATA/#', 'nodered/#'], { qos: 0 });

    const raw = await runRaw(plant, 'paced', seconds);
    const rawUnpaced = await runRaw(plant, 'unpaced', short ? 5 : 20);
    const { run: lianwang, nodeOptions } = await runLianwang(plant, broker.url, lw, lwTimes, seconds);
    let nodeRedRun: PeerRun | { error: string };
    try {
      if ('error' in nodeRed) throw new Error(nodeRed.error);
      nodeRedRun = await runNodeRed(plant, nodeRed.dir, broker.port, nr, nrTimes, seconds);
    } catch (err) {
      nodeRedRun = { error: (err as Error).message.slice(0, 500) };
    }
    const blocksPerCycle = plant.devices.reduce((n, d) => n + d.blocks.length, 0);
    const nrPpc = 'error' in nodeRedRun ? Number.NaN : nodeRedRun.pointsPerCpuSecond;
    const lwReadPpc = (lianwang.pointsReadPerSecond / lianwang.cpuPercent) * 100;
    return {
      devices,
      pointsPerCycle: plant.pointsPerCycle,
      blocksPerCycle,
      raw,
      rawUnpaced,
      lianwang,
      nodeRed: nodeRedRun,
      nodeRedVersions: nodeRed.versions,
      nodeRedInstallSeconds: nodeRed.seconds,
      gatewayNodeOptions: nodeOptions,
      vsNodeRed: lianwang.pointsPerCpuSecond / nrPpc,
      vsNodeRedRead: lwReadPpc / nrPpc,
      vsRaw: lianwang.pointsPerCpuSecond / raw.pointsPerCpuSecond,
      vsRawRead: lwReadPpc / raw.pointsPerCpuSecond,
    };
  } finally {
    await subscriber?.endAsync();
    await plant?.stop();
    await broker?.stop();
    if (nodeRed.owned) await rm(nodeRed.dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? undefined : Number(process.argv[i + 1]);
  };
  const devices = arg('--devices');
  const seconds = arg('--seconds');
  const r = await peersBench(process.argv.includes('--short'), {
    ...(devices === undefined ? {} : { devices }),
    ...(seconds === undefined ? {} : { seconds }),
  });
  console.error(JSON.stringify(r, null, 2));
  for (const [a, b, c] of peersTable(r)) console.log(`${a}\n  ${b}${c ? `  (${c})` : ''}`);
}
