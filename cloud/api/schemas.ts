/**
 * JSON Schemas of what the API returns, registered once (`addSchema`) and referenced by `$id`
 * from the routes: fastify validates and serializes with them, @fastify/swagger turns them into
 * the OpenAPI components. They mirror the contract types in cloud/{rates,ledger,ingest,store}/types.ts;
 * a response schema drops properties it does not list, so tests round-trip full objects to
 * catch a field missing here.
 */
import { z } from 'zod';
import { Id, INDUSTRIES } from '../../config/model/common.ts';
import { LedgerDeviceSchema, LedgerEnterpriseSchema } from '../ledger/index.ts';

type Schema = Record<string, unknown>;

/** A zod schema as a draft-07 JSON Schema (what fastify's Ajv speaks), without the `$schema` marker. */
function fromZod(schema: z.ZodType, io: 'input' | 'output' = 'output'): Schema {
  const { $schema: _marker, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io });
  return rest;
}

/** The ids of the configuration (enterprise, city, device, …): the same rule as config/model/common.ts. */
export const ID: Schema = fromZod(Id);
export const INDUSTRY: Schema = { type: 'string', enum: [...INDUSTRIES] };

const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const nullableNum = { type: ['number', 'null'] } as const;
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const ref = (id: string): Schema => ({ $ref: `${id}#` });
const arrayOf = (items: Schema): Schema => ({ type: 'array', items });

const errorObject = obj(
  {
    code: { type: 'string', pattern: '^LW_[A-Z_]+$' },
    message: str,
    details: { description: 'Extra context, e.g. the failing parameter.' },
  },
  ['code', 'message'],
);
export const ErrorResponse: Schema = { $id: 'ErrorResponse', ...obj({ error: errorObject }) };

const RATIO_PROPERTIES: Record<string, Schema> = {
  devices: int,
  digital: int,
  networked: int,
  networkedDigital: int,
  networkedRate: {
    ...nullableNum,
    description: '数字化设备联网率 = networkedDigital / digital (the Hebei KPI)',
  },
  deviceNetworkedRate: { ...nullableNum, description: '设备联网率 = networked / devices' },
  digitizationRate: { ...nullableNum, description: '生产设备数字化率 = digital / devices' },
  meanOnlineFraction: nullableNum,
};

export const Ratios: Schema = {
  $id: 'Ratios',
  description: 'Counts and the three ratios of the KPI; a ratio is null when its denominator is 0.',
  ...obj(RATIO_PROPERTIES),
};

export const RateRow: Schema = {
  $id: 'RateRow',
  ...obj(
    {
      level: { type: 'string', enum: ['enterprise', 'industry', 'city', 'province'] },
      id: str,
      name: str,
      city: { ...str, description: 'Enterprise rows: the city id.' },
      industry: { ...INDUSTRY, description: 'Enterprise rows: the industry.' },
      leading: { ...bool, description: 'Enterprise rows: a leading enterprise (龙头企业).' },
      window: ref('Ratios'),
      live: ref('Ratios'),
    },
    ['level', 'id', 'name', 'window', 'live'],
  ),
};

export const RatesReport: Schema = {
  $id: 'RatesReport',
  ...obj({
    window: obj({ from: int, to: int, widthMs: int, buckets: int, theta: num }),
    liveBucket: int,
    province: ref('RateRow'),
    cities: arrayOf(ref('RateRow')),
    industries: arrayOf(ref('RateRow')),
    enterprises: arrayOf(ref('RateRow')),
    target: obj({
      threshold: num,
      met: int,
      total: int,
      entries: arrayOf(
        obj({
          enterprise: str,
          name: str,
          industry: INDUSTRY,
          city: str,
          networkedRate: nullableNum,
          meets: bool,
        }),
      ),
    }),
  }),
};

export const RatesTrend: Schema = {
  $id: 'RatesTrend',
  description: 'The ratios per step of the window, for the selected enterprises together.',
  ...obj({
    window: obj({ from: int, to: int, widthMs: int, stepMs: int, steps: int, theta: num }),
    points: arrayOf(
      obj({
        from: { ...int, description: 'Step start, ms.' },
        to: { ...int, description: 'Step end, ms.' },
        ...RATIO_PROPERTIES,
      }),
    ),
  }),
};

export const DeviceAvailability: Schema = {
  $id: 'DeviceAvailability',
  ...obj(
    {
      enterprise: str,
      line: str,
      id: str,
      name: str,
      kind: str,
      digital: bool,
      onlineBuckets: int,
      buckets: int,
      onlineFraction: num,
      networked: bool,
      online: bool,
      lastSeen: { ...int, description: 'Source time of the latest good sample, ms.' },
      reason: { type: 'string', enum: ['device_unreachable', 'gateway_down', 'never_connected'] },
      node: str,
    },
    [
      'enterprise',
      'line',
      'id',
      'kind',
      'digital',
      'onlineBuckets',
      'buckets',
      'onlineFraction',
      'networked',
      'online',
    ],
  ),
};

export const EnterpriseDetail: Schema = {
  $id: 'EnterpriseDetail',
  ...obj({
    row: ref('RateRow'),
    city: str,
    industry: INDUSTRY,
    leading: bool,
    lines: arrayOf(obj({ id: str, devices: arrayOf(ref('DeviceAvailability')) })),
  }),
};

export const Series: Schema = {
  $id: 'Series',
  ...obj({
    metric: str,
    points: arrayOf(obj({ time: int, value: { type: ['number', 'boolean', 'string', 'null'] }, good: bool })),
  }),
};

// The ledger's own zod schemas (what its edits are validated with) give the ledger shapes:
// requests and the ledger cannot disagree on a field or a rule.
export const LedgerEnterprise: Schema = {
  $id: 'LedgerEnterprise',
  ...fromZod(LedgerEnterpriseSchema, 'output'),
};
export const LedgerDevice: Schema = { $id: 'LedgerDevice', ...fromZod(LedgerDeviceSchema, 'output') };
/** PUT bodies: the ids come from the path and may be repeated in the body. */
export const ENTERPRISE_BODY: Schema = fromZod(LedgerEnterpriseSchema.partial({ id: true }), 'input');
export const DEVICE_BODY: Schema = fromZod(
  LedgerDeviceSchema.partial({ enterprise: true, id: true }),
  'input',
);

const city = obj({ id: str, name: str, nameEn: str }, ['id', 'name']);
export const LedgerRegion: Schema = {
  $id: 'LedgerRegion',
  ...obj({ id: str, name: str, nameEn: str, cities: arrayOf(city) }, ['id', 'name', 'cities']),
};

export const UnregisteredDevice: Schema = {
  $id: 'UnregisteredDevice',
  ...obj({ enterprise: str, node: str, device: str, firstSeen: int, lastSeen: int }),
};

export const EdgeNodeInfo: Schema = {
  $id: 'EdgeNodeInfo',
  ...obj(
    {
      group: str,
      node: str,
      online: bool,
      bdSeq: int,
      lastBirth: int,
      lastDeath: int,
      lastMessage: int,
      backlog: obj({ entries: int, bytes: int }),
      devices: arrayOf(obj({ id: str, online: bool })),
      rebirthsRequested: int,
    },
    ['group', 'node', 'online', 'devices', 'rebirthsRequested'],
  ),
};

const counts = { type: 'object', additionalProperties: int };
export const IngestStats: Schema = {
  $id: 'IngestStats',
  ...obj({
    messages: int,
    samples: int,
    samplesStored: int,
    rejected: counts,
    dropped: counts,
    seqGaps: int,
    rebirthsRequested: int,
    pending: int,
  }),
};

export const Health: Schema = {
  $id: 'Health',
  type: 'object',
  description: 'Per-part status; parts beyond store and broker are passed through.',
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded', 'down'] },
    store: { type: 'string', enum: ['ok', 'down'] },
    broker: { type: 'string', enum: ['connected', 'disconnected'] },
    storeKind: { type: 'string', enum: ['influx', 'duckdb'] },
    error: errorObject,
  },
  required: ['status', 'store', 'broker'],
  additionalProperties: true,
};

/** In dependency order: a schema is added after the ones it references. */
export const SHARED_SCHEMAS: readonly Schema[] = [
  ErrorResponse,
  Ratios,
  RateRow,
  RatesReport,
  RatesTrend,
  DeviceAvailability,
  EnterpriseDetail,
  Series,
  LedgerEnterprise,
  LedgerDevice,
  LedgerRegion,
  UnregisteredDevice,
  EdgeNodeInfo,
  IngestStats,
  Health,
];
