/**
 * Operations: `/health` (open, for load balancers and systemd), `/metrics` (Prometheus; needs
 * the read token when one is set, since the process metrics include per-enterprise ingest
 * counters and Prometheus sends bearer tokens natively) and `/api/openapi.json` (open: it
 * describes the API, it holds no data).
 */
import type { FastifyInstance } from 'fastify';
import { ERRORS, formatMessage } from '../errors.ts';
import { guard, type RouteDeps } from '../route.ts';
import type { HealthReport } from '../types.ts';

export function opsRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { ctx } = deps;

  app.get(
    '/health',
    guard('open', {
      tags: ['ops'],
      summary: 'Per-part status: 200 while the store answers (broker down = degraded), 503 otherwise',
      response: { 200: { $ref: 'Health#' }, 503: { $ref: 'Health#' } },
    }),
    async (request, reply) => {
      let report: HealthReport;
      try {
        report = await ctx.health();
      } catch (err) {
        request.log.error({ err }, 'health check failed');
        report = { store: 'down', broker: 'disconnected' };
      }
      const storeUp = report.store === 'ok';
      const status = !storeUp ? 'down' : report.broker === 'connected' ? 'ok' : 'degraded';
      const error = storeUp
        ? {}
        : {
            error: {
              code: 'LW_STORE_DOWN',
              message: formatMessage(ERRORS.LW_STORE_DOWN.message, { requestId: request.id }),
            },
          };
      return reply.code(storeUp ? 200 : 503).send({ ...report, status, storeKind: ctx.store.kind, ...error });
    },
  );

  app.get(
    '/metrics',
    guard('read', {
      tags: ['ops'],
      summary: 'Prometheus metrics of the process, including HTTP requests by route and status',
      response: {
        200: {
          description: 'Prometheus text format.',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    }),
    async (_request, reply) => {
      const text = await ctx.registry.metrics();
      return reply.type(ctx.registry.contentType).send(text);
    },
  );

  app.get(
    '/api/openapi.json',
    guard('open', {
      tags: ['ops'],
      summary: 'This OpenAPI 3.1 document, generated from the route schemas',
      response: { 200: { type: 'object', additionalProperties: true } },
    }),
    () => app.swagger(),
  );
}
