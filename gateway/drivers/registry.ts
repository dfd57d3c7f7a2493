/**
 * Drivers by connectivity type: adding a protocol = one folder + one line here. Loaded on
 * first use, so a Modbus-only gateway never pays node-opcua's ~130 MB (DOMAIN.md §3).
 */
import type { DriverFactory, Protocol } from './types.ts';

export const DRIVERS: Record<Protocol, () => Promise<DriverFactory>> = {
  'modbus-tcp': () => import('./modbus/driver.ts').then((m) => m.createModbusDriver),
  'modbus-rtu': () => import('./modbus/driver.ts').then((m) => m.createModbusDriver),
  opcua: () => import('./opcua/driver.ts').then((m) => m.createOpcuaDriver),
};
