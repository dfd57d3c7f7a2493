import { describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../types.ts';
import { DeviceHealth } from './health.ts';

function tracker(points = ['a', 'b', 'c']) {
  const emitted: DeviceStatus[] = [];
  let now = 1000;
  const health = new DeviceHealth(
    points,
    (s) => emitted.push(s),
    () => now,
  );
  return {
    health,
    emitted,
    advance: (ms: number) => (now += ms),
    last: () => emitted.at(-1),
  };
}

describe('DeviceHealth', () => {
  it('goes connecting → online → degraded → offline → online, emitting only changes', () => {
    const { health, emitted, advance, last } = tracker();
    health.start('connecting to opc.tcp://[::1]:4840');
    expect(last()).toEqual({
      state: 'connecting',
      reason: 'connecting to opc.tcp://[::1]:4840',
      since: 1000,
    });
    health.linkUp();
    expect(last()).toMatchObject({ state: 'connecting', reason: 'session up, waiting for values' });
    advance(10);
    health.report([['a', null]]);
    expect(last()).toEqual({ state: 'online', since: 1010 });
    health.report([
      ['b', null],
      ['c', null],
    ]);
    health.report([['a', null]]);
    expect(emitted.filter((s) => s.state === 'online')).toHaveLength(1);

    advance(10);
    health.report([['b', 'BadDeviceFailure']]);
    expect(last()).toEqual({
      state: 'degraded',
      reason: '1 of 3 points bad: BadDeviceFailure (b)',
      since: 1020,
    });
    advance(10);
    health.report([['c', 'BadTimeout']]);
    // Same state, new reason: emitted, `since` kept.
    expect(last()).toEqual({
      state: 'degraded',
      reason: '2 of 3 points bad: BadDeviceFailure (b); BadTimeout (c)',
      since: 1020,
    });
    health.report([['a', 'BadDeviceFailure']]);
    expect(last()).toMatchObject({ state: 'offline', reason: 'BadDeviceFailure, BadTimeout' });
    health.report([
      ['a', null],
      ['b', null],
      ['c', null],
    ]);
    expect(last()?.state).toBe('online');
  });

  it('is offline with the reason while the session is down, and forgets old qualities', () => {
    const { health, last } = tracker(['a']);
    health.start('connecting');
    health.linkDown('connect failed: ECONNREFUSED');
    expect(last()).toMatchObject({ state: 'offline', reason: 'connect failed: ECONNREFUSED' });
    health.linkUp();
    health.report([['a', null]]);
    expect(last()?.state).toBe('online');
    health.linkDown('connection lost');
    expect(last()).toMatchObject({ state: 'offline', reason: 'connection lost' });
    // A sample while the session is being re-established counts once it is up.
    health.report([['a', null]]);
    expect(last()?.state).toBe('offline');
    health.linkUp();
    expect(last()?.state).toBe('online');
    health.linkDown('connection lost');
    health.linkUp();
    // Nothing reported since the outage: not online on the strength of old samples.
    expect(last()?.state).toBe('connecting');
  });

  it('shortens long lists of bad points and ignores unknown point names', () => {
    const { health, last } = tracker(['a', 'b', 'c', 'd', 'e', 'f']);
    health.start('x');
    health.linkUp();
    health.report([
      ['a', null],
      ['b', 'BadNodeIdUnknown'],
      ['c', 'BadNodeIdUnknown'],
      ['d', 'BadNodeIdUnknown'],
      ['e', 'BadNodeIdUnknown'],
      ['zzz', 'BadNodeIdUnknown'],
    ]);
    expect(last()?.reason).toBe('4 of 6 points bad: BadNodeIdUnknown (b, c, d +1)');
  });

  it('emits nothing before start', () => {
    const { health, emitted } = tracker(['a']);
    health.linkUp();
    health.report([['a', null]]);
    expect(emitted).toEqual([]);
  });
});
