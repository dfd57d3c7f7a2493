/**
 * `npm run bench [-- --short] [-- --skip fleet,peers]`: runs the benchmarks, prints one table, writes
 * bench/results/<date>.json and (full mode, nothing skipped) the latest table into docs/performance.md.
 */
import { cpus, totalmem } from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { brokerBench, brokerTable } from './broker.ts';
import { fleetBench, fleetTable } from './fleet.ts';
import { gatewayBench } from './gateway.ts';
import { footprintBench, footprintTable } from './footprint.ts';
import { ingestBench, ingestTable } from './ingest.ts';
import { latencyBench, latencyTable } from './latency.ts';
import { peersBench, peersTable } from './peers.ts';
import { ratesBench, ratesTable } from './rates.ts';
import { replayBench } from './replay.ts';
import { simBench } from './sim.ts';

const short = process.argv.includes('--short');
const NAMES = [
  'sim',
  'gateway',
  'opcua',
  'replay',
  'ingest',
  'broker',
  'rates',
  'peers',
  'latency',
  'footprint',
  'fleet',
];
const skipAt = process.argv.indexOf('--skip');
const skip = new Set(skipAt < 0 ? [] : (process.argv[skipAt + 1] ?? '').split(',').filter(Boolean));
for (const name of skip) {
  if (!NAMES.includes(name)) {
    console.error(`--skip: unknown benchmark "${name}" (one of ${NAMES.join(', ')})`);
    process.exit(2);
  }
}
/** The benchmark under way: named on a failed exit (13 = a benchmark's promise never settled). */
let current = 'start';
const run = (name: string) => {
  current = name;
  return !skip.has(name);
};
process.on('exit', (code) => {
  if (code !== 0) console.error(`bench: exit ${code} during "${current}"`);
});
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;

const rows: [string, string, string][] = [];
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  short,
  skipped: [...skip],
  machine,
};

console.error(`lianwang benchmarks (${short ? 'short' : 'full'}) on ${machine}`);
if (run('sim')) {
  const sim = await simBench(short);
  results.sim = sim;
  rows.push(
    [
      'sim: devices',
      `${sim.modbusDevices} Modbus TCP + ${sim.opcuaMachines} OPC UA (${sim.opcuaVariables} variables)`,
      'target ≥ 500 + ≥ 50 (≥ 5,000 vars)',
    ],
    ['sim: start', `${sim.startSeconds.toFixed(1)} s`, ''],
    [
      'sim: idle (models ticking, OPC UA updating)',
      `${sim.idleCpuPercent.toFixed(0)}% CPU, ${sim.idleRssMb.toFixed(0)} MB RSS`,
      'target < 600 MB',
    ],
    [
      `sim: Modbus reads, ${sim.loadConnections} clients × 10 registers`,
      `${Math.round(sim.loadRequestsPerSecond).toLocaleString('en')} req/s (${Math.round(sim.loadRegistersPerSecond).toLocaleString('en')} registers/s), ${sim.loadErrors} errors`,
      'target ≥ 20,000 req/s',
    ],
    [
      'sim: under load',
      `${sim.loadCpuPercent.toFixed(0)}% CPU (of one core), peak ${sim.peakRssMb.toFixed(0)} MB RSS`,
      '',
    ],
  );
}

if (run('gateway')) {
  const gw = await gatewayBench(short);
  results.gateway = gw;
  rows.push(
    [
      `gateway: Modbus → Sparkplug, ${gw.devices} devices × ~${gw.pointsPerDevice} points @ 1 s`,
      `${Math.round(gw.pointsReadPerSecond).toLocaleString('en')} points/s read, ${Math.round(gw.pointsDeliveredPerSecond).toLocaleString('en')} delivered (after report-by-exception)`,
      'target ≥ 50,000 points/s',
    ],
    [
      'gateway: cost',
      `${gw.gatewayCpuPercent.toFixed(0)}% CPU (of one core), ${gw.gatewayRssMb.toFixed(0)} MB RSS${Number.isFinite(gw.gatewayHeapUsedMb) && gw.gatewayHeapUsedMb > 0 ? ` (${gw.gatewayHeapUsedMb.toFixed(0)} MB V8 heap in use)` : ''}`,
      'target ≤ 1 core, ≤ 200 MB',
    ],
    [
      'gateway: poll-interval drift',
      `p50 ${(gw.pollIntervalDriftP50 * 100).toFixed(1)}%, p99 ${(gw.pollIntervalDriftP99 * 100).toFixed(1)}%`,
      '',
    ],
  );
}

if (run('opcua')) {
  const ua = await gatewayBench(short, { modbusDevices: 0, opcuaMachines: 100, opcuaExtra: 75 });
  results.opcua = ua;
  rows.push([
    `gateway: OPC UA → Sparkplug, ${ua.devices} machines × ~100 monitored items @ 1 s`,
    `${Math.round(ua.pointsReadPerSecond).toLocaleString('en')} points/s read, ${Math.round(ua.pointsDeliveredPerSecond).toLocaleString('en')} delivered; ${ua.gatewayCpuPercent.toFixed(0)}% CPU, ${ua.gatewayRssMb.toFixed(0)} MB RSS`,
    'target 10,000 items ≤ 1 core',
  ]);
}

if (run('replay')) {
  const replay = await replayBench(short);
  results.replay = replay;
  rows.push([
    `gateway: replay of a ${replay.backlogMinutes}-minute backlog (5,000 points/s)`,
    `${replay.speedup.toFixed(1)}× real time (${replay.replaySeconds.toFixed(0)} s) with ${Math.round(replay.livePointsPerSecond).toLocaleString('en')} live points/s flowing`,
    'target ≥ 10×',
  ]);
}

if (run('ingest')) {
  const ingest = await ingestBench(short);
  results.ingest = ingest;
  rows.push(...ingestTable(ingest));
}

if (run('broker')) {
  const broker = await brokerBench(short);
  results.broker = broker;
  rows.push(...brokerTable(broker));
}

if (run('rates')) {
  const rates = await ratesBench({ short });
  results.rates = rates;
  rows.push(...ratesTable(rates));
}

if (run('peers')) {
  const peers = await peersBench(short);
  results.peers = peers;
  rows.push(...peersTable(peers));
}

if (run('latency')) {
  const latency = await latencyBench(short);
  results.latency = latency;
  rows.push(...latencyTable(latency));
}

if (run('footprint')) {
  const footprint = await footprintBench(short);
  results.footprint = footprint;
  rows.push(...footprintTable(footprint));
}

if (run('fleet')) {
  const fleet = await fleetBench(short);
  results.fleet = fleet;
  rows.push(...fleetTable(fleet));
}

const width = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
const table = [
  `| benchmark | result | target |`,
  `|---|---|---|`,
  ...rows.map(([a, b, c]) => `| ${a} | ${b} | ${c} |`),
].join('\n');
for (const [a, b, c] of rows) console.log(`${a.padEnd(width[0] ?? 0)}  ${b.padEnd(width[1] ?? 0)}  ${c}`);

await mkdir('bench/results', { recursive: true });
const day = new Date().toISOString().slice(0, 10);
await writeFile(`bench/results/${day}${short ? '-short' : ''}.json`, `${JSON.stringify(results, null, 2)}\n`);
if (!short && skip.size === 0) {
  const doc = await readFile('docs/performance.md', 'utf8').catch(
    () => '# Performance\n\n<!-- bench -->\n<!-- /bench -->\n',
  );
  const block = `<!-- bench -->\nLatest \`npm run bench\` (${day}, ${machine}):\n\n${table}\n<!-- /bench -->`;
  await writeFile('docs/performance.md', doc.replace(/<!-- bench -->[\s\S]*<!-- \/bench -->/, block));
}
