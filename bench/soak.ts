/**
 * `npm run bench:soak [-- minutes]`: the gateway benchmark held for a long time (default 30
 * minutes), sampling the gateway's RSS every minute; prints the samples and the spread after
 * a 5-minute warm-up, and writes bench/results/<date>-soak.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { gatewayBench } from './gateway.ts';

const minutes = Number(process.argv[2] ?? 30);
console.error(`gateway soak: ${minutes} minutes at ~50,000 points/s`);
const r = await gatewayBench(false, { seconds: minutes * 60, sampleSeconds: 60 });
const settled = r.rssSamplesMb.slice(Math.min(5, r.rssSamplesMb.length - 1));
const lo = Math.min(...settled);
const hi = Math.max(...settled);
const mid = (lo + hi) / 2;
console.log(`RSS per minute (MB): ${r.rssSamplesMb.map((x) => x.toFixed(0)).join(' ')}`);
console.log(
  `after warm-up: ${lo.toFixed(0)}–${hi.toFixed(0)} MB, ±${(((hi - lo) / 2 / mid) * 100).toFixed(1)}% (target ±10%); ` +
    `${Math.round(r.pointsReadPerSecond).toLocaleString('en')} points/s read, ${r.gatewayCpuPercent.toFixed(0)}% CPU`,
);
await mkdir('bench/results', { recursive: true });
await writeFile(
  `bench/results/${new Date().toISOString().slice(0, 10)}-soak.json`,
  `${JSON.stringify({ minutes, ...r }, null, 2)}\n`,
);
