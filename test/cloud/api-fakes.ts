/**
 * Small in-memory implementations of the contracts the API reads (rates engine, ledger, store,
 * ingest), for driving the API with `inject()`. The real engine and stores have their own
 * suites; these only return fixed data and record what the API asked.
 */
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { Registry } from 'prom-client';
import { buildApi } from '../../cloud/api/index.ts';
import { LedgerError } from '../../cloud/ledger/index.ts';
import type { ApiContext, ApiOptions, HealthReport } from '../../cloud/api/types.ts';
import type { EdgeNodeInfo, IngestStats } from '../../cloud/ingest/types.ts';
import type {
  LedgerDevice,
  LedgerEnterprise,
  LedgerRegion,
  LedgerView,
  UnregisteredDevice,
} from '../../cloud/ledger/types.ts';
import type {
  EnterpriseDetail,
  RateRow,
  Ratios,
  RatesEngine,
  RatesQuery,
  RatesReport,
  RatesTrend,
  TrendQuery,
} from '../../cloud/rates/types.ts';
import type { Series, SeriesQuery, Store } from '../../cloud/store/types.ts';

/** 2025-03-01T00:00:00Z; tests pin the API's clock here. */
export const NOW = Date.UTC(2025, 2, 1);
export const WIDTH = 60_000;

const ratios = (over: Partial<Ratios> = {}): Ratios => ({
  devices: 10,
  digital: 8,
  networked: 5,
  networkedDigital: 4,
  networkedRate: 0.5,
  deviceNetworkedRate: 0.5,
  digitizationRate: 0.8,
  meanOnlineFraction: 0.4375,
  ...over,
});

const row = (level: RateRow['level'], id: string, name: string, live: Partial<Ratios> = {}): RateRow => ({
  level,
  id,
  name,
  window: ratios(),
  live: ratios({ networked: 3, networkedDigital: 2, networkedRate: 0.25, meanOnlineFraction: null, ...live }),
});

export class FakeRates implements RatesEngine {
  readonly widthMs = WIDTH;
  readonly theta = 0.5;
  readonly queries: { q: RatesQuery; now: number | undefined }[] = [];

  report(q: RatesQuery, now?: number): RatesReport {
    this.queries.push({ q, now });
    const to = q.to ?? Math.floor((now ?? NOW) / WIDTH) * WIDTH;
    const from = q.from ?? to - 86_400_000;
    return {
      window: { from, to, widthMs: WIDTH, buckets: (to - from) / WIDTH, theta: q.theta ?? this.theta },
      liveBucket: to - WIDTH,
      province: row('province', 'hebei', '河北省'),
      cities: [row('city', 'tangshan', '唐山市')],
      industries: [row('industry', 'steel', '钢铁')],
      enterprises: [
        {
          ...row('enterprise', 'ts-steel', '唐山联网示范钢铁有限公司'),
          city: 'tangshan',
          industry: 'steel',
          leading: true,
        },
        // A name a spreadsheet would misread: a comma, quotes and a leading '='.
        {
          ...row('enterprise', 'odd', '=HYPERLINK("x"),公司', { networkedRate: null, digital: 0 }),
          city: 'tangshan',
          industry: 'other',
          leading: false,
        },
      ],
      target: {
        threshold: 0.5,
        met: 1,
        total: 1,
        entries: [
          {
            enterprise: 'ts-steel',
            name: '唐山联网示范钢铁有限公司',
            industry: 'steel',
            city: 'tangshan',
            networkedRate: 0.5,
            meets: true,
          },
        ],
      },
    };
  }

  /** Two steps of the asked window, the second at half the rate (the real engine: test/cloud/api-trend.test.ts). */
  trend(q: TrendQuery, now?: number): RatesTrend {
    this.queries.push({ q, now });
    const to = q.to ?? Math.floor((now ?? NOW) / WIDTH) * WIDTH;
    const from = q.from ?? to - 2 * q.stepMs;
    const point = (k: number, over: Partial<Ratios> = {}) => ({
      from: from + k * q.stepMs,
      to: from + (k + 1) * q.stepMs,
      ...ratios(over),
    });
    return {
      window: { from, to, widthMs: WIDTH, stepMs: q.stepMs, steps: 2, theta: q.theta ?? this.theta },
      points: [point(0), point(1, { networkedDigital: 2, networkedRate: 0.25, meanOnlineFraction: null })],
    };
  }

  enterprise(id: string, q: RatesQuery, now?: number): EnterpriseDetail | undefined {
    this.queries.push({ q, now });
    if (id !== 'ts-steel') return undefined;
    return {
      row: row('enterprise', 'ts-steel', '唐山联网示范钢铁有限公司'),
      city: 'tangshan',
      industry: 'steel',
      leading: true,
      lines: [
        {
          id: 'hot-rolling',
          devices: [
            {
              enterprise: 'ts-steel',
              line: 'hot-rolling',
              id: 'furnace-1',
              name: '加热炉1号',
              kind: 'reheating-furnace',
              digital: true,
              onlineBuckets: 1200,
              buckets: 1440,
              onlineFraction: 1200 / 1440,
              networked: true,
              online: true,
              lastSeen: NOW - 5_000,
              node: 'gw-1',
            },
            {
              enterprise: 'ts-steel',
              line: 'hot-rolling',
              id: 'mill-2',
              kind: 'rolling-mill',
              digital: true,
              onlineBuckets: 0,
              buckets: 1440,
              onlineFraction: 0,
              networked: false,
              online: false,
              reason: 'never_connected',
            },
          ],
        },
      ],
    };
  }
}

export class MemoryLedger implements LedgerView {
  version = 1;
  readonly enterpriseList: LedgerEnterprise[] = [
    { id: 'ts-steel', name: '唐山联网示范钢铁有限公司', city: 'tangshan', industry: 'steel', leading: true },
  ];
  readonly deviceList: LedgerDevice[] = [
    {
      enterprise: 'ts-steel',
      line: 'hot-rolling',
      id: 'furnace-1',
      name: '加热炉1号',
      kind: 'reheating-furnace',
      digital: true,
      keyProcess: true,
      connectivity: 'modbus-tcp',
    },
  ];
  /** Set to make the next write fail as a disk would. */
  failNextWrite: Error | undefined;

  region(): LedgerRegion {
    return {
      id: 'hebei',
      name: '河北省',
      nameEn: 'Hebei',
      cities: [
        { id: 'tangshan', name: '唐山市' },
        { id: 'shijiazhuang', name: '石家庄市' },
      ],
    };
  }
  enterprises(): readonly LedgerEnterprise[] {
    return this.enterpriseList;
  }
  enterprise(id: string): LedgerEnterprise | undefined {
    return this.enterpriseList.find((e) => e.id === id);
  }
  devices(enterprise?: string): readonly LedgerDevice[] {
    return this.deviceList.filter((d) => enterprise === undefined || d.enterprise === enterprise);
  }
  device(enterprise: string, id: string): LedgerDevice | undefined {
    return this.deviceList.find((d) => d.enterprise === enterprise && d.id === id);
  }
  private failure(): void {
    const err = this.failNextWrite;
    this.failNextWrite = undefined;
    if (err) throw err;
  }
  putEnterprise(e: LedgerEnterprise): Promise<void> {
    this.failure();
    if (!this.region().cities.some((c) => c.id === e.city)) {
      const message = `unknown city "${e.city}"`;
      return Promise.reject(new LedgerError('unknown_city', message, [{ path: 'city', message }]));
    }
    if (e.name.trim() === '')
      return Promise.reject(new LedgerError('invalid_input', 'name must not be blank'));
    const i = this.enterpriseList.findIndex((x) => x.id === e.id);
    if (i >= 0) this.enterpriseList[i] = e;
    else this.enterpriseList.push(e);
    this.version++;
    return Promise.resolve();
  }
  putDevice(d: LedgerDevice): Promise<void> {
    this.failure();
    const i = this.deviceList.findIndex((x) => x.enterprise === d.enterprise && x.id === d.id);
    if (i >= 0) this.deviceList[i] = d;
    else this.deviceList.push(d);
    this.version++;
    return Promise.resolve();
  }
  deleteDevice(enterprise: string, id: string): Promise<boolean> {
    this.failure();
    const i = this.deviceList.findIndex((x) => x.enterprise === enterprise && x.id === id);
    if (i < 0) return Promise.resolve(false);
    this.deviceList.splice(i, 1);
    this.version++;
    return Promise.resolve(true);
  }
}

export class StubStore implements Pick<Store, 'series' | 'kind' | 'location'> {
  readonly kind = 'duckdb';
  readonly location = '/var/lib/lianwang';
  readonly queries: SeriesQuery[] = [];
  fail = false;

  series(q: SeriesQuery): Promise<Series[]> {
    this.queries.push(q);
    if (this.fail) return Promise.reject(new Error('IO Error: /var/lib/lianwang/store.duckdb is locked'));
    return Promise.resolve([
      {
        metric: 'temperature',
        points: [
          { time: q.from, value: 1180.5, good: true },
          { time: q.from + 1000, value: null, good: false },
        ],
      },
      { metric: 'running', points: [{ time: q.from, value: true, good: true }] },
      { metric: 'mode', points: [{ time: q.from, value: 'auto', good: true }] },
    ]);
  }
}

export const NODES: EdgeNodeInfo[] = [
  {
    group: 'ts-steel',
    node: 'gw-1',
    online: true,
    bdSeq: 3,
    lastBirth: NOW - 60_000,
    lastMessage: NOW - 1_000,
    backlog: { entries: 12, bytes: 3400 },
    devices: [{ id: 'furnace-1', online: true }],
    rebirthsRequested: 1,
  },
  {
    group: 'bd-pharma',
    node: 'gw-9',
    online: false,
    lastDeath: NOW - 5_000,
    devices: [],
    rebirthsRequested: 0,
  },
];

export const INGEST: IngestStats = {
  messages: 100,
  samples: 2000,
  samplesStored: 1990,
  rejected: { malformed_payload: 2 },
  dropped: {},
  seqGaps: 1,
  rebirthsRequested: 1,
  pending: 10,
};

export const UNREGISTERED: UnregisteredDevice[] = [
  {
    enterprise: 'ts-steel',
    node: 'gw-1',
    device: 'press-9',
    firstSeen: NOW - 3_600_000,
    lastSeen: NOW - 1_000,
  },
  {
    enterprise: 'bd-pharma',
    node: 'gw-9',
    device: 'mixer-2',
    firstSeen: NOW - 7_200_000,
    lastSeen: NOW - 2_000,
  },
];

export interface Fakes {
  rates: FakeRates;
  ledger: MemoryLedger;
  store: StubStore;
  registry: Registry;
  events: EventEmitter;
  health: HealthReport | Error;
  ctx: ApiContext;
}

export function fakes(): Fakes {
  const f = {
    rates: new FakeRates(),
    ledger: new MemoryLedger(),
    store: new StubStore(),
    registry: new Registry(),
    events: new EventEmitter(),
    health: { store: 'ok', broker: 'connected' } as HealthReport | Error,
  };
  const ctx: ApiContext = {
    rates: f.rates,
    ledger: f.ledger,
    store: f.store,
    unregistered: () => UNREGISTERED,
    nodes: () => NODES,
    ingest: () => INGEST,
    registry: f.registry,
    health: () => (f.health instanceof Error ? Promise.reject(f.health) : f.health),
    events: f.events,
  };
  return Object.assign(f, { ctx });
}

export const silent = pino({ level: 'silent' });

export async function api(opts: ApiOptions = {}, f: Fakes = fakes()) {
  const app = await buildApi(f.ctx, { logger: silent, now: () => NOW, ...opts });
  return { app, f };
}
