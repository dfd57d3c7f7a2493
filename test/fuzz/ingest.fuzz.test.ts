/**
 * The ingest dispatcher, fuzzed: random and near-miss topics, random bytes, mutated real
 * frames (an EdgeScript's births, data and deaths with bytes flipped, cut or spliced), valid
 * payloads with out-of-range fields, JSON-mode garbage. Between every two hostile messages a
 * healthy edge node (the canary) sends one DDATA. handle() must never throw, must count every
 * rejection under the reason an independent oracle predicts, keep its per-node state
 * bounded, and store every canary sample exactly once.
 */
import pino from 'pino';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dispatcher, type DispatchOptions } from '../../cloud/ingest/dispatch.ts';
import type { Sample } from '../../cloud/store/types.ts';
import {
  decodePayload,
  encodePayload,
  parseTopic,
  SparkplugType as T,
  type Payload,
} from '../../wire/sparkplug/index.ts';
import { EdgeScript, type Frame } from '../helpers/sparkplug-frames.ts';
import { FUZZ_TIMEOUT, runs, Tally } from './fuzz.ts';

const T0 = Date.UTC(2026, 0, 1);
const OPTS: DispatchOptions = {
  store: true,
  track: true,
  reorderMs: 1000,
  parkMs: 5000,
  parkMax: 3,
  rebirthIntervalMs: 0,
  maxFutureMs: 60_000,
  maxPayloadBytes: 16 * 1024,
};

/** Real traffic of one scripted node, the raw material of mutations. */
function frames(): Frame[] {
  const e = new EdgeScript('mut', 'gw-m', [
    { id: 'd1', metrics: { temp: T.Float, running: T.Boolean, count: T.Int32, state: T.String } },
  ]);
  const s = (v: number) => [{ metric: 'temp', time: T0 + v, value: v / 3 }];
  return [
    e.nbirth(T0),
    e.dbirth('d1', T0, { temp: 1.5, running: true, count: -3, state: 'idle' }),
    e.ddata('d1', s(1)),
    e.ddata('d1', [{ metric: 'count', time: T0 + 2, value: -7 }], { historical: true }),
    e.ddata('d1', [{ metric: 'state', time: T0 + 3, value: null }], { alias: 99 }),
    e.ddeath('d1', T0 + 4),
    e.ndeath(),
    e.ndeath(7),
  ];
}
const FRAMES = frames();

const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('mut', 'gw-m', 'd1', 'g', 'x') },
  fc.string({ maxLength: 8 }).filter((s) => !s.includes('canary')),
  fc.constantFrom('', '+', '#', 'a/b', '\u0000', '\uD800', '设备'),
);
const TYPES = [
  'NBIRTH',
  'NDEATH',
  'NDATA',
  'NCMD',
  'DBIRTH',
  'DDEATH',
  'DDATA',
  'DCMD',
  'STATE',
  'ndata',
  'X',
];
const topicArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FRAMES.map((f) => f.topic)) },
  fc.tuple(token, fc.constantFrom(...TYPES), token).map(([g, t, n]) => `spBv1.0/${g}/${t}/${n}`),
  fc
    .tuple(token, fc.constantFrom(...TYPES), token, token)
    .map(([g, t, n, d]) => `spBv1.0/${g}/${t}/${n}/${d}`),
  fc.constantFrom('spBv1.0/STATE/host', 'spBv1.0', 'spBv1.0/', ''),
  fc
    .tuple(token, token, fc.constantFrom('data', 'status', 'other'))
    .map(([e, d, l]) => `lianwang/${e}/${d}/${l}`),
  fc.string({ maxLength: 40 }),
);

const mutated = fc
  .tuple(
    fc.constantFrom(...FRAMES),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
    fc.option(fc.nat()),
    fc.option(fc.constantFrom(...FRAMES)),
  )
  .map(([f, edits, cut, splice]) => {
    let b = Buffer.from(f.payload);
    for (const [at, v] of edits) if (b.length) b[at % b.length] = v;
    if (cut !== null && b.length) b = b.subarray(0, cut % b.length);
    if (splice)
      b = Buffer.concat([b, splice.payload.subarray(b.length % Math.max(splice.payload.length, 1))]);
    return b;
  });
const validOdd = fc
  .record({
    seq: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 256, max: 100_000 })),
    timestamp: fc.oneof(fc.constant(T0), fc.maxSafeNat()),
    metrics: fc.array(
      fc.record({
        name: fc.constantFrom('temp', 'count', 'bdSeq', 'Buffer/Entries', 'x'),
        alias: fc.integer({ min: 0, max: 5 }),
        timestamp: fc.oneof(fc.constant(T0), fc.maxSafeNat()),
        datatype: fc.constantFrom(T.Int32, T.Float, T.String, T.UInt64, T.Boolean, 99),
        value: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant('s'), fc.boolean()),
      }),
      { maxLength: 4 },
    ),
  })
  .map((p) => {
    try {
      return Buffer.from(encodePayload(p as Payload));
    } catch {
      return Buffer.from(encodePayload({ seq: p.seq, metrics: [] }));
    }
  });
const payloadArb = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
  { weight: 6, arbitrary: mutated },
  { weight: 4, arbitrary: validOdd },
  { weight: 2, arbitrary: fc.json().map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(OPTS.maxPayloadBytes + 1)) },
);
const input = fc.record({ topic: topicArb, payload: payloadArb, dt: fc.integer({ min: 0, max: 3000 }) });

/** What the dispatcher must count for one message, as far as an outside oracle can tell. */
function expected(topic: string, payload: Buffer): string[] {
  if (payload.length > OPTS.maxPayloadBytes) return ['too_large'];
  if (topic.startsWith('lianwang/')) return ['none', 'bad_topic', 'malformed_json'];
  const t = parseTopic(topic);
  if (!t) return ['bad_topic'];
  if (t.type === 'STATE' || t.type === 'NCMD' || t.type === 'DCMD') return ['none'];
  let p: Payload;
  try {
    p = decodePayload(payload, { maxBytes: OPTS.maxPayloadBytes });
  } catch {
    return ['malformed_payload'];
  }
  if (p.seq !== undefined && p.seq > 255 && t.type !== 'NDEATH') return ['malformed_payload'];
  return ['none', 'stale_ndeath', 'park_overflow'];
}

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

describe('ingest dispatcher, fuzzed', { timeout: FUZZ_TIMEOUT }, () => {
  it('never throws, counts every rejection by reason, stays bounded and keeps storing good data', async () => {
    const tally = new Tally('ingest dispatcher');
    await fc.assert(
      fc.asyncProperty(fc.array(input, { minLength: 1, maxLength: 20 }), async (inputs) => {
        const stored: Sample[] = [];
        const d = new Dispatcher(OPTS, {
          samples: (rows) => (stored.push(...rows), Promise.resolve()),
          marks: () => Promise.resolve(),
          events: () => Promise.resolve(),
          rebirth: () => undefined,
          log: pino({ level: 'silent' }),
        });
        const canary = new EdgeScript('canary', 'gw-c', [{ id: 'c1', metrics: { v: T.Int32 } }]);
        let now = T0;
        for (const f of [canary.nbirth(now), canary.dbirth('c1', now)])
          await d.handle(f.topic, f.payload, now);
        for (const [i, { topic, payload, dt }] of inputs.entries()) {
          now += dt;
          const before = { ...d.rejects.rejected };
          const messages = d.counts.messages;
          const want = expected(topic, payload);
          await d.handle(topic, payload, now);
          expect(d.counts.messages).toBe(messages + 1);
          const grew = Object.keys(d.rejects.rejected).filter(
            (k) => (d.rejects.rejected[k] ?? 0) > (before[k] ?? 0),
          );
          expect(total(d.rejects.rejected) - total(before)).toBe(grew.length === 0 ? 0 : 1);
          expect(want, `${JSON.stringify(topic)}: counted ${grew.join() || 'none'}`).toContain(
            grew[0] ?? 'none',
          );
          tally.count(grew[0] ?? 'accepted');
          d.sweep(now);
          for (const s of d.sessions.values()) expect(s.parked.length).toBeLessThanOrEqual(OPTS.parkMax);
          // The canary is untouched by all of it.
          const f = canary.ddata('c1', [{ metric: 'v', time: now, value: i }]);
          await d.handle(f.topic, f.payload, now);
        }
        d.sweep(now + 3_600_000);
        for (const s of d.sessions.values()) expect(s.parked).toEqual([]);
        const c = stored.filter((s) => s.enterprise === 'canary' && s.value !== null); // not the DBIRTH's nulls
        expect(c.map((s) => [s.device, s.metric, s.value, s.good])).toEqual(
          inputs.map((_, i) => ['c1', 'v', i, true]),
        );
        expect(d.sessions.get('canary/gw-c')?.rebirthsRequested).toBe(0);
        for (const s of stored) {
          expect(Number.isSafeInteger(s.time)).toBe(true);
          expect(typeof s.metric).toBe('string');
          expect(['number', 'boolean', 'string', 'object']).toContain(typeof s.value);
          if (s.value === null) expect(s.good).toBe(false);
        }
      }),
      { numRuns: runs(600) },
    );
    tally.report();
    expect(tally.outcomes.malformed_payload ?? 0).toBeGreaterThan(0);
    expect(tally.outcomes.bad_topic ?? 0).toBeGreaterThan(0);
    expect(tally.outcomes.accepted ?? 0).toBeGreaterThan(0);
  });
});

describe('regressions found by fuzzing', () => {
  it('a seq beyond 255 is rejected as malformed (it hung ingest in an endless loop)', async () => {
    const d = new Dispatcher(OPTS, {
      samples: () => Promise.resolve(),
      marks: () => Promise.resolve(),
      events: () => Promise.resolve(),
      rebirth: () => undefined,
      log: pino({ level: 'silent' }),
    });
    const e = new EdgeScript('g', 'n', [{ id: 'd', metrics: { t: T.Float } }]);
    const birth = e.nbirth(T0);
    await d.handle(birth.topic, birth.payload, T0);
    await d.handle('spBv1.0/g/NDATA/n', Buffer.from(encodePayload({ seq: 300, metrics: [] })), T0);
    expect(d.rejects.rejected).toEqual({ malformed_payload: 1 });
    const ok = e.dbirth('d', T0);
    await d.handle(ok.topic, ok.payload, T0);
    expect(d.counts.messages).toBe(3);
  });
});
