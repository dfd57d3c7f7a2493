/** The KPI: `/api/rates` (JSON or CSV) and `/api/enterprises/:id` (one enterprise, device by device). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Industry } from '../../../config/model/common.ts';
import type { RatesQuery } from '../../rates/types.ts';
import { ratesCsv } from '../csv.ts';
import { apiError } from '../errors.ts';
import { THETA_QUERY, TIME_QUERY, resolveRange, type TimeQuery } from '../params.ts';
import { guard, type RouteDeps } from '../route.ts';
import { ID, INDUSTRY } from '../schemas.ts';

export interface WindowQuery extends TimeQuery {
  theta?: number;
}

/** The selection and output format /api/rates and /api/rates/trend share. */
export interface SelectionQs extends WindowQuery {
  enterprise?: string;
  industry?: Industry;
  city?: string;
  format?: 'json' | 'csv';
}

export const SELECTION_QUERY = {
  enterprise: { ...ID, description: 'Only this enterprise.' },
  industry: { ...INDUSTRY, description: 'Only this industry.' },
  city: { ...ID, description: 'Only this city (id).' },
  format: { type: 'string', enum: ['json', 'csv'] },
} as const;

/** The OpenAPI response of a JSON-or-CSV endpoint. */
export const jsonOrCsv = (description: string, ref: string) => ({
  200: {
    description,
    content: {
      'application/json': { schema: { $ref: ref } },
      'text/csv': { schema: { type: 'string', description: 'UTF-8 with BOM, CRLF line ends.' } },
    },
  },
});

/** The window, θ and selection of a query, as the rates engine takes them. */
export function selectionQuery(q: SelectionQs, deps: RouteDeps): RatesQuery {
  return {
    ...ratesQuery(q, deps),
    ...(q.enterprise === undefined ? {} : { enterprise: q.enterprise }),
    ...(q.industry === undefined ? {} : { industry: q.industry }),
    ...(q.city === undefined ? {} : { city: q.city }),
  };
}

/** A CSV download named `lianwang-<what>-<from>-<to>.csv`. */
export function sendCsv(
  reply: FastifyReply,
  what: string,
  window: { from: number; to: number },
  body: string,
): FastifyReply {
  const name = `lianwang-${what}-${fileStamp(window.from)}-${fileStamp(window.to)}.csv`;
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}"`)
    .send(body);
}

export function ratesQuery(q: WindowQuery, deps: RouteDeps): RatesQuery {
  const widthMs = deps.ctx.rates.widthMs;
  const range = resolveRange(q, {
    // The engine's own default end: the end of the latest complete bucket.
    defaultTo: () => Math.floor(deps.now() / widthMs) * widthMs,
    maxSpanMs: deps.maxRangeMs,
  });
  return { ...range, ...(q.theta === undefined ? {} : { theta: q.theta }) };
}

/** `format` wins; otherwise `Accept: text/csv` asks for CSV (browsers' `*\/*` gets JSON). */
export function wantsCsv(request: FastifyRequest, format: SelectionQs['format']): boolean {
  if (format !== undefined) return format === 'csv';
  return /(^|,)\s*text\/csv\b/i.test(request.headers.accept ?? '');
}

export const fileStamp = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace(/[-:]/g, '');

export function rateRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { ctx } = deps;

  app.get<{ Querystring: SelectionQs }>(
    '/api/rates',
    guard('read', {
      tags: ['rates'],
      summary: 'Networked rates per enterprise, city, industry and province',
      description:
        'JSON by default; CSV (UTF-8 with BOM, one row per rate row) with format=csv or Accept: text/csv.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...TIME_QUERY,
          ...THETA_QUERY,
          ...SELECTION_QUERY,
        },
      },
      response: jsonOrCsv('The rates report.', 'RatesReport#'),
    }),
    (request, reply) => {
      const report = ctx.rates.report(selectionQuery(request.query, deps), deps.now());
      if (!wantsCsv(request, request.query.format)) return report;
      return sendCsv(reply, 'rates', report.window, ratesCsv(report));
    },
  );

  app.get<{ Params: { id: string }; Querystring: WindowQuery }>(
    '/api/enterprises/:id',
    guard('read', {
      tags: ['rates'],
      summary: 'One enterprise: its rates and every ledger device with online fraction, reason, last seen',
      params: { type: 'object', properties: { id: ID }, required: ['id'] },
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { ...TIME_QUERY, ...THETA_QUERY },
      },
      response: { 200: { $ref: 'EnterpriseDetail#' } },
    }),
    (request) => {
      const { id } = request.params;
      const detail = ctx.rates.enterprise(id, ratesQuery(request.query, deps), deps.now());
      if (detail === undefined) throw apiError('LW_NOT_FOUND', { what: `enterprise ${JSON.stringify(id)}` });
      return detail;
    },
  );
}
