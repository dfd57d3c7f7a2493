/**
 * The cloud API as the dashboard reads it. Response types are the server's own (type-only
 * imports, erased by the bundler), so a change of shape there fails the dashboard's type
 * check instead of a chart at run time.
 *
 * Read token: when the API answers 401, the app asks for the token and keeps it in
 * sessionStorage (gone when the tab closes; never localStorage, which would keep a credential
 * on a shared control-room machine indefinitely).
 */
import type { EdgeNodeInfo, IngestStats } from '../../cloud/ingest/types.ts';
import type {
  LedgerDevice,
  LedgerEnterprise,
  LedgerRegion,
  UnregisteredDevice,
} from '../../cloud/ledger/types.ts';
import type { EnterpriseDetail, RatesReport, RatesTrend } from '../../cloud/rates/types.ts';
import type { Series } from '../../cloud/store/types.ts';

export type {
  EdgeNodeInfo,
  EnterpriseDetail,
  LedgerEnterprise,
  RatesReport,
  RatesTrend,
  Series,
  UnregisteredDevice,
};
export type { DeviceAvailability, RateRow, Ratios, TargetEntry } from '../../cloud/rates/types.ts';

export interface NodesResponse {
  nodes: EdgeNodeInfo[];
  ingest: IngestStats;
  store: { kind: 'influx' | 'duckdb'; location: string };
}

export interface LedgerResponse {
  version: number;
  region: LedgerRegion;
  enterprises: LedgerEnterprise[];
  devices: LedgerDevice[];
}

export interface Health {
  status: 'ok' | 'degraded' | 'down';
  store: 'ok' | 'down';
  broker: 'connected' | 'disconnected';
}

/** An error answer of the API: the status and the catalogued `LW_…` code when there is one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'lianwang.token';

export function token(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function setToken(value: string | undefined): void {
  try {
    if (value === undefined) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, value);
  } catch {
    // Without storage the token lasts until the next reload; the prompt asks again then.
  }
}

type Params = Readonly<Record<string, string | number | undefined>>;

function url(path: string, params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export async function getJson<T>(path: string, params?: Params, signal?: AbortSignal): Promise<T> {
  const tok = token();
  const res = await fetch(url(path, params), {
    headers: { accept: 'application/json', ...(tok ? { authorization: `Bearer ${tok}` } : {}) },
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) {
    let code: string | undefined;
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: { code?: string; message?: string } };
      code = body.error?.code;
      if (body.error?.message) message = body.error.message;
    } catch {
      // Not our JSON error body (a proxy's page): the status line says enough.
    }
    throw new ApiError(res.status, code, message);
  }
  return (await res.json()) as T;
}

/** EventSource cannot send headers: the stream takes the token as a query parameter. */
export function streamUrl(): string {
  const tok = token();
  return url('/api/stream', { access_token: tok });
}

export const api = {
  rates: (q: Params, signal?: AbortSignal) => getJson<RatesReport>('/api/rates', q, signal),
  trend: (q: Params, signal?: AbortSignal) => getJson<RatesTrend>('/api/rates/trend', q, signal),
  enterprise: (id: string, q: Params) =>
    getJson<EnterpriseDetail>(`/api/enterprises/${encodeURIComponent(id)}`, q),
  series: (enterprise: string, device: string, q: Params) =>
    getJson<Series[]>(
      `/api/devices/${encodeURIComponent(enterprise)}/${encodeURIComponent(device)}/series`,
      q,
    ),
  nodes: () => getJson<NodesResponse>('/api/nodes'),
  unregistered: () => getJson<{ devices: UnregisteredDevice[] }>('/api/unregistered'),
  ledgerAll: () => getJson<LedgerResponse>('/api/ledger?devices=false'),
  /** 503 is an answer here (the store is down), not a failure to load. */
  health: () =>
    getJson<Health>('/health').catch((err: unknown): Health => {
      if (err instanceof ApiError && err.status === 503)
        return { status: 'down', store: 'down', broker: 'disconnected' };
      throw err;
    }),
};
