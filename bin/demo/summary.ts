/**
 * The live summary: per enterprise, the devices its gateway reaches, its uplink, the live
 * networked rate (latest complete bucket) and the rate over a short window; ingest points/s.
 * Also prints, once each, the milestones that show the data path works (every edge node born,
 * every enterprise in the rates) and the end of a backlog replay after an uplink outage.
 *
 * Everything is read in-process (gateway counters, the rates engine), never over HTTP: the
 * summary costs nothing measurable and works with the API's auth on.
 */
import type { RatesReport, RatesService } from '../../cloud/rates/index.ts';
import type { EdgeNodeInfo, IngestStats } from '../../cloud/ingest/types.ts';
import type { DeviceStatus } from '../../gateway/drivers/types.ts';
import type { NorthStats } from '../../gateway/north/types.ts';
import type { QueueStats } from '../../gateway/buffer/types.ts';
import type { Screen } from './screen.ts';

/** What the summary reads of one enterprise's gateway and uplink. */
export interface GatewayView {
  enterprise: string;
  node: string;
  gateway: {
    states(): ReadonlyMap<string, DeviceStatus>;
    north(): NorthStats;
    queue(): QueueStats;
  };
  /** Devices the gateway collects. */
  devices: number;
  uplinkCut(): boolean;
}

export interface SummarySource {
  rates: Pick<RatesService, 'report'>;
  stats(): IngestStats;
  nodes(): EdgeNodeInfo[];
  gateways: readonly GatewayView[];
  widthMs: number;
  /** The window of the "recent" rate column. */
  windowMs: number;
}

/** One enterprise's row, computed (formatting is separate, see table()). */
export interface Row {
  id: string;
  reachable: number;
  devices: number;
  uplink: string;
  live: number | null;
  window: number | null;
  mean: number | null;
}

const pct = (r: number | null | undefined) =>
  r === null || r === undefined ? '–' : `${Math.round(r * 100)}%`;
const grouped = (n: number) => n.toLocaleString('en-US');

export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function uplinkOf(g: GatewayView): string {
  const q = g.gateway.queue().entries;
  const buffered = q > 0 ? ` ${grouped(q)} queued` : '';
  if (g.uplinkCut()) return `CUT${buffered}`;
  if (!g.gateway.north().connected) return `down${buffered}`;
  return q > 0 ? `replay${buffered}` : 'up';
}

/** Devices the gateway reaches now. */
function reachable(g: GatewayView): number {
  let n = 0;
  for (const s of g.gateway.states().values()) if (s.state === 'online' || s.state === 'degraded') n++;
  return n;
}

export function rows(src: SummarySource, report: RatesReport): Row[] {
  const byId = new Map(report.enterprises.map((r) => [r.id, r]));
  return src.gateways.map((g) => {
    const r = byId.get(g.enterprise);
    return {
      id: g.enterprise,
      reachable: reachable(g),
      devices: g.devices,
      uplink: uplinkOf(g),
      live: r?.live.networkedRate ?? null,
      window: r?.window.networkedRate ?? null,
      mean: r?.window.meanOnlineFraction ?? null,
    };
  });
}

export function table(rs: readonly Row[], report: RatesReport, head: string): string[] {
  const idW = Math.max(16, ...rs.map((r) => r.id.length));
  const line = (c: string[]) =>
    [
      c[0]?.padEnd(idW),
      c[1]?.padStart(7),
      c[2]?.padEnd(16),
      c[3]?.padStart(5),
      c[4]?.padStart(8),
      c[5]?.padStart(6),
    ].join('  ');
  const p = report.province;
  return [
    head,
    line([
      'enterprise',
      'devices',
      'uplink',
      'live',
      windowLabel(report.window.to - report.window.from),
      'mean',
    ]),
    ...rs.map((r) =>
      line([r.id, `${r.reachable}/${r.devices}`, r.uplink, pct(r.live), pct(r.window), pct(r.mean)]),
    ),
    line([
      // The id, not the name: CJK characters take two columns and would break the alignment.
      `province ${p.id}`,
      '',
      `target ${report.target.met}/${report.target.total} met`,
      pct(p.live.networkedRate),
      pct(p.window.networkedRate),
      pct(p.window.meanOnlineFraction),
    ]),
  ];
}

/** The plain status line for logs and pipes. */
export function plainLine(rs: readonly Row[], report: RatesReport, head: string): string {
  const ents = rs.map((r) => `${r.id} ${r.reachable}/${r.devices} ${r.uplink} live ${pct(r.live)}`);
  return [head, ...ents, `province live ${pct(report.province.live.networkedRate)}`].join(' | ');
}

/**
 * Ticks once a second: milestones and replay ends are checked every tick, the status block is
 * redrawn every `redrawMs` (a plain line every `plainMs` without a TTY).
 */
export class SummaryMonitor {
  readonly #src: SummarySource;
  readonly #screen: Screen;
  readonly #t0: number;
  readonly #redrawMs: number;
  #timer: NodeJS.Timeout | undefined;
  #lastDraw = 0;
  #rate = { time: 0, samples: 0, perSecond: 0 };
  readonly #said = new Set<string>();
  #bornAt: number | undefined;
  /** Per enterprise: pointsReplayed when its uplink came back, while a backlog is replaying. */
  readonly #replaying = new Map<string, { since: number; replayed: number }>();

  constructor(src: SummarySource, screen: Screen, opts: { t0: number; redrawMs?: number; plainMs?: number }) {
    this.#src = src;
    this.#screen = screen;
    this.#t0 = opts.t0;
    this.#redrawMs = screen.tty ? (opts.redrawMs ?? 2000) : (opts.plainMs ?? 10_000);
  }

  start(): void {
    this.#rate = { time: Date.now(), samples: this.#src.stats().samples, perSecond: 0 };
    this.#timer = setInterval(() => this.tick(), 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#screen.release();
  }

  /** The uplink of `enterprise` is back: watch its backlog drain. */
  restored(enterprise: string): void {
    const g = this.#src.gateways.find((x) => x.enterprise === enterprise);
    if (g) this.#replaying.set(enterprise, { since: Date.now(), replayed: g.gateway.north().pointsReplayed });
  }

  tick(now = Date.now()): void {
    this.#milestones(now);
    this.#replays(now);
    if (now - this.#lastDraw < this.#redrawMs) return;
    this.#lastDraw = now;
    const stats = this.#src.stats();
    const dt = (now - this.#rate.time) / 1000;
    if (dt > 0)
      this.#rate = {
        time: now,
        samples: stats.samples,
        perSecond: (stats.samples - this.#rate.samples) / dt,
      };
    const report = this.report(now);
    const rs = rows(this.#src, report);
    const head = `t+${elapsed(now - this.#t0)}  ingest ${grouped(Math.round(this.#rate.perSecond))} points/s  stored ${grouped(stats.samplesStored)}`;
    if (this.#screen.tty) this.#screen.status(table(rs, report, head));
    else this.#screen.status([plainLine(rs, report, head)]);
  }

  /**
   * The rates the summary shows: the latest complete buckets over the summary window, but not
   * before the demo came up — in its first minutes the window would otherwise count the time
   * before the plant existed as offline and show every rate at 0.
   */
  report(now = Date.now()): RatesReport {
    const w = this.#src.widthMs;
    const to = Math.floor(now / w) * w;
    const from = Math.min(to - w, Math.max(to - this.#src.windowMs, Math.ceil(this.#t0 / w) * w));
    return this.#src.rates.report({ from, to }, now);
  }

  #once(key: string, line: string): void {
    if (this.#said.has(key)) return;
    this.#said.add(key);
    this.#screen.log(line);
  }

  #milestones(now: number): void {
    const at = `+${((now - this.#t0) / 1000).toFixed(1)}s`;
    const nodes = this.#src.nodes();
    // Born, with every device its gateway reaches born too (a device failing from the start
    // must not hold the milestone back; a gateway still connecting to all of them must).
    const born = this.#src.gateways.filter((g) => {
      const n = nodes.find((x) => x.group === g.enterprise && x.node === g.node);
      const r = reachable(g);
      return n?.online === true && r > 0 && n.devices.filter((d) => d.online).length >= r;
    });
    if (born.length === this.#src.gateways.length && this.#bornAt === undefined) {
      this.#bornAt = now;
      this.#once('born', `✓ data flowing ${at}: ${born.length} edge nodes born with all their devices`);
    }
    if (this.#bornAt === undefined) return;
    // Once the live bucket holds every device the gateways reach (or began after they were
    // all born): before, a rate counts devices that had not reported yet and reads low.
    const report = this.report(now);
    const live = new Map(report.enterprises.map((r) => [r.id, r.live.networked]));
    const complete = this.#src.gateways.every((g) => (live.get(g.enterprise) ?? 0) >= reachable(g));
    if (complete || report.liveBucket >= this.#bornAt)
      this.#once(
        'rates',
        `✓ rates live ${at}: ${report.enterprises.map((r) => `${r.id} ${pct(r.live.networkedRate)}`).join(', ')} (province ${pct(report.province.live.networkedRate)})`,
      );
  }

  #replays(now: number): void {
    for (const [enterprise, r] of this.#replaying) {
      const g = this.#src.gateways.find((x) => x.enterprise === enterprise);
      if (!g || g.uplinkCut()) {
        this.#replaying.delete(enterprise);
        continue;
      }
      const north = g.gateway.north();
      if (!north.connected || g.gateway.queue().entries > 0) continue;
      this.#replaying.delete(enterprise);
      const points = north.pointsReplayed - r.replayed;
      this.#screen.log(
        `  ${enterprise}: backlog replayed in ${((now - r.since) / 1000).toFixed(1)} s — ${grouped(points)} points as historical DDATA with their source timestamps; the outage's buckets fill in`,
      );
    }
  }
}

/** "2m rate", or "40s rate" while the demo is younger than the window. */
const windowLabel = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000}m rate` : `${ms / 1000}s rate`);
