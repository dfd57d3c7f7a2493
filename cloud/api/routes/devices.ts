/**
 * Time series of one device from the store. A device is addressed by two path segments,
 * `/api/devices/{enterprise}/{device}/series`, or by one, `/api/devices/{enterprise}:{device}/series`
 * (ids never contain ':' or '/', so both are unambiguous; the one-segment form suits clients
 * that keep a single device key). A URL-encoded slash (`%2F`) is refused: proxies treat it
 * inconsistently.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiError } from '../errors.ts';
import { TIME_QUERY, resolveSpan, type TimeQuery } from '../params.ts';
import { guard, type RouteDeps } from '../route.ts';
import { ID } from '../schemas.ts';

interface SeriesQs extends TimeQuery {
  metrics?: string;
  limit?: number;
}

const DEFAULT_SPAN_MS = 3_600_000;
const MAX_METRICS = 100;
const VALID_ID = new RegExp(String(ID.pattern));

const querystring = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...TIME_QUERY,
    metrics: {
      type: 'string',
      maxLength: 4096,
      description: 'Comma-separated metric names; all metrics of the device when absent.',
    },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: 10_000,
      default: 1000,
      description: 'Most recent points per metric.',
    },
  },
} as const;

const response = { 200: { type: 'array', items: { $ref: 'Series#' } } };

export function deviceRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { ctx } = deps;

  const series = async (
    request: FastifyRequest<{ Querystring: SeriesQs }>,
    enterprise: string,
    device: string,
  ) => {
    const q = request.query;
    const known =
      ctx.ledger.device(enterprise, device) !== undefined ||
      ctx.unregistered().some((u) => u.enterprise === enterprise && u.device === device);
    if (!known)
      throw apiError('LW_NOT_FOUND', { what: `device ${JSON.stringify(`${enterprise}:${device}`)}` });
    const { from, to } = resolveSpan(q, {
      defaultTo: deps.now,
      defaultSpanMs: DEFAULT_SPAN_MS,
      maxSpanMs: deps.maxRangeMs,
    });
    const metrics = q.metrics
      ?.split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '');
    if (metrics !== undefined && metrics.length > MAX_METRICS) {
      throw apiError('LW_BAD_QUERY', { reason: `at most ${MAX_METRICS} metrics` }, { parameter: 'metrics' });
    }
    try {
      return await ctx.store.series({
        enterprise,
        device,
        from,
        to,
        ...(metrics === undefined || metrics.length === 0 ? {} : { metrics }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
      });
    } catch (err) {
      // The store's own message may carry internals (paths, hosts): log it, answer with the code.
      request.log.error({ err, enterprise, device }, 'store series query failed');
      throw apiError('LW_STORE_DOWN', { requestId: request.id });
    }
  };

  app.get<{ Params: { enterprise: string; device: string }; Querystring: SeriesQs }>(
    '/api/devices/:enterprise/:device/series',
    guard('read', {
      tags: ['devices'],
      summary: 'Time series of one device (default: the last hour, 1,000 points per metric)',
      params: {
        type: 'object',
        properties: { enterprise: ID, device: ID },
        required: ['enterprise', 'device'],
      },
      querystring,
      response,
    }),
    (request) => series(request, request.params.enterprise, request.params.device),
  );

  app.get<{ Params: { key: string }; Querystring: SeriesQs }>(
    '/api/devices/:key/series',
    guard('read', {
      tags: ['devices'],
      summary: 'Time series of one device addressed as enterprise:device',
      params: {
        type: 'object',
        properties: {
          key: { type: 'string', maxLength: 129, description: 'enterprise:device, e.g. ts-steel:furnace-1' },
        },
        required: ['key'],
      },
      querystring,
      response,
    }),
    (request) => {
      const [enterprise, device, ...rest] = request.params.key.split(':');
      const valid = (s: string | undefined): s is string => s !== undefined && VALID_ID.test(s);
      if (!valid(enterprise) || !valid(device) || rest.length > 0) {
        throw apiError(
          'LW_BAD_QUERY',
          {
            reason:
              'address a device as /api/devices/{enterprise}/{device}/series or /api/devices/{enterprise}:{device}/series',
          },
          { parameter: 'key' },
        );
      }
      return series(request, enterprise, device);
    },
  );
}
