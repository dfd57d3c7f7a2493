/**
 * The equipment ledger (设备台账): read with the read token, edited with the admin token only.
 * PUT is a whole-entry replace keyed by the path (201 when it created the entry, 200 when it
 * replaced one); the ledger persists an edit before the response is sent.
 */
import type { FastifyInstance } from 'fastify';
import type { Industry } from '../../../config/model/common.ts';
import type { LedgerDevice, LedgerEnterprise } from '../../ledger/types.ts';
import { ApiError, apiError } from '../errors.ts';
import { guard, type RouteDeps } from '../route.ts';
import { CONNECTIVITY, ID, INDUSTRY } from '../schemas.ts';

/**
 * The ledger rejects an edit by throwing an Error with a string `code`: codes that say
 * NOT_FOUND / UNKNOWN (a referenced city, enterprise, …) answer 404, any other code 400.
 * Errors without a code — and Node system errors (ENOSPC on persisting) — are server faults.
 */
export function ledgerError(err: unknown): unknown {
  if (err instanceof ApiError || !(err instanceof Error)) return err;
  const { code, syscall } = err as Error & { code?: unknown; syscall?: unknown };
  if (typeof code !== 'string' || syscall !== undefined) return err;
  if (/NOT_FOUND|UNKNOWN/i.test(code))
    return apiError('LW_NOT_FOUND', { what: err.message }, { ledgerCode: code });
  return apiError('LW_LEDGER_REJECTED', { reason: err.message }, { ledgerCode: code });
}

async function edit<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (err) {
    throw ledgerError(err);
  }
}

const enterpriseParams = { type: 'object', properties: { id: ID }, required: ['id'] };
const deviceParams = {
  type: 'object',
  properties: { enterprise: ID, id: ID },
  required: ['enterprise', 'id'],
};

interface EnterpriseBody {
  id?: string;
  name: string;
  city: string;
  industry: Industry;
  leading?: boolean;
}

interface DeviceBody {
  enterprise?: string;
  id?: string;
  line: string;
  name?: string;
  kind: string;
  digital: boolean;
  keyProcess?: boolean;
  connectivity?: LedgerDevice['connectivity'];
}

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

  app.get<{ Querystring: { enterprise?: string } }>(
    '/api/ledger',
    guard('read', {
      tags: ['ledger'],
      summary: 'The region, its enterprises and their registered devices (optionally one enterprise)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { enterprise: { ...ID, description: 'Only this enterprise and its devices.' } },
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
        devices: ledger.devices(only),
      };
    },
  );

  app.put<{ Params: { id: string }; Body: EnterpriseBody }>(
    '/api/ledger/enterprises/:id',
    guard('admin', {
      tags: ['ledger'],
      summary: 'Create or replace an enterprise (admin token)',
      params: enterpriseParams,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'city', 'industry'],
        properties: {
          id: ID,
          name: { type: 'string', minLength: 1, maxLength: 200 },
          city: { ...ID, description: "Id of one of the region's cities." },
          industry: INDUSTRY,
          leading: { type: 'boolean', default: false, description: '龙头企业' },
        },
      },
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
      await edit(() => ledger.putEnterprise(entry));
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
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['line', 'kind', 'digital'],
        properties: {
          enterprise: ID,
          id: ID,
          line: ID,
          name: { type: 'string', maxLength: 200 },
          kind: ID,
          digital: {
            type: 'boolean',
            description: 'GB/T 23020 digital equipment: counts in the KPI denominator.',
          },
          keyProcess: { type: 'boolean', default: false },
          connectivity: { type: 'string', enum: [...CONNECTIVITY], default: 'none' },
        },
      },
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
      await edit(() => ledger.putDevice(entry));
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
      const deleted = await edit(() => ledger.deleteDevice(enterprise, id));
      if (!deleted)
        throw apiError('LW_NOT_FOUND', { what: `device ${JSON.stringify(`${enterprise}:${id}`)}` });
      return { version: ledger.version, deleted };
    },
  );
}
