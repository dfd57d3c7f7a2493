/**
 * Validation of ledger edits (API input and the persisted edits file) and the coded errors
 * the ledger throws. The schemas are exported so the HTTP API can validate request bodies
 * (and generate its OpenAPI schema) with exactly the rules the ledger applies.
 */
import { z } from 'zod';
import { formatPath, suggest } from '../../config/load/errors.ts';
import { Id, INDUSTRIES, NonEmpty } from '../../config/model/common.ts';
import type { ConnectivityType } from '../../config/model/connectivity.ts';
import type { LedgerDevice, LedgerEnterprise } from './types.ts';

/** Kept in step with config/model/connectivity.ts by the `satisfies` below. */
export const CONNECTIVITY_TYPES = [
  'none',
  'modbus-tcp',
  'modbus-rtu',
  'opcua',
] as const satisfies readonly ConnectivityType[];

export const LedgerEnterpriseSchema = z.strictObject({
  id: Id,
  name: NonEmpty,
  city: Id.describe('Id of one of the region’s cities.'),
  industry: z.enum(INDUSTRIES),
  leading: z.boolean().default(false).describe('Leading enterprise of its industry (龙头企业).'),
});

/**
 * Any id-shaped `kind` is accepted: the ledger registers real equipment, which need not
 * have a simulator behaviour model in config/kinds.
 */
export const LedgerDeviceSchema = z.strictObject({
  enterprise: Id,
  line: Id,
  id: Id,
  name: z.string().optional(),
  kind: Id,
  digital: z.boolean().describe('GB/T 23020 digital equipment: counts in the KPI denominator.'),
  keyProcess: z.boolean().default(false),
  connectivity: z.enum(CONNECTIVITY_TYPES).default('none'),
});

export type LedgerErrorCode =
  | 'invalid_input'
  | 'unknown_enterprise'
  | 'unknown_city'
  | 'unknown_industry'
  | 'duplicate_enterprise'
  | 'plant_conflict'
  | 'no_region'
  | 'bad_plant'
  | 'bad_edits_file'
  | 'persist_failed';

export interface LedgerIssue {
  /** e.g. `industry`, `devices[3].kind` */
  path: string;
  message: string;
}

/** Every error the ledger throws; `code` is stable (the API maps it to an HTTP status). */
export class LedgerError extends Error {
  override readonly name = 'LedgerError';
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    readonly issues: readonly LedgerIssue[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function fail(what: string, error: z.ZodError): LedgerError {
  const issues = error.issues.map((i) => ({
    path: formatPath(i.path.filter((p): p is string | number => typeof p !== 'symbol')),
    message: i.message,
  }));
  // An industry outside the list gets its own code: the API reports it like an unknown city.
  const industry = error.issues.find((i) => i.path[0] === 'industry' && i.code === 'invalid_value');
  const code: LedgerErrorCode = industry && issues.length === 1 ? 'unknown_industry' : 'invalid_input';
  const first = issues[0];
  const detail = first ? `${first.path}: ${first.message}` : 'invalid';
  return new LedgerError(code, `invalid ${what}: ${detail}`, issues);
}

export function parseEnterprise(input: unknown): LedgerEnterprise {
  const r = LedgerEnterpriseSchema.safeParse(input);
  if (!r.success) throw fail('enterprise', r.error);
  return r.data;
}

export function parseDevice(input: unknown): LedgerDevice {
  const r = LedgerDeviceSchema.safeParse(input);
  if (!r.success) throw fail('device', r.error);
  const d = r.data;
  // Drop an absent optional name so stored records compare equal to the plant's.
  return d.name === undefined ? withoutName(d) : d;
}

function withoutName(d: LedgerDevice): LedgerDevice {
  const { name: _name, ...rest } = d;
  return rest;
}

/** `unknown city "tangshn" (did you mean "tangshan"?)` */
export function unknownRef(what: string, id: string, known: Iterable<string>): string {
  const hint = suggest(id, known);
  return `unknown ${what} "${id}"${hint ? ` (did you mean "${hint}"?)` : ''}`;
}
