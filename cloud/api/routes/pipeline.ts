/** The data path behind the numbers: devices seen but not registered, and the gateways (edge nodes). */
import type { FastifyInstance } from 'fastify';
import { guard, type RouteDeps } from '../route.ts';
import { ID } from '../schemas.ts';

export function pipelineRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { ctx } = deps;

  app.get<{ Querystring: { enterprise?: string } }>(
    '/api/unregistered',
    guard('read', {
      tags: ['pipeline'],
      summary: 'Devices seen in telemetry that the ledger does not list (they never count in the KPI)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { enterprise: { ...ID, description: 'Only this enterprise.' } },
      },
      response: {
        200: {
          type: 'object',
          required: ['devices'],
          additionalProperties: false,
          properties: { devices: { type: 'array', items: { $ref: 'UnregisteredDevice#' } } },
        },
      },
    }),
    (request) => {
      const only = request.query.enterprise;
      return { devices: ctx.unregistered().filter((d) => only === undefined || d.enterprise === only) };
    },
  );

  app.get(
    '/api/nodes',
    guard('read', {
      tags: ['pipeline'],
      summary: 'Edge nodes (Sparkplug state, backlog, last birth), ingest counters and the store in use',
      querystring: { type: 'object', additionalProperties: false, properties: {} },
      response: {
        200: {
          type: 'object',
          required: ['nodes', 'ingest', 'store'],
          additionalProperties: false,
          properties: {
            nodes: { type: 'array', items: { $ref: 'EdgeNodeInfo#' } },
            ingest: { $ref: 'IngestStats#' },
            store: {
              type: 'object',
              required: ['kind', 'location'],
              properties: {
                kind: { type: 'string', enum: ['influx', 'duckdb'] },
                location: { type: 'string' },
              },
            },
          },
        },
      },
    }),
    () => ({
      nodes: ctx.nodes(),
      ingest: ctx.ingest(),
      store: { kind: ctx.store.kind, location: ctx.store.location },
    }),
  );
}
