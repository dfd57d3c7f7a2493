import { describe, expect, it } from 'vitest';
import { encodePayload, NODE_CONTROL_REBIRTH, SparkplugType } from '../../wire/sparkplug/index.ts';
import { checkPublish, checkSubscribe, filterWithin, rulesOf, topicMatches } from './acl.ts';
import { Identity } from './config.ts';

const gw = rulesOf(Identity.parse({ name: 'gw', role: 'gateway', group: 'ts-steel', node: 'gw-1' }));
const ingest = rulesOf(Identity.parse({ name: 'ingest', role: 'ingest' }));
const none = Buffer.alloc(0);
const rebirth = Buffer.from(
  encodePayload({ metrics: [{ name: NODE_CONTROL_REBIRTH, datatype: SparkplugType.Boolean, value: true }] }),
);

describe('topic matching', () => {
  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b/c', false],
    ['+/x', '$SYS/x', false],
    ['#', '$SYS/x', false],
    ['a/b', 'a/b/', false],
    ['a/+/', 'a/b/', true],
  ])('%s matches %s: %s', (filter, topic, expected) => expect(topicMatches(filter, topic)).toBe(expected));

  it.each([
    ['spBv1.0/g/DCMD/n/+', 'spBv1.0/g/DCMD/n/+', true],
    ['spBv1.0/g/DCMD/n/press', 'spBv1.0/g/DCMD/n/+', true],
    ['spBv1.0/g/DCMD/n/#', 'spBv1.0/g/DCMD/n/+', false],
    ['spBv1.0/#', 'spBv1.0/g/NCMD/n', false],
    ['spBv1.0/+/NCMD/n', 'spBv1.0/g/NCMD/n', false],
    ['spBv1.0/STATE/+', 'spBv1.0/#', true],
    ['spBv1.0', 'spBv1.0/#', true],
    ['#', 'spBv1.0/#', false],
    ['$SYS/#', '#', false],
    ['a/b/c', 'a/+', false],
  ])('%s within %s: %s', (filter, allowed, expected) => expect(filterWithin(filter, allowed)).toBe(expected));
});

describe('gateway rules', () => {
  it.each([
    'spBv1.0/ts-steel/NBIRTH/gw-1',
    'spBv1.0/ts-steel/NDEATH/gw-1',
    'spBv1.0/ts-steel/NDATA/gw-1',
    'spBv1.0/ts-steel/DBIRTH/gw-1/furnace-1',
    'spBv1.0/ts-steel/DDATA/gw-1/furnace-1',
    'spBv1.0/ts-steel/DDEATH/gw-1/furnace-1',
    'lianwang/ts-steel/furnace-1/data',
  ])('may publish %s', (t) => expect(checkPublish(gw, t, false, none)).toBeUndefined());

  it.each([
    'spBv1.0/ts-steel/NDATA/gw-2', // another node
    'spBv1.0/other/NDATA/gw-1', // another group
    'spBv1.0/ts-steel/DDATA/gw-2/furnace-1',
    'spBv1.0/ts-steel/NCMD/gw-1', // commands are for the host to send
    'spBv1.0/ts-steel/DCMD/gw-1/furnace-1',
    'spBv1.0/STATE/lianwang', // host state
    'spBv1.0/ts-steel/NDATA/gw-1/extra/levels',
    'lianwang/other/furnace-1/data',
    'lianwang/ts-steel/furnace-1/secret',
  ])('may not publish %s', (t) => expect(checkPublish(gw, t, false, none)?.reason).toBe('topic'));

  it('may retain JSON status only', () => {
    expect(checkPublish(gw, 'lianwang/ts-steel/f/status', true, none)).toBeUndefined();
    expect(checkPublish(gw, 'spBv1.0/ts-steel/NBIRTH/gw-1', true, none)?.reason).toBe('retain');
  });

  it('subscribes to its own commands and host state only', () => {
    for (const f of ['spBv1.0/ts-steel/NCMD/gw-1', 'spBv1.0/ts-steel/DCMD/gw-1/+', 'spBv1.0/STATE/lianwang'])
      expect(checkSubscribe(gw, f), f).toBeUndefined();
    for (const f of ['spBv1.0/#', '#', 'spBv1.0/ts-steel/NCMD/+', 'spBv1.0/+/NCMD/gw-1', 'lianwang/#'])
      expect(checkSubscribe(gw, f)?.reason, f).toBe('topic');
  });

  it('with a device list, only those devices', () => {
    const r = rulesOf(Identity.parse({ name: 'g', role: 'gateway', group: 'g', node: 'n', devices: ['d1'] }));
    expect(checkPublish(r, 'spBv1.0/g/DDATA/n/d1', false, none)).toBeUndefined();
    expect(checkPublish(r, 'spBv1.0/g/DDATA/n/d2', false, none)?.reason).toBe('topic');
    expect(checkPublish(r, 'lianwang/g/d2/data', false, none)?.reason).toBe('topic');
  });
});

describe('ingest rules', () => {
  it('reads everything, sends rebirths and its STATE, nothing else', () => {
    for (const f of ['spBv1.0/#', 'lianwang/+/+/data', 'spBv1.0/STATE/+'])
      expect(checkSubscribe(ingest, f), f).toBeUndefined();
    expect(checkSubscribe(ingest, '#')?.reason).toBe('topic');
    expect(checkPublish(ingest, 'spBv1.0/g/NCMD/n', false, rebirth)).toBeUndefined();
    expect(checkPublish(ingest, 'spBv1.0/STATE/lianwang', true, none)).toBeUndefined();
    expect(checkPublish(ingest, 'spBv1.0/STATE/other', true, none)?.reason).toBe('topic');
    expect(checkPublish(ingest, 'spBv1.0/g/DDATA/n/d', false, none)?.reason).toBe('topic');
    expect(checkPublish(ingest, 'spBv1.0/g/DCMD/n/d', false, rebirth)?.reason).toBe('topic');
  });

  it('refuses an NCMD that carries anything but Rebirth = true', () => {
    const other = encodePayload({
      metrics: [{ name: 'Node Control/Reboot', datatype: SparkplugType.Boolean, value: true }],
    });
    const mixed = encodePayload({
      metrics: [
        { name: NODE_CONTROL_REBIRTH, datatype: SparkplugType.Boolean, value: true },
        { name: 'setpoint', datatype: SparkplugType.Double, value: 1 },
      ],
    });
    for (const p of [other, mixed, new Uint8Array([0xff, 0x01])])
      expect(checkPublish(ingest, 'spBv1.0/g/NCMD/n', false, Buffer.from(p))?.reason).toBe('payload');
  });
});
