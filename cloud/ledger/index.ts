/** The equipment ledger (设备台账): plant files + persisted edits, and devices seen but not registered. */
export { EDITS_FILE } from './edits.ts';
export { Ledger, type LedgerOptions } from './ledger.ts';
export {
  CONNECTIVITY_TYPES,
  LedgerDeviceSchema,
  LedgerEnterpriseSchema,
  LedgerError,
  type LedgerErrorCode,
  type LedgerIssue,
} from './schema.ts';
export type * from './types.ts';
export { UnregisteredDevices, type UnregisteredOptions } from './unregistered.ts';
