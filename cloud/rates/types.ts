/**
 * Report shapes of the networked rates (DOMAIN.md §1, docs/rates.md): what
 * `/api/rates` and `/api/enterprises/:id` return and the dashboard draws.
 */
import type { Industry } from '../../config/model/common.ts';
import type { LinkEvent } from '../store/types.ts';

export type OfflineReason = 'device_unreachable' | 'gateway_down' | 'never_connected';

export interface RatesQuery {
  /** Window start, ms (inclusive; rounded down to a bucket). Default: to − 24 h. */
  from?: number;
  /** Window end, ms (exclusive; rounded down to a bucket). Default: the latest complete bucket's end. */
  to?: number;
  enterprise?: string;
  industry?: Industry;
  city?: string;
  /** Online-fraction threshold θ; default from the configuration (0.5). */
  theta?: number;
}

/** Counts and the three ratios of DOMAIN.md §1; a ratio is null when its denominator is 0. */
export interface Ratios {
  /** Ledger production devices. */
  devices: number;
  /** Ledger digital devices. */
  digital: number;
  /** Devices networked (online fraction ≥ θ, or online in the live bucket). */
  networked: number;
  /** Digital devices networked. */
  networkedDigital: number;
  /** 数字化设备联网率 = networkedDigital / digital (the Hebei KPI). */
  networkedRate: number | null;
  /** 设备联网率 = networked / devices. */
  deviceNetworkedRate: number | null;
  /** 生产设备数字化率 = digital / devices. */
  digitizationRate: number | null;
  /** Mean online fraction of the digital devices over the window. */
  meanOnlineFraction: number | null;
}

export interface RateRow {
  level: 'enterprise' | 'industry' | 'city' | 'province';
  id: string;
  name: string;
  /** Enterprise rows: its city (id), industry, and whether it is a leading enterprise (龙头企业). */
  city?: string;
  industry?: Industry;
  leading?: boolean;
  /** Over the window. */
  window: Ratios;
  /** In the latest complete bucket. */
  live: Ratios;
}

export interface TargetEntry {
  enterprise: string;
  name: string;
  industry: Industry;
  city: string;
  networkedRate: number | null;
  meets: boolean;
}

export interface RatesReport {
  window: { from: number; to: number; widthMs: number; buckets: number; theta: number };
  /** Start of the latest complete bucket. */
  liveBucket: number;
  province: RateRow;
  cities: RateRow[];
  industries: RateRow[];
  enterprises: RateRow[];
  /** Leading enterprises of key industries against the target (default 0.5). */
  target: { threshold: number; met: number; total: number; entries: TargetEntry[] };
}

export interface DeviceAvailability {
  enterprise: string;
  line: string;
  id: string;
  name?: string;
  kind: string;
  digital: boolean;
  onlineBuckets: number;
  buckets: number;
  onlineFraction: number;
  /** onlineFraction ≥ θ */
  networked: boolean;
  /** Online in the latest complete bucket. */
  online: boolean;
  /** Source time of the latest good sample, ms. */
  lastSeen?: number;
  /** Set when the device is not online in the live bucket. */
  reason?: OfflineReason;
  /** The edge node that last reported the device. */
  node?: string;
}

export interface EnterpriseDetail {
  row: RateRow;
  city: string;
  industry: Industry;
  leading: boolean;
  lines: { id: string; devices: DeviceAvailability[] }[];
}

/** A trend: the window cut into steps, each with the ratios over that step alone. */
export interface TrendQuery extends RatesQuery {
  /** Step length, ms: a multiple of the bucket width; the window must be a whole number of steps. */
  stepMs: number;
}

/** The ratios over [from, to), one step (as `/api/rates` would report them for that window). */
export interface TrendPoint extends Ratios {
  from: number;
  to: number;
}

export interface RatesTrend {
  window: { from: number; to: number; widthMs: number; stepMs: number; steps: number; theta: number };
  /** Oldest first; the total of the selected enterprises (the province without a filter). */
  points: TrendPoint[];
}

/** What the API asks of the rates engine. `now` defaults to Date.now(). */
export interface RatesEngine {
  readonly widthMs: number;
  readonly theta: number;
  report(q: RatesQuery, now?: number): RatesReport;
  enterprise(id: string, q: RatesQuery, now?: number): EnterpriseDetail | undefined;
  trend(q: TrendQuery, now?: number): RatesTrend;
}

/** What ingest tells the rates engine as telemetry arrives (in any order, late data too). */
export interface ActivityFeed {
  /**
   * A good sample of a device at its source time. Returns the bucket start when this made
   * a new online bucket (ingest persists it as an OnlineMark), else undefined.
   */
  sample(enterprise: string, node: string, device: string, time: number): number | undefined;
  /** A Sparkplug session event (NBIRTH/NDEATH/DBIRTH/DDEATH). */
  event(e: LinkEvent): void;
}
