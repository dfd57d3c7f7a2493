/**
 * `lianwang demo` (what `npm start` runs): the whole data path on this machine — simulated
 * plant → gateways → embedded broker → cloud → dashboard — with a scripted fault timeline and a
 * live summary, until Ctrl-C. The wiring is in bin/demo/ (simulators/, gateway/ and cloud/ never
 * import each other); this file turns flags into it and handles signals.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { formatError, loadPlantFile } from '../../config/index.ts';
import { createScreen, type Screen } from '../demo/screen.ts';
import { DemoError, type Demo, startDemo } from '../demo/start.ts';
import { DEMO_USAGE } from '../demo/usage.ts';
import { SummaryMonitor } from '../demo/summary.ts';
import { loadTimeline, type TimelineActions, TimelinePlayer, type TimelineFile } from '../demo/timeline.ts';

// Short buckets so the rates move within seconds of a fault (docs/demo.md: buckets and windows).
const WIDTH_MS = 10_000;
const SUMMARY_WINDOW_MS = 120_000;
// The dashboard shows the window named in its URL: 2 minutes = its trend in 12 steps of one bucket.
const LINK = '?window=2m';

function portOption(name: string, raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new DemoError(`--${name} must be a port 0–65535, got "${raw}"`);
  return n;
}

export async function demoCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        plant: { type: 'string', default: 'config/plants/demo.yaml' },
        data: { type: 'string', default: 'data/demo' },
        influx: { type: 'string' },
        port: { type: 'string', default: '8080' },
        'broker-port': { type: 'string', default: '1883' },
        timeline: { type: 'string', default: 'config/demo/timeline.yaml' },
        'no-faults': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`lianwang demo: ${(err as Error).message}\n\n${DEMO_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(DEMO_USAGE);
    return 0;
  }
  let httpPort: number;
  let brokerPort: number;
  try {
    httpPort = portOption('port', values.port);
    brokerPort = portOption('broker-port', values['broker-port']);
    if (values.influx !== undefined && !/^https?:\/\/.+\/[^/]+$/.test(values.influx))
      throw new DemoError(`--influx must be a URL with a database, like http://[::1]:8086/lianwang`);
  } catch (err) {
    console.error(`lianwang demo: ${(err as Error).message}\n\n${DEMO_USAGE}`);
    return 2;
  }

  const plant = await loadPlantFile(values.plant);
  if (!plant.ok) {
    for (const e of plant.errors) console.error(formatError(e));
    return 1;
  }
  let timeline: TimelineFile | undefined;
  if (!values['no-faults']) {
    const loaded = await loadTimeline(values.timeline, plant.value);
    if (!loaded.ok) {
      for (const e of loaded.errors) console.error(e);
      return 1;
    }
    timeline = loaded.value;
  }

  const dataDir = path.resolve(values.data);
  await mkdir(dataDir, { recursive: true });
  const logFile = path.join(dataDir, 'demo.log');
  // The modules' own logs go to a file: the terminal is for the story (progress, events, summary).
  const log = pino(
    { level: process.env.LOG_LEVEL ?? 'info' },
    pino.destination({ dest: logFile, sync: true }),
  );
  const screen = createScreen(process.stdout);

  // Signals are taken from the start: a Ctrl-C while starting stops what has started.
  let stopRequested = false;
  let wake: () => void = () => undefined;
  const requested = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      console.error(`\nlianwang demo: ${signal} again — exiting without a clean stop`);
      process.exit(130);
    }
    stopRequested = true;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const shown = path.relative(process.cwd(), logFile);
  screen.log(`lianwang demo — logs in ${shown.startsWith('..') ? logFile : shown}`);
  let demo: Demo;
  try {
    demo = await startDemo({
      plantFile: values.plant,
      plant: plant.value,
      dataDir,
      ...(values.influx ? { influx: values.influx } : {}),
      httpPort,
      brokerPort,
      controlPort: 15080,
      widthMs: WIDTH_MS,
      log,
      screen,
    });
  } catch (err) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const message = (err as Error).message;
    const inner = err instanceof Error && err.cause instanceof Error ? err.cause.message : '';
    const cause = inner && !message.includes(inner) ? ` (${inner})` : '';
    log.error({ err }, 'demo could not start');
    console.error(`lianwang demo: could not start: ${message}${cause} (details in ${logFile})`);
    return leave(1);
  }

  const t0 = Date.now();
  const port = new URL(demo.url).port;
  screen.log(
    `✓ demo up after ${process.uptime().toFixed(1)} s — open http://[::1]:${port}/${LINK} or ` +
      `http://localhost:${port}/${LINK} (broker ${demo.broker.url}; Ctrl-C stops)`,
  );
  const monitor = new SummaryMonitor(
    {
      rates: demo.cloud.rates,
      stats: () => demo.cloud.stats(),
      nodes: () => demo.cloud.ingest.nodes(),
      gateways: demo.gateways,
      widthMs: WIDTH_MS,
      windowMs: SUMMARY_WINDOW_MS,
    },
    screen,
    { t0 },
  );
  const player = timeline ? new TimelinePlayer(timeline, actions(demo, monitor), print(screen)) : undefined;
  screen.log(
    timeline
      ? `  timeline ${values.timeline}: ${timeline.events.length} events` +
          `${timeline.repeat ? `, repeating every ${timeline.repeat / 1000} s` : ''} (--no-faults: none)`
      : '  no fault timeline (--no-faults): a steady plant',
  );
  if (!stopRequested) {
    monitor.start();
    player?.start(t0);
    await requested;
  }

  player?.stop();
  monitor.stop();
  screen.log(
    'stopping: gateways (NDEATH, queues flushed), uplinks, cloud (store closed), broker, simulators…',
  );
  const t = performance.now();
  const failures = await demo.stop();
  for (const f of failures) console.error(`lianwang demo: stop: ${f}`);
  screen.log(`stopped in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return leave(failures.length ? 1 : 0);
}

/**
 * Every part has released its sockets and timers when this runs; should a library still hold
 * the event loop open, say what it is and leave anyway rather than hang after "stopped". The
 * timer is unref'd: it never keeps the process alive itself.
 */
function leave(code: number): number {
  setTimeout(() => {
    console.error(`lianwang demo: still running after stop: ${process.getActiveResourcesInfo().join(', ')}`);
    process.exit(code);
  }, 5000).unref();
  return code;
}

function actions(demo: Demo, monitor: SummaryMonitor): TimelineActions {
  const uplink = (enterprise: string) => {
    const g = demo.gateways.find((x) => x.enterprise === enterprise);
    if (!g) throw new Error(`no gateway for enterprise "${enterprise}"`);
    return g;
  };
  return {
    fault: (device, spec) => {
      demo.sim.faults.inject({ ...spec, device });
    },
    clear: (device, type) => {
      demo.sim.faults.clear(device, type);
    },
    cut: (enterprise) => uplink(enterprise).proxy.cut(),
    restore: (enterprise) => {
      uplink(enterprise).proxy.restore();
      monitor.restored(enterprise);
    },
  };
}

const print = (screen: Screen) => (elapsedMs: number, line: string) => {
  const s = Math.round(elapsedMs / 1000);
  screen.log(`[+${s}s] ${line}`);
};
