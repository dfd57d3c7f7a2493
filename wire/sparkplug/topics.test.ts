import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SparkplugDecodeError } from './errors.ts';
import { BD_SEQ, NODE_CONTROL_REBIRTH, decodeState, encodeState, nextSeq } from './session.ts';
import {
  DEVICE_MESSAGE_TYPES,
  NODE_MESSAGE_TYPES,
  parseTopic,
  stateTopic,
  topic,
  validTopicToken,
} from './topics.ts';

const RUNS = { topicRoundTrip: 1000, stateFuzz: 2000 };

const token = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter(validTopicToken);

describe('sparkplug topics', () => {
  it('builds every message type', () => {
    expect(topic.nbirth('hebei-steel', 'gw-1')).toBe('spBv1.0/hebei-steel/NBIRTH/gw-1');
    expect(topic.ndeath('g', 'n')).toBe('spBv1.0/g/NDEATH/n');
    expect(topic.ndata('g', 'n')).toBe('spBv1.0/g/NDATA/n');
    expect(topic.ncmd('g', 'n')).toBe('spBv1.0/g/NCMD/n');
    expect(topic.dbirth('g', 'n', 'press-3')).toBe('spBv1.0/g/DBIRTH/n/press-3');
    expect(topic.ddeath('g', 'n', 'd')).toBe('spBv1.0/g/DDEATH/n/d');
    expect(topic.ddata('唐山', 'n', '🏭')).toBe('spBv1.0/唐山/DDATA/n/🏭');
    expect(topic.dcmd('g', 'n', 'd')).toBe('spBv1.0/g/DCMD/n/d');
    expect(stateTopic('lianwang-cloud')).toBe('spBv1.0/STATE/lianwang-cloud');
  });

  it('refuses invalid tokens', () => {
    for (const bad of ['', 'a/b', 'a+', '#', 'nul\0', '\uD800']) {
      expect(validTopicToken(bad)).toBe(false);
      expect(() => topic.ndata(bad, 'n')).toThrow(RangeError);
      expect(() => topic.ddata('g', 'n', bad)).toThrow(RangeError);
      expect(() => stateTopic(bad)).toThrow(RangeError);
    }
    expect(validTopicToken('Line 1.温度-2')).toBe(true);
  });

  it('parses what it builds', () => {
    fc.assert(
      fc.property(token, token, token, (group, node, device) => {
        for (const type of NODE_MESSAGE_TYPES) {
          const t = topic[type.toLowerCase() as Lowercase<typeof type>](group, node);
          expect(parseTopic(t)).toEqual({ namespace: 'spBv1.0', type, group, node });
        }
        for (const type of DEVICE_MESSAGE_TYPES) {
          const t = topic[type.toLowerCase() as Lowercase<typeof type>](group, node, device);
          expect(parseTopic(t)).toEqual({ namespace: 'spBv1.0', type, group, node, device });
        }
        expect(parseTopic(stateTopic(node))).toEqual({ namespace: 'spBv1.0', type: 'STATE', hostId: node });
      }),
      { numRuns: RUNS.topicRoundTrip },
    );
  });

  it('returns undefined for anything else', () => {
    for (const t of [
      '',
      'spBv1.0',
      'spAv1.0/g/NDATA/n',
      'lianwang/e/d/data',
      'spBv1.0/g/NDATA',
      'spBv1.0/g/NDATA/n/d', // node message with a device
      'spBv1.0/g/DDATA/n', // device message without one
      'spBv1.0/g/NDATA/', // empty token
      'spBv1.0/+/NDATA/n', // a subscription filter
      'spBv1.0/g/NDATA/#',
      'spBv1.0/g/STATE/n',
      'spBv1.0/STATE/h/x',
      'spBv1.0/STATE',
      'spBv1.0/g/ndata/n',
      'spBv1.0/g/NDATA/n/d/e',
    ]) {
      expect(parseTopic(t), t).toBeUndefined();
    }
  });
});

describe('sparkplug session helpers', () => {
  it('seq and bdSeq wrap at 256', () => {
    expect(nextSeq(0)).toBe(1);
    expect(nextSeq(254)).toBe(255);
    expect(nextSeq(255)).toBe(0);
    expect(NODE_CONTROL_REBIRTH).toBe('Node Control/Rebirth');
    expect(BD_SEQ).toBe('bdSeq');
  });

  it('STATE payloads are the spec’s JSON and decode back', () => {
    const bytes = encodeState({ online: true, timestamp: 1_700_000_000_000 });
    expect(new TextDecoder().decode(bytes)).toBe('{"online":true,"timestamp":1700000000000}');
    expect(decodeState(bytes)).toEqual({ online: true, timestamp: 1_700_000_000_000 });
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(decodeState(enc(' { "timestamp": 5, "online": false, "extra": 1 } '))).toEqual({
      online: false,
      timestamp: 5,
    });
    for (const bad of [
      '',
      'null',
      '[]',
      '{"online":"true","timestamp":1}',
      '{"online":true}',
      '{"online":true,"timestamp":-1}',
      '{"online":true,"timestamp":1.5}',
    ]) {
      expect(() => decodeState(enc(bad)), bad).toThrow(SparkplugDecodeError);
    }
    expect(() => decodeState(new Uint8Array([0x7b, 0xff]))).toThrow(/UTF-8 JSON/);
    expect(() => encodeState({ online: true, timestamp: -1 })).toThrow(TypeError);
  });

  it('decodeState throws only SparkplugDecodeError, whatever the bytes', () => {
    const states = fc.record({ online: fc.boolean(), timestamp: fc.maxSafeNat() });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          states.map(encodeState),
          fc.json().map((j) => new TextEncoder().encode(j)),
        ),
        (bytes) => {
          try {
            decodeState(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(SparkplugDecodeError);
          }
        },
      ),
      { numRuns: RUNS.stateFuzz },
    );
  });
});
