import { describe, expect, it } from 'vitest';
import { tickDevice } from '../../test/helpers/opcua-devices.ts';
import type { FaultType } from '../faults/types.ts';
import { faultStatus } from './faults.ts';

describe('faultStatus', () => {
  it.each([
    ['offline', 'BadNotConnected'],
    ['restart', 'BadNotConnected'],
    ['hang', 'BadTimeout'],
    ['garbage', 'BadCommunicationError'],
    ['bad-status', 'BadDeviceFailure'],
    ['exception', 'BadDeviceFailure'],
    ['stuck', undefined],
    ['nan', undefined],
    ['out-of-range', undefined],
    ['slow', undefined],
  ] as [FaultType, string | undefined][])('%s → %s', (type, status) => {
    const device = tickDevice({ enterprise: 'e', line: 'l', id: 'd', kind: 'conveyor' });
    expect(faultStatus(device)).toBeUndefined();
    device.inject({ type });
    expect(faultStatus(device)?.name).toBe(status);
  });

  it('offline wins over bad-status', () => {
    const device = tickDevice({ enterprise: 'e', line: 'l', id: 'd', kind: 'conveyor' });
    device.inject({ type: 'bad-status' });
    device.inject({ type: 'offline' });
    expect(faultStatus(device)?.name).toBe('BadNotConnected');
  });
});
