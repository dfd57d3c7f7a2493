/** `/api/rates/trend`: the networked rate per step over a window (JSON or CSV), from the rates engine's index. */
import type { FastifyInstance } from 'fastify';
import type { Industry } from '../../../config/model/common.ts';
import type { TrendQuery } from '../../rates/types.ts';
import { trendCsv } from '../csv.ts';
import { parseDuration, THETA_QUERY, TIME_QUERY } from '../params.ts';
import { guard, type RouteDeps } from '../route.ts';
import { ID, INDUSTRY } from '../schemas.ts';
import { fileStamp, ratesQuery, wantsCsv, type WindowQuery } from './rates.ts';

interface TrendQs extends WindowQuery {
  step: string;
  enterprise?: string;
  industry?: Industry;
  city?: string;
  format?: 'json' | 'csv';
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
          enterprise: { ...ID, description: 'Only this enterprise.' },
          industry: { ...INDUSTRY, description: 'Only this industry.' },
          city: { ...ID, description: 'Only this city (id).' },
          format: { type: 'string', enum: ['json', 'csv'] },
        },
      },
      response: {
        200: {
          description: 'The trend.',
          content: {
            'application/json': { schema: { $ref: 'RatesTrend#' } },
            'text/csv': { schema: { type: 'string', description: 'UTF-8 with BOM, CRLF line ends.' } },
          },
        },
      },
    }),
    (request, reply) => {
      const q = request.query;
      const query: TrendQuery = {
        ...ratesQuery(q, deps),
        stepMs: parseDuration('step', q.step),
        ...(q.enterprise === undefined ? {} : { enterprise: q.enterprise }),
        ...(q.industry === undefined ? {} : { industry: q.industry }),
        ...(q.city === undefined ? {} : { city: q.city }),
      };
      const trend = deps.ctx.rates.trend(query, deps.now());
      if (!wantsCsv(request, q.format)) return trend;
      const name = `lianwang-trend-${fileStamp(trend.window.from)}-${fileStamp(trend.window.to)}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(trendCsv(trend));
    },
  );
}
