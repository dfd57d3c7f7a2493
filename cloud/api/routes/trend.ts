/** `/api/rates/trend`: the networked rate per step over a window (JSON or CSV), from the rates engine's index. */
import type { FastifyInstance } from 'fastify';
import type { TrendQuery } from '../../rates/types.ts';
import { trendCsv } from '../csv.ts';
import { parseDuration, THETA_QUERY, TIME_QUERY } from '../params.ts';
import { guard, type RouteDeps } from '../route.ts';
import { jsonOrCsv, SELECTION_QUERY, type SelectionQs, selectionQuery, sendCsv, wantsCsv } from './rates.ts';

interface TrendQs extends SelectionQs {
  step: string;
}

export function trendRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get<{ Querystring: TrendQs }>(
    '/api/rates/trend',
    guard('read', {
      tags: ['rates'],
      summary: 'The networked rate per step over a window, for the province or the selected enterprises',
      description:
        'Each point holds the ratios and counts over one step alone, as /api/rates would report them for ' +
        'that sub-window. The window must be a whole number of steps, each a whole number of buckets, at ' +
        'most 1,000 of them. JSON by default; CSV (UTF-8 with BOM, one row per step) with format=csv or ' +
        'Accept: text/csv.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['step'],
        properties: {
          ...TIME_QUERY,
          ...THETA_QUERY,
          step: {
            type: 'string',
            pattern: '^[0-9]+(ms|s|m|h|d|w)$',
            description: 'Step length, e.g. 1h with window=24h, 1d with window=30d.',
          },
          ...SELECTION_QUERY,
        },
      },
      response: jsonOrCsv('The trend.', 'RatesTrend#'),
    }),
    (request, reply) => {
      const q = request.query;
      const query: TrendQuery = { ...selectionQuery(q, deps), stepMs: parseDuration('step', q.step) };
      const trend = deps.ctx.rates.trend(query, deps.now());
      if (!wantsCsv(request, q.format)) return trend;
      return sendCsv(reply, 'trend', trend.window, trendCsv(trend));
    },
  );
}
