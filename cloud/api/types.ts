/**
 * What the HTTP API needs from the rest of the cloud (ApiContext) and how it is tuned
 * (ApiOptions). `main` builds both; tests pass small in-memory implementations.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EdgeNodeInfo, IngestStats } from '../ingest/types.ts';
import type { LedgerView, UnregisteredDevice } from '../ledger/types.ts';
import type { RatesEngine } from '../rates/types.ts';
import type { Store } from '../store/types.ts';

/** Per-part status for `/health`; parts beyond store and broker are passed through as they are. */
export interface HealthReport {
  store: 'ok' | 'down';
  broker: 'connected' | 'disconnected';
  [part: string]: unknown;
}

/**
 * Anything that emits 'update' when the numbers behind the rates may have changed (new online
 * buckets, a ledger edit). A Node EventEmitter fits; arguments of the event are ignored.
 */
export interface UpdateSource {
  on(event: 'update', listener: () => void): unknown;
  off(event: 'update', listener: () => void): unknown;
}

export interface ApiContext {
  rates: RatesEngine;
  ledger: LedgerView;
  store: Pick<Store, 'series' | 'kind' | 'location'>;
  /** Devices seen in telemetry that the ledger does not list. */
  unregistered(): UnregisteredDevice[];
  /** Sparkplug edge nodes as the ingest host sees them. */
  nodes(): EdgeNodeInfo[];
  ingest(): IngestStats;
  /** The process's metrics; the API adds its HTTP metrics here and serves the whole registry at /metrics. */
  registry: Registry;
  /** May be async (a store ping); a rejection counts as the store being down. */
  health(): HealthReport | Promise<HealthReport>;
  /** Source of the live stream (`/api/stream`); without it that route does not exist. */
  events?: UpdateSource;
}

export interface ApiOptions {
  /** When set, read endpoints need `Authorization: Bearer <read or admin token>`. */
  readToken?: string;
  /** Ledger writes need it; without one, writes are refused (LW_WRITES_DISABLED). */
  adminToken?: string;
  /** Largest accepted request body, bytes (default 1 MiB). */
  bodyLimit?: number;
  /** The root logger (without a `name`); the API logs as `cloud:api`. */
  logger?: Logger;
  /** A built dashboard to serve at `/` (files only under this directory; dotfiles never). */
  staticDir?: string;
  /** Longest accepted query window, ms (default 366 days): bounds the work of one request. */
  maxRangeMs?: number;
  /** Live stream tuning: at most one event per `minIntervalMs` (1 s), a comment every `heartbeatMs` (15 s). */
  stream?: { minIntervalMs?: number; heartbeatMs?: number };
  /** Clock, ms (default Date.now); tests pin it. */
  now?: () => number;
  /** Serve HTTPS instead of HTTP (PEM certificate chain and key; `ca` for intermediate/client CAs). */
  https?: { cert: Buffer; key: Buffer; ca?: Buffer };
}
