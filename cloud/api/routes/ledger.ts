/**
 * The equipment ledger (设备台账): read with the read token, edited with the admin token only.
 * PUT is a whole-entry replace keyed by the path (201 when it created the entry, 200 when it
 * replaced one); the ledger persists an edit before the response is sent.
 */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { LedgerDeviceSchema, LedgerEnterpriseSchema } from '../../ledger/index.ts';
import type { LedgerDevice, LedgerEnterprise } from '../../ledger/types.ts';
import { apiError } from '../errors.ts';
import { guard, type RouteDeps } from '../route.ts';
import { DEVICE_BODY, ENTERPRISE_BODY, ID } from '../schemas.ts';

const enterpriseParams = { type: 'object', properties: { id: ID }, required: ['id'] };
const deviceParams = {
  type: 'object',
  properties: { enterprise: ID, id: ID },
  required: ['enterprise', 'id'],
};

type EnterpriseBody = Omit<z.input<typeof LedgerEnterpriseSchema>, 'id'> & { id?: string };
type DeviceBody = Omit<z.input<typeof LedgerDeviceSchema>, 'enterprise' | 'id'> & {
  enterprise?: string;
  id?: string;
};

/** A body may repeat the ids of the path (a GET result sent back), but must not contradict them. */
function samePath(field: string, inBody: string | undefined, inPath: string): void {
  if (inBody !== undefined && inBody !== inPath) {
    throw apiError(
      'LW_BAD_BODY',
      { reason: `${field} ${JSON.stringify(inBody)} differs from the path's ${JSON.stringify(inPath)}` },
      { field },
    );
  }
}

export function ledgerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { ledger } = deps.ctx;

  app.get<{ Querystring: { enterprise?: string; devices?: boolean } }>(
    '/api/ledger',
    guard('read', {
      tags: ['ledger'],
      summary: 'The region, its enterprises and their registered devices (optionally one enterprise)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          enterprise: { ...ID, description: 'Only this enterprise and its devices.' },
          devices: {
            type: 'boolean',
            default: true,
            description: 'false: region and enterprises only (the dashboard; 100,000 devices are megabytes).',
          },
        },
      },
      response: {
        200: {
          type: 'object',
          required: ['version', 'region', 'enterprises', 'devices'],
          additionalProperties: false,
          properties: {
            version: { type: 'integer', description: 'Bumped on every change.' },
            region: { $ref: 'LedgerRegion#' },
            enterprises: { type: 'array', items: { $ref: 'LedgerEnterprise#' } },
            devices: { type: 'array', items: { $ref: 'LedgerDevice#' } },
          },
        },
      },
    }),
    (request) => {
      const only = request.query.enterprise;
      return {
        version: ledger.version,
        region: ledger.region(),
        enterprises: ledger.enterprises().filter((e) => only === undefined || e.id === only),
        devices: request.query.devices === false ? [] : ledger.devices(only),
      };
    },
  );

  app.put<{ Params: { id: string }; Body: EnterpriseBody }>(
    '/api/ledger/enterprises/:id',
    guard('admin', {
      tags: ['ledger'],
      summary: 'Create or replace an enterprise (admin token)',
      params: enterpriseParams,
      body: ENTERPRISE_BODY,
      response: {
        '2xx': {
          type: 'object',
          required: ['version', 'enterprise'],
          properties: { version: { type: 'integer' }, enterprise: { $ref: 'LedgerEnterprise#' } },
        },
      },
    }),
    async (request, reply) => {
      const { id } = request.params;
      const b = request.body;
      samePath('id', b.id, id);
      const created = ledger.enterprise(id) === undefined;
      const entry: LedgerEnterprise = {
        id,
        name: b.name,
        city: b.city,
        industry: b.industry,
        leading: b.leading ?? false,
      };
      await ledger.putEnterprise(entry);
      deps.changed();
      return reply
        .code(created ? 201 : 200)
        .send({ version: ledger.version, enterprise: ledger.enterprise(id) ?? entry });
    },
  );

  app.put<{ Params: { enterprise: string; id: string }; Body: DeviceBody }>(
    '/api/ledger/devices/:enterprise/:id',
    guard('admin', {
      tags: ['ledger'],
      summary: 'Create or replace a device of an enterprise (admin token)',
      params: deviceParams,
      body: DEVICE_BODY,
      response: {
        '2xx': {
          type: 'object',
          required: ['version', 'device'],
          properties: { version: { type: 'integer' }, device: { $ref: 'LedgerDevice#' } },
        },
      },
    }),
    async (request, reply) => {
      const { enterprise, id } = request.params;
      const b = request.body;
      samePath('enterprise', b.enterprise, enterprise);
      samePath('id', b.id, id);
      if (ledger.enterprise(enterprise) === undefined) {
        throw apiError('LW_NOT_FOUND', { what: `enterprise ${JSON.stringify(enterprise)}` });
      }
      const created = ledger.device(enterprise, id) === undefined;
      const entry: LedgerDevice = {
        enterprise,
        id,
        line: b.line,
        ...(b.name === undefined ? {} : { name: b.name }),
        kind: b.kind,
        digital: b.digital,
        keyProcess: b.keyProcess ?? false,
        connectivity: b.connectivity ?? 'none',
      };
      await ledger.putDevice(entry);
      deps.changed();
      return reply
        .code(created ? 201 : 200)
        .send({ version: ledger.version, device: ledger.device(enterprise, id) ?? entry });
    },
  );

  app.delete<{ Params: { enterprise: string; id: string } }>(
    '/api/ledger/devices/:enterprise/:id',
    guard('admin', {
      tags: ['ledger'],
      summary: 'Remove a device from the ledger (admin token)',
      params: deviceParams,
      response: {
        200: {
          type: 'object',
          required: ['version', 'deleted'],
          properties: { version: { type: 'integer' }, deleted: { type: 'boolean', const: true } },
        },
      },
    }),
    async (request) => {
      const { enterprise, id } = request.params;
      const deleted = await ledger.deleteDevice(enterprise, id);
      if (deleted) deps.changed();
      if (!deleted)
        throw apiError('LW_NOT_FOUND', { what: `device ${JSON.stringify(`${enterprise}:${id}`)}` });
      return { version: ledger.version, deleted };
    },
  );
}
