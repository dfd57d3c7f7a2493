/**
 * The chaos end-to-end run (issue 7, part 1): simulators → gateways → mosquitto → tracker + two
 * shared-subscription workers → influxd, under a scripted fault timeline (timeline.ts), then a
 * reconciliation of every sample the gateways read against InfluxDB (reconcile.ts) and of the
 * rates the API serves against the ground truth (rates-truth.ts). docs/reliability.md has the
 * last long run's output.
 *
 *   npm run test:chaos                  # long form: ≥ 5,000 points/s, 10 min of faults
 *   npm run test:chaos -- --minutes 20  # longer
 *   npm run test:chaos -- --short       # the short form npm test runs (test/reliability/)
 *   … --keep                            # keep the run's directory (read logs, configs) for a look
 *
 * Needs influxd and mosquitto (apt-get install -y influxdb mosquitto).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { waitFor } from '../helpers/wait.ts';
import { Cluster, DATABASE, type ClusterOptions } from './cluster.ts';
import { chaosPlantYaml, enterpriseIds, SKEW_ENTERPRISE } from './plant.ts';
import { checkRates, ledgerOf, type RatesCheck } from './rates-truth.ts';
import {
  type ReadLogFile,
  type ReadSet,
  readLogs,
  reconcile,
  type Reconciliation,
  storedSamples,
} from './reconcile.ts';
import { failureTable, type SkewResult, type Snapshot, summaryTable } from './report.ts';
import type { SkewDevice } from './skew-edge.ts';
import { chaosTimeline, type Fault, runTimeline, type TimelineParams } from './timeline.ts';
import type { WriteStats } from './write-proxy.ts';

export interface ChaosProfile {
  enterprises: number;
  devices: number;
  extraPoints: number;
  pollMs: number;
  widthMs: number;
  timeline: Omit<TimelineParams, 'enterprises'>;
  /** How long nothing new may reach the store before the run counts as settled. */
  quietMs: number;
}

export const PROFILES = {
  /** ≈ 450 points/s, 75 s of faults, outages of 5–10 s: inside `npm test`. */
  short: {
    enterprises: 2,
    devices: 6,
    extraPoints: 10,
    pollMs: 500,
    widthMs: 5_000,
    timeline: {
      durationS: 75,
      brokerOutageS: [5, 10],
      workerDownS: 5,
      influxOutageS: 8,
      flapEveryS: 8,
      flapDownS: 3,
      garbageS: 12,
    },
    quietMs: 5_000,
  },
  /** ≈ 5,700 points/s, 10 min of faults, InfluxDB down 60 s. */
  long: {
    enterprises: 3,
    devices: 12,
    extraPoints: 31,
    pollMs: 250,
    widthMs: 10_000,
    timeline: {
      durationS: 600,
      brokerOutageS: [20, 30],
      workerDownS: 20,
      influxOutageS: 60,
      flapEveryS: 20,
      flapDownS: 6,
      garbageS: 60,
    },
    quietMs: 10_000,
  },
} satisfies Record<string, ChaosProfile>;

export interface ChaosResult {
  ok: boolean;
  summary: string;
  failures: string;
  rec: Reconciliation;
  rates: RatesCheck;
  writes: WriteStats;
  skew: SkewResult;
  pointsPerSecond: number;
  faults: Fault[];
  /** Most records waiting in the gateways' disk queues at one time. */
  queuePeak: number;
  seconds: number;
}

/** A sample read in this window before a kill -9 may die with the process (reconcile.ts). */
const IN_FLIGHT_WINDOW_MS = 1_000;
const SKEW = { behind: 'skew-behind', ahead: 'skew-ahead', far: 'skew-far' };
/** ingest's maxFutureMs default (cloud/app.ts): later source times are refused. */
const MAX_FUTURE_MS = 5 * 60_000;

export async function runChaos(
  profile: ChaosProfile,
  opts: { log?: (line: string) => void; keep?: boolean } = {},
): Promise<ChaosResult> {
  const started = Date.now();
  const log = opts.log ?? ((line: string) => console.error(`[chaos] ${line}`));
  const dir = await mkdtemp(path.join(tmpdir(), 'lianwang-chaos-'));
  const plantFile = path.join(dir, 'plant.yaml');
  const enterprises = enterpriseIds(profile.enterprises);
  const D = profile.timeline.durationS;
  const skewDevices: SkewDevice[] = [
    { id: SKEW.behind, skewMs: -Math.min(120_000, Math.round(D * 200)) },
    { id: SKEW.ahead, skewMs: Math.min(30_000, Math.round(D * 200)) },
    { id: SKEW.far, skewMs: 3_600_000 },
  ];
  await writeFile(
    plantFile,
    chaosPlantYaml({
      ...profile,
      enterprises: profile.enterprises,
      skewDevices: skewDevices.map((d) => d.id),
    }),
  );
  const options: ClusterOptions = {
    dir,
    plantFile,
    enterprises,
    pollMs: profile.pollMs,
    widthMs: profile.widthMs,
    skewDevices,
    log,
  };
  const cluster = new Cluster(options);
  const snaps: Snapshot[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    await cluster.start();
    await waitFor(
      async () => {
        const h = await Promise.all(enterprises.map((e) => cluster.health(e)));
        const stored = new Set([...cluster.proxy.newest.keys()].map((k) => k.split('/')[0]));
        return h.every((x) => x?.connected) && enterprises.every((e) => stored.has(e));
      },
      { what: 'data from every gateway in InfluxDB', timeoutMs: 60_000, intervalMs: 250 },
    );
    const t0 = Date.now();
    log(`load running; fault timeline of ${D} s starts`);
    sampler = setInterval(() => void sample(cluster, enterprises, snaps), 1_000);

    const timeline = chaosTimeline({ ...profile.timeline, enterprises });
    await runTimeline(timeline, cluster, t0, log);

    log('timeline done; waiting for every queue to drain');
    await cluster.clearFaults(timeline.faultedDevices);
    await waitFor(
      async () => {
        const h = await Promise.all(enterprises.map((e) => cluster.health(e)));
        return (
          h.every((x) => x?.connected && x.entries === 0) &&
          cluster.skew.connected &&
          cluster.skew.pending === 0
        );
      },
      { what: 'gateway queues and the skewed edge node drained', timeoutMs: 180_000, intervalMs: 250 },
    );
    const cut = Date.now();
    cluster.proxy.setCut(cut);
    await waitFor(() => Date.now() - cluster.proxy.lastProgressAt >= profile.quietMs, {
      what: `${profile.quietMs} ms without a new sample from before the cut reaching InfluxDB`,
      timeoutMs: 300_000,
      intervalMs: 250,
    });
    clearInterval(sampler);
    log('settled; stopping the gateways and reconciling');
    for (const e of enterprises) await cluster.stopGateway(e);
    await cluster.skew.stop();

    // Every sample the gateways read before the cut, against InfluxDB.
    const killed = timeline.faults.find((f) => f.kind.startsWith('gateway') && f.killedAt !== undefined);
    const files: ReadLogFile[] = [...cluster.gateways.values()].flatMap((g) =>
      g.logs.map((file, i) => ({
        enterprise: g.enterprise,
        file,
        // The first process of the killed gateway is the one kill -9 ended.
        ...(g.enterprise === timeline.killedGateway && i === 0 && killed?.killedAt
          ? { killedAt: killed.killedAt }
          : {}),
      })),
    );
    const read = await readLogs(files, cut, IN_FLIGHT_WINDOW_MS);
    const ledger = await ledgerOf(plantFile);
    const skewFrom = Math.min(...cluster.skew.produced.map((x) => x.time), Infinity);
    const from = Math.min(read.firstTime, skewFrom) - 1;
    const stored = await storedSamples(
      cluster.influx.url,
      DATABASE,
      ledger.filter((d) => d.enterprise !== SKEW_ENTERPRISE),
      from,
      cut,
    );
    const rec = reconcile(read, stored);
    const skewStored = await storedSamples(
      cluster.influx.url,
      DATABASE,
      ledger.filter((d) => d.enterprise === SKEW_ENTERPRISE),
      from,
      cut + 2 * 3_600_000,
    );
    const skew = skewResult(cluster, skewDevices, skewStored.series, cut);

    // Rates over the whole buckets between the start of the faults and the cut.
    const w = profile.widthMs;
    const good = goodTimes(read, rec, cluster, refused(skewDevices), cut);
    const rates = await checkRates(
      cluster.trackerUrl,
      ledger,
      (device) => good.get(device) ?? [],
      Math.ceil(t0 / w) * w,
      Math.floor(cut / w) * w,
      w,
    );

    const writes = cluster.proxy.stats();
    const pointsPerSecond = (read.good + read.bad) / Math.max(1, (read.lastTime - read.firstTime) / 1000);
    const summary = summaryTable({
      minutes: D / 60,
      gateways: enterprises.length,
      devices: enterprises.length * profile.devices,
      pointsPerSecond,
      read,
      rec,
      writes,
      skew,
      rates,
    });
    const failures = failureTable(timeline.faults, t0, snaps, read, rec.inFlight.length, (a, b) =>
      cluster.proxy.storedBy(a, b),
    );
    const ok =
      rec.lost.length === 0 &&
      rec.unexplained.length === 0 &&
      skew.lost === 0 &&
      rates.mismatches.length === 0;
    return {
      ok,
      summary,
      failures,
      rec,
      rates,
      writes,
      skew,
      pointsPerSecond,
      faults: timeline.faults,
      queuePeak: Math.max(
        0,
        ...snaps.map((x) => Object.values(x.gateways).reduce((a, g) => a + (g?.entries ?? 0), 0)),
      ),
      seconds: (Date.now() - started) / 1000,
    };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${cluster.tails()}`, { cause: err });
  } finally {
    clearInterval(sampler);
    await cluster.close();
    if (opts.keep) log(`run directory kept: ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

async function sample(cluster: Cluster, enterprises: readonly string[], snaps: Snapshot[]): Promise<void> {
  const t = Date.now();
  const health = await Promise.all(enterprises.map((e) => cluster.health(e)));
  const writes = cluster.proxy.stats();
  snaps.push({
    t,
    gateways: Object.fromEntries(enterprises.map((e, i) => [e, health[i]])),
    failedWrites: writes.failedRequests,
    duplicates: writes.duplicates,
  });
}

/** Devices whose clock runs further ahead than ingest accepts: every sample refused. */
const refused = (devices: readonly SkewDevice[]) =>
  new Set(devices.filter((d) => d.skewMs > MAX_FUTURE_MS).map((d) => d.id));

/** The skewed node's samples: all must be stored, except those ingest refuses as too far ahead. */
function skewResult(
  cluster: Cluster,
  devices: readonly SkewDevice[],
  stored: Map<string, { good: Set<number> }>,
  cut: number,
): SkewResult {
  const r: SkewResult = { produced: 0, expected: 0, stored: 0, lost: 0, refusedFuture: 0, storedFuture: 0 };
  const future = refused(devices);
  for (const x of cluster.skew.produced) {
    const ahead = future.has(x.device);
    if (x.time >= cut && !ahead) continue;
    r.produced++;
    const has = stored.get(`${SKEW_ENTERPRISE}/${x.device}|${x.metric}`)?.good.has(x.time) ?? false;
    if (ahead) {
      r.refusedFuture++;
      if (has) r.storedFuture++;
      continue;
    }
    r.expected++;
    if (has) r.stored++;
    else r.lost++;
  }
  return r;
}

/** Good source times per device that reached the store by the run's own account (ground truth). */
function goodTimes(read: ReadSet, rec: Reconciliation, cluster: Cluster, future: Set<string>, cut: number) {
  const died = new Set(rec.inFlight.map((m) => `${m.key}@${m.time}`));
  const out = new Map<string, number[]>();
  const add = (device: string, t: number) => {
    let list = out.get(device);
    if (!list) out.set(device, (list = []));
    list.push(t);
  };
  for (const [key, s] of read.series) {
    const device = key.split('|')[0] ?? key;
    for (const t of s.good) if (!died.has(`${key}@${t}`)) add(device, t);
  }
  for (const x of cluster.skew.produced)
    if (x.time < cut && !future.has(x.device)) add(`${SKEW_ENTERPRISE}/${x.device}`, x.time);
  return out;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      short: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  const base: ChaosProfile = values.short ? PROFILES.short : PROFILES.long;
  const minutes = values.minutes === undefined ? undefined : Number(values.minutes);
  if (minutes !== undefined && !(minutes >= 3)) {
    console.error('--minutes: at least 3 (the timeline holds a 60 s InfluxDB outage)');
    return 2;
  }
  const profile: ChaosProfile =
    minutes === undefined
      ? base
      : { ...base, timeline: { ...base.timeline, durationS: Math.round(minutes * 60) } };
  const r = await runChaos(profile, { keep: values.keep });
  console.log(`\n## Reconciliation\n\n${r.summary}\n\n## Faults\n\n${r.failures}\n`);
  console.log(
    `run took ${(r.seconds / 60).toFixed(1)} min; ${r.ok ? 'PASS: lost = 0, rates = ground truth' : 'FAIL'}`,
  );
  return r.ok ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
