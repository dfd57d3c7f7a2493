import { describe, expect, it } from 'vitest';
import type { LedgerDevice, LedgerView } from './types.ts';
import { UnregisteredDevices } from './unregistered.ts';

function ledgerOf(ids: string[]): Pick<LedgerView, 'device'> {
  const known = new Set(ids);
  return {
    device: (enterprise, id) =>
      known.has(`${enterprise}/${id}`)
        ? ({
            enterprise,
            id,
            line: 'l',
            kind: 'k',
            digital: true,
            keyProcess: false,
            connectivity: 'opcua',
          } satisfies LedgerDevice)
        : undefined,
  };
}

describe('UnregisteredDevices', () => {
  it('tracks devices the ledger does not list, with first/last seen and the latest node', () => {
    const ids = ['e1/a'];
    const u = new UnregisteredDevices(ledgerOf(ids));
    expect(u.see('e1', 'gw1', 'a', 100)).toBe(false);
    expect(u.see('e1', 'gw1', 'x', 200)).toBe(true);
    expect(u.see('e1', 'gw2', 'x', 300)).toBe(true);
    expect(u.see('e1', 'gw3', 'x', 50)).toBe(true); // late data: first seen moves back, node stays gw2
    expect(u.see('e0', 'gw9', 'y', 10)).toBe(true); // an enterprise not in the ledger at all
    expect(u.list()).toEqual([
      { enterprise: 'e0', node: 'gw9', device: 'y', firstSeen: 10, lastSeen: 10 },
      { enterprise: 'e1', node: 'gw2', device: 'x', firstSeen: 50, lastSeen: 300 },
    ]);
    expect(u.list('e1')).toHaveLength(1);
  });

  it('node-level metrics (device "") are not devices', () => {
    const u = new UnregisteredDevices(ledgerOf([]));
    expect(u.see('e1', 'gw1', '', 1)).toBe(false);
    expect(u.list()).toEqual([]);
  });

  it('a device registered later leaves the list', () => {
    let registered = false;
    const u = new UnregisteredDevices({
      device: (e, d) => (registered ? ledgerOf([`${e}/${d}`]).device(e, d) : undefined),
    });
    u.see('e1', 'gw', 'x', 1);
    expect(u.list()).toHaveLength(1);
    registered = true;
    expect(u.list()).toEqual([]);
  });

  it('is bounded: beyond max, new ids are only counted', () => {
    const u = new UnregisteredDevices(ledgerOf([]), { max: 2 });
    for (const d of ['a', 'b', 'c', 'd']) u.see('e', 'gw', d, 1);
    u.see('e', 'gw', 'a', 2); // known entries still update
    expect(u.list().map((x) => [x.device, x.lastSeen])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(u.dropped).toBe(2);
  });
});
