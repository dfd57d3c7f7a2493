import { describe, expect, it } from 'vitest';
import type { LinkEvent } from '../store/types.ts';
import { LinkStatus } from './status.ts';

const ev = (time: number, type: LinkEvent['type'], node: string, device?: string): LinkEvent => ({
  time,
  type,
  enterprise: 'e',
  node,
  ...(device === undefined ? {} : { device }),
});
const UA = { id: 'd', connectivity: 'opcua' as const };

describe('LinkStatus', () => {
  it('never_connected: no gateway configured, or nothing ever heard', () => {
    const s = new LinkStatus();
    expect(s.reason('e', UA, false)).toBe('never_connected');
    s.seen('e', 'gw', 'd', 100);
    expect(s.reason('e', { id: 'd', connectivity: 'none' }, true)).toBe('never_connected');
  });

  it('gateway_down when the node that last reported the device is dead', () => {
    const s = new LinkStatus();
    s.event(ev(10, 'NBIRTH', 'gw'));
    s.seen('e', 'gw', 'd', 20);
    expect(s.reason('e', UA, true)).toBe('device_unreachable'); // node up, device silent
    s.event(ev(30, 'NDEATH', 'gw'));
    s.event(ev(30, 'DDEATH', 'gw', 'd'));
    expect(s.reason('e', UA, true)).toBe('gateway_down'); // the root cause wins over DDEATH
    s.event(ev(40, 'NBIRTH', 'gw'));
    expect(s.reason('e', UA, true)).toBe('device_unreachable'); // node back, device still DDEATH'd
    expect(s.nodes()).toEqual([{ enterprise: 'e', node: 'gw', online: true, since: 40 }]);
  });

  it('events out of order: the latest by event time wins', () => {
    const s = new LinkStatus();
    s.event(ev(50, 'NDEATH', 'gw'));
    s.event(ev(10, 'NBIRTH', 'gw')); // older, arrives late
    expect(s.nodeOnline('e', 'gw')).toBe(false);
    s.event(ev(50, 'NBIRTH', 'gw')); // same time: the later arrival wins
    expect(s.nodeOnline('e', 'gw')).toBe(true);
    expect(s.nodeOnline('e', 'other')).toBeUndefined();
  });

  it('a device moving to another gateway follows its most recent report', () => {
    const s = new LinkStatus();
    s.event(ev(0, 'NBIRTH', 'gw1'));
    s.event(ev(0, 'NBIRTH', 'gw2'));
    s.seen('e', 'gw1', 'd', 100);
    s.seen('e', 'gw2', 'd', 200);
    s.seen('e', 'gw1', 'd', 150); // late data through the old gateway
    expect(s.node('e', 'd')).toBe('gw2');
    s.event(ev(300, 'NDEATH', 'gw1'));
    expect(s.reason('e', UA, true)).toBe('device_unreachable');
    s.event(ev(300, 'NDEATH', 'gw2'));
    expect(s.reason('e', UA, true)).toBe('gateway_down');
  });

  it('a DBIRTH names the node; a device known only from restored marks is unreachable', () => {
    const s = new LinkStatus();
    s.event(ev(5, 'DBIRTH', 'gw', 'd'));
    expect(s.node('e', 'd')).toBe('gw');
    expect(s.reason('e', { id: 'x', connectivity: 'modbus-tcp' }, true)).toBe('device_unreachable');
  });

  it('latest(): the deciding event of every node and device replays to the same reasons', () => {
    const events: LinkEvent[] = [
      ev(10, 'NBIRTH', 'gw'),
      ev(11, 'DBIRTH', 'gw', 'd'),
      ev(12, 'DBIRTH', 'gw', 'moved'),
      ev(20, 'NBIRTH', 'gw2'),
      ev(21, 'DBIRTH', 'gw2', 'moved'), // the device moved to gw2
      ev(25, 'DDEATH', 'gw', 'd'),
      ev(30, 'NDEATH', 'gw'),
      ev(5, 'NDEATH', 'gw2'), // late and older: changes nothing
    ];
    const all = new LinkStatus();
    for (const e of events) all.event(e);
    const latest = all.latest();
    expect(latest).toHaveLength(4);
    const replayed = new LinkStatus();
    for (const e of latest) replayed.event(e);
    for (const id of ['d', 'moved', 'never'])
      expect([id, replayed.reason('e', { ...UA, id }, false)]).toEqual([
        id,
        all.reason('e', { ...UA, id }, false),
      ]);
    expect(replayed.nodes()).toEqual(all.nodes());
    expect(replayed.node('e', 'moved')).toBe('gw2');
  });
});
