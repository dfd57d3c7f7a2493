/**
 * The scripted fault timeline. Every fault kind of issue 7 happens at least once, at fixed
 * fractions of the run, so the long run (10 min, a 60 s InfluxDB outage) and the short one in
 * `npm test` (~75 s, outages of 5–10 s) go through the same sequence:
 *
 *   flapping devices ········································· (every `flapEveryS`, throughout)
 *   garbage answers (malformed frames) ── NaN floats ──
 *   broker restart #1 ─ worker kill -9 ─ influxd down ─ broker restart #2 with a gateway kill -9 inside
 *   clock-skewed edge node ·································· (throughout, skew-edge.ts)
 */
import type { Cluster } from './cluster.ts';

export interface TimelineParams {
  durationS: number;
  brokerOutageS: [number, number];
  workerDownS: number;
  influxOutageS: number;
  flapEveryS: number;
  flapDownS: number;
  garbageS: number;
  enterprises: readonly string[];
}

export interface Fault {
  kind: string;
  target: string;
  /** Seconds after the load started, planned. */
  atS: number;
  plannedS: number;
  /** Wall times when it began and ended (ms). */
  startedAt?: number;
  endedAt?: number;
  /** For kill -9: the moment of the kill (ms). */
  killedAt?: number;
}

interface Step {
  atS: number;
  label: string;
  run: (c: Cluster) => Promise<void>;
}

export interface Timeline {
  durationS: number;
  faults: Fault[];
  steps: Step[];
  /** Devices that get simulator faults (cleared at the end). */
  faultedDevices: string[];
  /** The gateway killed with SIGKILL. */
  killedGateway: string;
}

export const device = (enterprise: string, n: number): string =>
  `${enterprise}-d${String(n).padStart(2, '0')}`;

export function chaosTimeline(p: TimelineParams): Timeline {
  const D = p.durationS;
  const [e1, e2 = e1, e3 = e2] = p.enterprises as [string, ...string[]];
  const faults: Fault[] = [];
  const steps: Step[] = [];
  const fault = (kind: string, target: string, atS: number, plannedS: number): Fault => {
    const f: Fault = { kind, target, atS, plannedS };
    faults.push(f);
    return f;
  };
  const begin = (f: Fault, run: (c: Cluster) => Promise<void>) =>
    steps.push({
      atS: f.atS,
      label: `${f.kind} ${f.target}`,
      run: async (c) => {
        f.startedAt = Date.now();
        await run(c);
      },
    });
  const end = (f: Fault, run: (c: Cluster) => Promise<void>) =>
    steps.push({
      atS: f.atS + f.plannedS,
      label: `${f.kind} ${f.target} ends`,
      run: async (c) => {
        await run(c);
        f.endedAt = Date.now();
      },
    });
  /** A simulator fault: the simulator ends it itself after `for`. */
  const simFault = (kind: string, dev: string, type: string, atS: number, forS: number) => {
    const f = fault(kind, dev, atS, forS);
    begin(f, async (c) => {
      await c.fault(dev, type, forS * 1000);
      f.endedAt = (f.startedAt ?? Date.now()) + forS * 1000;
    });
  };

  // Devices flapping: two devices, in turn, refuse connections for flapDownS.
  const flappers = [device(e1, 2), device(e2, 5)];
  let k = 0;
  for (let at = 0.05 * D; at < 0.95 * D; at += p.flapEveryS)
    simFault('device flapping (offline)', flappers[k++ % 2] as string, 'offline', round(at), p.flapDownS);
  // A device answering garbage (malformed Modbus frames), another reading NaN from every float.
  simFault('device returns garbage frames', device(e2, 3), 'garbage', round(0.08 * D), p.garbageS);
  simFault('device returns NaN values', device(e3, 4), 'nan', round(0.1 * D), p.garbageS);

  const b1 = fault(
    'broker restart #1 (SIGTERM, same port + persistence)',
    'mosquitto',
    round(0.15 * D),
    p.brokerOutageS[0],
  );
  begin(b1, (c) => c.stopBroker());
  end(b1, (c) => c.startBroker());

  const w = fault('ingest worker kill -9, restart (same client id)', 'w1', round(0.3 * D), p.workerDownS);
  begin(w, async (c) => {
    w.killedAt = Date.now();
    await c.killWorker('w1');
  });
  end(w, (c) => c.startWorker('w1'));

  const i = fault(
    'influxd stopped (SIGTERM, restart same dir + port)',
    'influxd',
    round(0.45 * D),
    p.influxOutageS,
  );
  begin(i, (c) => c.influx.stop());
  end(i, (c) => c.influx.start());

  const outage = p.brokerOutageS[1];
  const b2 = fault(
    'broker restart #2 (SIGTERM, same port + persistence)',
    'mosquitto',
    round(0.7 * D),
    outage,
  );
  begin(b2, (c) => c.stopBroker());
  end(b2, (c) => c.startBroker());
  const g = fault(
    'gateway kill -9 during the broker outage, restart',
    `gateway ${e2}`,
    round(0.7 * D + 0.3 * outage),
    round(0.2 * outage),
  );
  begin(g, async (c) => {
    g.killedAt = Date.now();
    await c.killGateway(e2);
  });
  end(g, (c) => c.startGateway(e2));

  steps.sort((a, b) => a.atS - b.atS);
  return {
    durationS: D,
    faults,
    steps,
    faultedDevices: [...flappers, device(e2, 3), device(e3, 4)],
    killedGateway: e2,
  };
}

/** Runs the steps at their times after `t0` (ms), in order; a step that overruns delays the next. */
export async function runTimeline(
  t: Timeline,
  c: Cluster,
  t0: number,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  for (const s of t.steps) {
    const wait = t0 + s.atS * 1000 - Date.now();
    if (wait > 0) await sleep(wait, signal);
    signal?.throwIfAborted();
    log(`t+${((Date.now() - t0) / 1000).toFixed(1)}s ${s.label}`);
    await s.run(c);
  }
  const rest = t0 + t.durationS * 1000 - Date.now();
  if (rest > 0) await sleep(rest, signal);
}

const round = (s: number) => Math.round(s * 10) / 10;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}
