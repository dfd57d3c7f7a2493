/**
 * The equipment ledger (设备台账): the registered inventory that gives the KPI its
 * denominator. Loaded from plant files, editable through the API (admin token), never
 * grown from telemetry: devices seen but not registered are listed apart (unregistered).
 */
import type { Industry } from '../../config/model/common.ts';

export interface LedgerCity {
  id: string;
  name: string;
  nameEn?: string;
}

export interface LedgerEnterprise {
  id: string;
  name: string;
  city: string;
  industry: Industry;
  leading: boolean;
}

export interface LedgerDevice {
  enterprise: string;
  line: string;
  id: string;
  name?: string;
  kind: string;
  /** GB/T 23020 digital equipment: counts in the KPI denominator. */
  digital: boolean;
  keyProcess: boolean;
  /** How the device is (to be) connected: 'none' = no gateway configured for it. */
  connectivity: 'none' | 'modbus-tcp' | 'modbus-rtu' | 'opcua';
}

/** A device seen in telemetry that the ledger does not list. */
export interface UnregisteredDevice {
  enterprise: string;
  node: string;
  device: string;
  firstSeen: number;
  lastSeen: number;
}

export interface LedgerRegion {
  id: string;
  name: string;
  nameEn?: string;
  cities: LedgerCity[];
}

/** The ledger as the rates engine and the API use it. Edits are persisted before they resolve. */
export interface LedgerView {
  /** Bumped on every change. */
  readonly version: number;
  region(): LedgerRegion;
  enterprises(): readonly LedgerEnterprise[];
  enterprise(id: string): LedgerEnterprise | undefined;
  devices(enterprise?: string): readonly LedgerDevice[];
  device(enterprise: string, id: string): LedgerDevice | undefined;
  putEnterprise(e: LedgerEnterprise): Promise<void>;
  putDevice(d: LedgerDevice): Promise<void>;
  deleteDevice(enterprise: string, id: string): Promise<boolean>;
}
