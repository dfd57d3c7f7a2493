/**
 * Measuring a `lianwang sim --fleet` child process for bench/fleet.ts: its JSON status lines, the
 * CPU and RSS of it and of the daemons (from /proc), mosquitto's own message counter ($SYS), and
 * a measurement window that starts once the start-up ramp is over.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import type { FleetStats } from '../simulators/fleet/index.ts';
import { sampleProc } from './proc.ts';

export type Status = FleetStats & { pointsPerSecond: number; messagesPerSecond: number; rssMb: number };

/** The fleet as a child process, its JSON status lines parsed as they come. */
export class FleetChild {
  readonly lines: { at: number; s: Status }[] = [];
  readonly #proc: ChildProcess;
  #log = '';
  readonly exited: Promise<number | null>;
  onLine: ((s: Status) => void) | undefined;

  constructor(args: string[]) {
    this.#proc = spawn(
      process.execPath,
      ['bin/lianwang.js', 'sim', ...args, '--json', '--status-every', '1s'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.exited = new Promise((resolve) => this.#proc.once('exit', resolve));
    createInterface({ input: this.#proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const s = JSON.parse(line) as Status;
      this.lines.push({ at: performance.now(), s });
      this.onLine?.(s);
    });
    this.#proc.stderr?.on('data', (c: Buffer) => (this.#log = (this.#log + c.toString()).slice(-4000)));
  }

  get pid(): number {
    return this.#proc.pid ?? 0;
  }

  get last(): Status | undefined {
    return this.lines.at(-1)?.s;
  }

  /** Resolves once `cond` holds for a status line; rejects if the child exits or time runs out. */
  async until(cond: (s: Status) => boolean, what: string, timeoutMs = 600_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(this.last && cond(this.last))) {
      if (this.#proc.exitCode !== null)
        throw new Error(`fleet exited (${this.#proc.exitCode}): ${this.#log}`);
      if (performance.now() > deadline) throw new Error(`fleet: timed out waiting for ${what}: ${this.#log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null) return;
    this.#proc.kill('SIGTERM');
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 60_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Pids of this process's children called `name` (the daemons the test helpers start). */
export async function childPid(name: string): Promise<number | undefined> {
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (comm === name && ppid === process.pid) return Number(d);
  }
  return undefined;
}

export const cpuOf = async (pid: number | undefined) => (pid ? (await sampleProc(pid)).cpuSeconds : 0);

/** Least-squares slope of y over x. */
export function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

export async function brokerCounter(url: string): Promise<{ count(): number; close(): Promise<void> }> {
  const c = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'bench-fleet-sys' });
  let received = 0;
  c.on('message', (_t, p) => (received = Number(p.toString())));
  await c.subscribeAsync('$SYS/broker/publish/messages/received');
  return { count: () => received, close: () => c.endAsync() };
}

export interface Window {
  seconds: number;
  rampSeconds: number;
  gen: Status;
  genFirst: Status;
  genCpu: number;
  genRssMb: number;
  maxLagMs: number;
  /** CPU (cores) of each process of `pids` over the window. */
  cpu: Record<string, number>;
  /** This process (the cloud): CPU (cores) and largest RSS. */
  selfCpu: number;
  selfRssMb: number;
  brokerMessages: number;
}

/**
 * Runs the fleet child until its ramp is over, then measures `seconds`: `onStart` at the start of
 * the window, `each` per status line of the child.
 */
export async function measure(
  child: FleetChild,
  seconds: number,
  pids: Record<string, number | undefined>,
  broker: { count(): number },
  hooks: {
    /** Also part of the ramp: e.g. the cloud has stored the start-up burst (given up after `settleMs`). */
    settled?: (s: Status) => boolean;
    settleMs?: number;
    onStart?: () => void;
    each?: (s: Status, at: number) => void;
  } = {},
): Promise<Window> {
  const t0 = performance.now();
  // Every node connected once and no connected node still replaying. Scheduled gateway outages
  // keep a few nodes down (and buffering) at any time at province scale: not part of the ramp.
  await child.until(
    (s) => s.connects >= s.nodes.total && s.nodes.connecting === 0 && s.nodes.replaying === 0,
    'every node connected and its start-up buffer replayed',
  );
  const settled = hooks.settled;
  if (settled)
    await child
      .until(settled, 'the cloud to store the start-up burst', hooks.settleMs)
      .catch(() => undefined);
  const rampSeconds = (performance.now() - t0) / 1000;
  await child.until(() => broker.count() > 0, 'mosquitto $SYS counters', 15_000);
  const cpu0 = await cpus({ ...pids, gen: child.pid });
  const self0 = process.cpuUsage();
  const start = { at: performance.now(), gen: child.last as Status };
  const broker0 = broker.count();
  hooks.onStart?.();
  let genRssMb = 0;
  let selfRssMb = 0;
  let maxLagMs = 0;
  child.onLine = (s) => {
    genRssMb = Math.max(genRssMb, s.rssMb);
    selfRssMb = Math.max(selfRssMb, process.memoryUsage().rss / 2 ** 20);
    maxLagMs = Math.max(maxLagMs, s.lagMs);
    hooks.each?.(s, performance.now());
  };
  await new Promise((r) => setTimeout(r, seconds * 1000));
  child.onLine = undefined;
  const elapsed = (performance.now() - start.at) / 1000;
  const self = process.cpuUsage(self0);
  const cpu1 = await cpus({ ...pids, gen: child.pid });
  const cpu = Object.fromEntries(
    Object.keys(cpu1).map((k) => [k, ((cpu1[k] ?? 0) - (cpu0[k] ?? 0)) / elapsed]),
  );
  return {
    seconds: elapsed,
    rampSeconds,
    gen: child.last as Status,
    genFirst: start.gen,
    genCpu: cpu.gen ?? 0,
    genRssMb,
    maxLagMs,
    cpu,
    selfCpu: (self.user + self.system) / 1e6 / elapsed,
    selfRssMb,
    brokerMessages: (broker.count() - broker0) / elapsed,
  };
}

async function cpus(pids: Record<string, number | undefined>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) out[k] = await cpuOf(pid);
  return out;
}

export const messagesOf = (s: Status) => Object.values(s.messages).reduce((a, b) => a + b, 0);
