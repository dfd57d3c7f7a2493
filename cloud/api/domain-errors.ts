/**
 * The coded errors of the ledger and the rates engine, mapped onto the API's catalogue. The
 * table is total over LedgerErrorCode, so a code added to the ledger fails to compile here
 * until someone decides its status.
 */
import { LedgerError, type LedgerErrorCode } from '../ledger/index.ts';
import { RatesError } from '../rates/index.ts';
import { type ApiError, apiError } from './errors.ts';

/** `server`: a fault on our side (500, logged), not something the client can fix. */
const LEDGER: Record<LedgerErrorCode, 'LW_NOT_FOUND' | 'LW_LEDGER_REJECTED' | 'server'> = {
  // The enterprise in the path does not exist.
  unknown_enterprise: 'LW_NOT_FOUND',
  // The body refers to something that does not exist or breaks a rule: the request must change.
  invalid_input: 'LW_LEDGER_REJECTED',
  unknown_city: 'LW_LEDGER_REJECTED',
  unknown_industry: 'LW_LEDGER_REJECTED',
  duplicate_enterprise: 'LW_LEDGER_REJECTED',
  plant_conflict: 'LW_LEDGER_REJECTED',
  // Start-up and persistence failures.
  no_region: 'server',
  bad_plant: 'server',
  bad_edits_file: 'server',
  persist_failed: 'server',
};

/** The coded ApiError for a ledger or rates error the client caused, else undefined. */
export function domainError(err: unknown): ApiError | undefined {
  if (err instanceof RatesError) {
    // e.g. a window that is empty once rounded to buckets, or longer than the engine allows.
    return apiError('LW_BAD_QUERY', { reason: err.message }, { ratesCode: err.code });
  }
  if (err instanceof LedgerError) {
    const details = { ledgerCode: err.code, ...(err.issues.length > 0 ? { issues: err.issues } : {}) };
    const code = LEDGER[err.code];
    if (code === 'LW_NOT_FOUND') return apiError(code, { what: err.message }, details);
    if (code === 'LW_LEDGER_REJECTED') return apiError(code, { reason: err.message }, details);
  }
  return undefined;
}
