/**
 * The rates engine: the KPI of DOMAIN.md §1 (docs/rates.md) from the ledger (the
 * denominator) and the availability index (the numerator), with offline reasons from the
 * link status. Ingest feeds it (`sample`, `event`); the API asks it (`report`, `enterprise`).
 *
 * A report walks every selected ledger device once: two O(log runs) counts per device
 * (window and live bucket), so 100,000 devices take tens of ms and nothing is cached —
 * a cache keyed by window and ledger version would go stale with every new mark anyway.
 */
import { INDUSTRIES, type Industry } from '../../config/model/common.ts';
import type { LedgerDevice, LedgerEnterprise, LedgerView } from '../ledger/types.ts';
import { UnregisteredDevices } from '../ledger/unregistered.ts';
import type { LinkEvent } from '../store/types.ts';
import { AvailabilityIndex } from './availability.ts';
import { LinkStatus } from './status.ts';
import { addDevice, addTally, emptyTally, INDUSTRY_NAMES, ratios, type Tally } from './tally.ts';
import type {
  ActivityFeed,
  DeviceAvailability,
  EnterpriseDetail,
  RateRow,
  RatesEngine,
  RatesQuery,
  RatesReport,
  RatesTrend,
  TargetEntry,
  TrendQuery,
} from './types.ts';
import { computeTrend, selectEnterprises } from './trend.ts';
import { checkTheta, DAY_MS, resolveWindow, type ResolvedWindow } from './window.ts';

export interface TargetOptions {
  /** Networked rate each leading enterprise must reach (default 0.5: “达到50%以上”). */
  threshold?: number;
  /** Industries whose leading enterprises are checked; default all INDUSTRIES. */
  industries?: readonly Industry[];
}

export interface RatesEngineOptions {
  ledger: LedgerView;
  /** Default: a new index of `widthMs`. Its width must equal `widthMs`. */
  availability?: AvailabilityIndex;
  status?: LinkStatus;
  unregistered?: UnregisteredDevices;
  /** Bucket width w, ms (default 60,000). */
  widthMs?: number;
  /** Online-fraction threshold θ (default 0.5). */
  theta?: number;
  /** The target check: a threshold, or options. */
  target?: number | TargetOptions;
  /** Longest window a query may ask for (default 400 days). */
  maxWindowMs?: number;
  /**
   * Samples stamped further than this ahead of the clock are ignored (default 5 min): a
   * device with a wrong clock must not mark future buckets online.
   */
  maxFutureMs?: number;
  /** The clock for the future check (default Date.now). */
  clock?: () => number;
}

export interface RatesEngineStats {
  /** Samples ignored because their source time was too far in the future (or not a number). */
  futureSamples: number;
}

/** The engine and the feed in one object, with its parts exposed for the API and restarts. */
export interface RatesService extends RatesEngine, ActivityFeed {
  readonly availability: AvailabilityIndex;
  readonly status: LinkStatus;
  readonly unregistered: UnregisteredDevices;
  readonly target: { threshold: number; industries: readonly Industry[] };
  stats(): RatesEngineStats;
}

interface EnterpriseTally {
  e: LedgerEnterprise;
  window: Tally;
  live: Tally;
}

export function createRatesEngine(o: RatesEngineOptions): RatesService {
  const widthMs = o.widthMs ?? o.availability?.widthMs ?? 60_000;
  const availability = o.availability ?? new AvailabilityIndex(widthMs);
  if (availability.widthMs !== widthMs) {
    throw new RangeError(`availability index width ${availability.widthMs} ms ≠ engine width ${widthMs} ms`);
  }
  const theta = checkTheta(o.theta ?? 0.5);
  const targetOpts: TargetOptions = typeof o.target === 'number' ? { threshold: o.target } : (o.target ?? {});
  const target = {
    threshold: checkTheta(targetOpts.threshold ?? 0.5),
    industries: targetOpts.industries ?? INDUSTRIES,
  };
  const status = o.status ?? new LinkStatus();
  const unregistered = o.unregistered ?? new UnregisteredDevices(o.ledger);
  const maxWindowMs = o.maxWindowMs ?? 400 * DAY_MS;
  const maxFutureMs = o.maxFutureMs ?? 5 * 60_000;
  const clock = o.clock ?? Date.now;
  const ledger = o.ledger;
  const stats: RatesEngineStats = { futureSamples: 0 };

  const windowOf = (q: RatesQuery, now: number) => ({
    w: resolveWindow(q, now, widthMs, maxWindowMs),
    theta: q.theta === undefined ? theta : checkTheta(q.theta),
  });

  /** Both tallies of one enterprise: a device is networked iff online fraction ≥ θ. */
  function tallyEnterprise(e: LedgerEnterprise, w: ResolvedWindow, th: number): EnterpriseTally {
    const window = emptyTally();
    const live = emptyTally();
    const runs = availability.enterprise(e.id);
    const from = w.from / widthMs;
    const to = w.to / widthMs;
    const liveB = w.liveBucket / widthMs;
    for (const d of ledger.devices(e.id)) {
      const r = runs?.get(d.id);
      const online = r ? r.count(from, to) : 0;
      // Division, not `online >= th * buckets`: 0.7 * 10 is 7.000000000000001 in doubles.
      addDevice(window, d.digital, online / w.buckets >= th, online);
      const up = r ? r.count(liveB, liveB + 1) : 0;
      addDevice(live, d.digital, up === 1, up);
    }
    return { e, window, live };
  }

  const row = (
    level: RateRow['level'],
    id: string,
    name: string,
    t: EnterpriseTally | GroupTally,
    buckets: number,
  ): RateRow => ({
    level,
    id,
    name,
    window: ratios(t.window, buckets),
    live: ratios(t.live, 1),
  });

  /** An enterprise's row carries what it is filtered and checked by: city, industry, leading. */
  const enterpriseRow = (t: EnterpriseTally, buckets: number): RateRow => ({
    ...row('enterprise', t.e.id, t.e.name, t, buckets),
    city: t.e.city,
    industry: t.e.industry,
    leading: t.e.leading,
  });

  function report(q: RatesQuery, now = Date.now()): RatesReport {
    const { w, theta: th } = windowOf(q, now);
    const filtered = q.enterprise !== undefined || q.industry !== undefined || q.city !== undefined;
    const selected = selectEnterprises(ledger, q).map((e) => tallyEnterprise(e, w, th));

    const region = ledger.region();
    const province = groupTally();
    const cities = new Map<string, GroupTally>();
    const industries = new Map<Industry, GroupTally>();
    // Unfiltered, every city and industry gets a row (a map shows all of the province);
    // a filter narrows every level to the groups of the selected enterprises.
    if (!filtered) {
      for (const c of region.cities) cities.set(c.id, groupTally());
      for (const i of INDUSTRIES) industries.set(i, groupTally());
    }
    for (const t of selected) {
      addGroup(province, t);
      addGroup(getOr(cities, t.e.city, groupTally), t);
      addGroup(getOr(industries, t.e.industry, groupTally), t);
    }
    const cityName = new Map(region.cities.map((c) => [c.id, c.name]));
    const cityOrder = new Map(region.cities.map((c, i) => [c.id, i]));
    const targetEntries: TargetEntry[] = selected
      .filter((t) => t.e.leading && target.industries.includes(t.e.industry))
      .map((t) => {
        const rate = ratios(t.window, w.buckets).networkedRate;
        return {
          enterprise: t.e.id,
          name: t.e.name,
          industry: t.e.industry,
          city: t.e.city,
          networkedRate: rate,
          // An enterprise without digital devices has no rate, so it cannot meet the target.
          meets: rate !== null && rate >= target.threshold,
        };
      });
    return {
      window: { from: w.from, to: w.to, widthMs, buckets: w.buckets, theta: th },
      liveBucket: w.liveBucket,
      province: row('province', region.id, region.name, province, w.buckets),
      cities: [...cities]
        .sort(([a], [b]) => (cityOrder.get(a) ?? cityOrder.size) - (cityOrder.get(b) ?? cityOrder.size))
        .map(([id, t]) => row('city', id, cityName.get(id) ?? id, t, w.buckets)),
      industries: INDUSTRIES.filter((i) => industries.has(i)).map((i) =>
        row('industry', i, INDUSTRY_NAMES[i], industries.get(i) ?? groupTally(), w.buckets),
      ),
      enterprises: selected.map((t) => enterpriseRow(t, w.buckets)),
      target: {
        threshold: target.threshold,
        met: targetEntries.filter((t) => t.meets).length,
        total: targetEntries.length,
        entries: targetEntries,
      },
    };
  }

  function enterprise(id: string, q: RatesQuery, now = Date.now()): EnterpriseDetail | undefined {
    const e = ledger.enterprise(id);
    if (!e) return undefined;
    const { w, theta: th } = windowOf(q, now);
    const t = tallyEnterprise(e, w, th);
    const lines = new Map<string, DeviceAvailability[]>();
    for (const d of ledger.devices(id)) getOr(lines, d.line, () => []).push(deviceDetail(e.id, d, w, th));
    return {
      row: enterpriseRow(t, w.buckets),
      city: e.city,
      industry: e.industry,
      leading: e.leading,
      lines: [...lines].map(([line, devices]) => ({ id: line, devices })),
    };
  }

  function deviceDetail(ent: string, d: LedgerDevice, w: ResolvedWindow, th: number): DeviceAvailability {
    const r = availability.device(ent, d.id);
    const onlineBuckets = r ? r.count(w.from / widthMs, w.to / widthMs) : 0;
    const liveB = w.liveBucket / widthMs;
    const online = r ? r.count(liveB, liveB + 1) === 1 : false;
    const lastSeen = availability.lastSeen(ent, d.id);
    const node = status.node(ent, d.id);
    const onlineFraction = onlineBuckets / w.buckets;
    return {
      enterprise: ent,
      line: d.line,
      id: d.id,
      ...(d.name === undefined ? {} : { name: d.name }),
      kind: d.kind,
      digital: d.digital,
      onlineBuckets,
      buckets: w.buckets,
      onlineFraction,
      networked: onlineFraction >= th,
      online,
      ...(lastSeen === undefined ? {} : { lastSeen }),
      ...(online ? {} : { reason: status.reason(ent, d, lastSeen !== undefined) }),
      ...(node === undefined ? {} : { node }),
    };
  }

  function trend(q: TrendQuery, now = Date.now()): RatesTrend {
    const { w, theta: th } = windowOf(q, now);
    return computeTrend({ ledger, availability, widthMs }, w, q, th);
  }

  function sample(enterprise: string, node: string, device: string, time: number): number | undefined {
    // Node-level metrics (device '') describe the gateway, not a production device.
    if (device === '') return undefined;
    if (!Number.isFinite(time) || time > clock() + maxFutureMs) {
      stats.futureSamples++;
      return undefined;
    }
    status.seen(enterprise, node, device, time);
    // Unregistered devices are listed apart; their marks are still kept so that history
    // counts from the day the ledger is corrected (the denominator only walks the ledger).
    // Beyond the unregistered list's bound they are not kept either: ids invented by a
    // misconfigured gateway must not grow the index without end.
    if (unregistered.see(enterprise, node, device, time) && !unregistered.has(enterprise, device)) {
      return undefined;
    }
    return availability.mark(enterprise, device, time);
  }

  return {
    widthMs,
    theta,
    target,
    availability,
    status,
    unregistered,
    report,
    enterprise,
    trend,
    sample,
    event: (e: LinkEvent) => status.event(e),
    stats: () => ({ ...stats }),
  };
}

interface GroupTally {
  window: Tally;
  live: Tally;
}

const groupTally = (): GroupTally => ({ window: emptyTally(), live: emptyTally() });

function addGroup(g: GroupTally, t: EnterpriseTally): void {
  addTally(g.window, t.window);
  addTally(g.live, t.live);
}

function getOr<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}
