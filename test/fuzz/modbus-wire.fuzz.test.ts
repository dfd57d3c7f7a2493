/**
 * The Modbus wire code, fuzzed (extends wire/modbus/*.test.ts, which hold the known vectors
 * and integer/float round trips): every datatype and order round-trips, including strings,
 * booleans and scaled values; decodePoint takes any words and offset and throws only its
 * documented RangeError; request PDUs round-trip and random ones get the right exception;
 * MBAP and RTU decoders find every frame however the stream is cut, throw only FramingError
 * and hold a bounded amount of unparsed input.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePoint, encodePoint, type PointCodec, type Value } from '../../wire/modbus/codec.ts';
import {
  DATA_TYPES,
  MAX_READ_BITS,
  MAX_READ_REGISTERS,
  ORDERS,
  registerWidth,
} from '../../wire/modbus/datatypes.ts';
import {
  crc16,
  encodeMbap,
  encodeRtu,
  FramingError,
  MbapDecoder,
  RtuRequestDecoder,
} from '../../wire/modbus/frames.ts';
import { EXCEPTION, parseRequest } from '../../wire/modbus/pdu.ts';
import { FUZZ_TIMEOUT, runs, Tally } from './fuzz.ts';

const tallies: Tally[] = [];
const tally = (name: string) => {
  const t = new Tally(name);
  tallies.push(t);
  return t;
};
afterAll(() => {
  for (const t of tallies) t.report();
});

const order = fc.constantFrom(...ORDERS);
const codec = (
  type: PointCodec['type'],
  o: PointCodec['order'],
  extra: Partial<PointCodec> = {},
): PointCodec => ({
  type,
  order: o,
  scale: 1,
  offset: 0,
  ...extra,
});
const JS_TYPE: Record<PointCodec['type'], string> = {
  bool: 'boolean',
  int16: 'number',
  uint16: 'number',
  int32: 'number',
  uint32: 'number',
  int64: 'bigint',
  uint64: 'bigint',
  float32: 'number',
  float64: 'number',
  string: 'string',
};

/**
 * The longest prefix of `s` up to its first NUL whose UTF-8 fits in `bytes`: what string
 * registers hold. The codec fills whole registers, so an odd `length` holds one byte more.
 */
function fitted(s: string, bytes: number): string {
  let out = '';
  let used = 0;
  for (const ch of s.split('\0')[0] ?? '') {
    const n = new TextEncoder().encode(ch).length;
    if (used + n > bytes) break;
    out += ch;
    used += n;
  }
  return out;
}

describe('register codec, fuzzed', { timeout: FUZZ_TIMEOUT }, () => {
  it('strings and booleans round-trip in every order and length', () => {
    const t = tally('codec string/bool round trip');
    fc.assert(
      fc.property(
        order,
        fc.integer({ min: 1, max: 246 }),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.anything(),
        (o, length, s, any) => {
          const sp = codec('string', o, { length });
          const words = encodePoint(sp, s);
          expect(words).toHaveLength(Math.ceil(length / 2));
          expect(decodePoint(sp, words)).toBe(fitted(s, 2 * Math.ceil(length / 2)));
          const bp = codec('bool', o);
          expect(decodePoint(bp, encodePoint(bp, any as Value))).toBe(Boolean(any));
          t.count('ok');
        },
      ),
      { numRuns: runs(3000) },
    );
  });

  it('scaled integers of every width land within half a step of the saturated value', () => {
    const t = tally('codec scaled round trip');
    const bounds: Record<string, [number, number]> = {
      int16: [-0x8000, 0x7fff],
      uint16: [0, 0xffff],
      int32: [-0x80000000, 0x7fffffff],
      uint32: [0, 0xffffffff],
      int64: [-(2 ** 63), 2 ** 63],
      uint64: [0, 2 ** 64],
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(bounds)),
        order,
        fc.constantFrom(0.001, 0.1, 0.5, 2, 10),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: -1e22, max: 1e22, noNaN: true }),
        (type, o, scale, offset, v) => {
          const p = codec(type as PointCodec['type'], o, { scale, offset });
          const [lo, hi] = bounds[type] as [number, number];
          const raw = Math.min(hi, Math.max(lo, Math.round((v - offset) / scale)));
          const back = Number(decodePoint(p, encodePoint(p, v)));
          const want = raw * scale + offset;
          expect(Math.abs(back - want)).toBeLessThanOrEqual(Math.abs(want) * 1e-12 + scale * 1e-9 + 1e-9);
          t.count('ok');
        },
      ),
      { numRuns: runs(3000) },
    );
  });

  it('encodes any value of any JS type into in-range words, for every type', () => {
    const t = tally('codec encode anything');
    fc.assert(
      fc.property(
        fc.constantFrom(...DATA_TYPES),
        order,
        fc.oneof(fc.double(), fc.bigInt(), fc.boolean(), fc.string(), fc.integer()),
        fc.integer({ min: 1, max: 246 }),
        (type, o, v, length) => {
          const words = encodePoint(codec(type, o, { length }), v);
          expect(words).toHaveLength(registerWidth(type, length));
          for (const w of words) expect(Number.isInteger(w) && w >= 0 && w <= 0xffff).toBe(true);
          t.count(type);
        },
      ),
      { numRuns: runs(5000) },
    );
  });

  it('decodes any words at any offset, or throws RangeError exactly when they are too few', () => {
    const t = tally('codec decode anything');
    fc.assert(
      fc.property(
        fc.constantFrom(...DATA_TYPES),
        order,
        fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer(), fc.double()), { maxLength: 12 }),
        fc.integer({ min: -3, max: 14 }),
        fc.integer({ min: 1, max: 20 }),
        (type, o, words, at, length) => {
          const p = codec(type, o, { length });
          const fits = at >= 0 && at + registerWidth(type, length) <= words.length;
          try {
            const v = decodePoint(p, words, at);
            expect(fits).toBe(true);
            expect(typeof v).toBe(JS_TYPE[type]);
            t.count('decoded');
          } catch (e) {
            expect(e).toBeInstanceOf(RangeError);
            expect(fits).toBe(false);
            t.count('RangeError');
          }
        },
      ),
      { numRuns: runs(10_000) },
    );
  });
});

/** A well-formed read request PDU and what parseRequest must make of it. */
const readRequest = fc
  .record({ fc: fc.constantFrom(1, 2, 3, 4), address: fc.integer({ min: 0, max: 0xffff }), n: fc.nat() })
  .map(({ fc: f, address, n }) => {
    const max = f <= 2 ? MAX_READ_BITS : MAX_READ_REGISTERS;
    const quantity = 1 + (n % Math.min(max, 0x10000 - address));
    const pdu = Buffer.from([f, address >> 8, address & 0xff, quantity >> 8, quantity & 0xff]);
    return { pdu, fc: f, address, quantity };
  });

describe('request PDUs, fuzzed', { timeout: FUZZ_TIMEOUT }, () => {
  it('well-formed reads parse back; random PDUs get a coded exception for their function', () => {
    const t = tally('pdu parse');
    fc.assert(
      fc.property(readRequest, fc.uint8Array({ maxLength: 260 }), (req, random) => {
        expect(parseRequest(req.pdu)).toMatchObject({
          kind: 'read',
          fc: req.fc,
          address: req.address,
          quantity: req.quantity,
        });
        const r = parseRequest(Buffer.from(random));
        if (r.kind === 'exception') {
          expect(r.fc).toBe(random[0] ?? 0);
          expect([
            EXCEPTION.illegalFunction,
            EXCEPTION.illegalDataAddress,
            EXCEPTION.illegalDataValue,
          ]).toContain(r.code);
        } else if (r.kind === 'read') {
          expect(r.address + r.quantity).toBeLessThanOrEqual(0x10000);
          expect(r.quantity).toBeGreaterThanOrEqual(1);
        } else expect(r.values.length).toBeGreaterThanOrEqual(1);
        t.count(r.kind);
      }),
      { numRuns: runs(10_000) },
    );
  });
});

/** Splits `b` at the given cut points (mod its length). */
const chunks = (b: Buffer, cuts: number[]): Buffer[] => {
  const at = [...new Set(cuts.map((c) => (b.length ? c % b.length : 0)))].sort((x, y) => x - y);
  return [0, ...at].map((from, i) => b.subarray(from, at[i] ?? b.length)).filter((c) => c.length > 0);
};
const pduArb = fc.uint8Array({ minLength: 1, maxLength: 253 }).map((b) => Buffer.from(b));

describe('frame decoders, fuzzed', { timeout: FUZZ_TIMEOUT }, () => {
  it('MBAP: frames come back whole however the stream is cut', () => {
    const t = tally('mbap reassembly');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 255 }), pduArb), {
          maxLength: 6,
        }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (frames, cuts) => {
          const d = new MbapDecoder();
          const stream = Buffer.concat(frames.map(([tid, unit, pdu]) => encodeMbap(tid, unit, pdu)));
          const got = chunks(stream, cuts).flatMap((c) => d.push(c));
          expect(got.map((f) => [f.transaction, f.unit, [...f.pdu]])).toEqual(
            frames.map(([a, b, p]) => [a, b, [...p]]),
          );
          t.count(`${frames.length} frames`);
        },
      ),
      { numRuns: runs(5000) },
    );
  });

  it('MBAP: random bytes give frames or FramingError, nothing else', () => {
    const t = tally('mbap random bytes');
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), (parts) => {
        const d = new MbapDecoder();
        try {
          for (const p of parts)
            for (const f of d.push(Buffer.from(p))) expect(f.pdu.length).toBeGreaterThanOrEqual(1);
          t.count('frames or pending');
        } catch (e) {
          expect(e).toBeInstanceOf(FramingError);
          t.count('FramingError');
        }
      }),
      { numRuns: runs(10_000) },
    );
  });

  it('RTU: valid requests are all found, cut anywhere; noise is dropped, counted and never piles up', () => {
    const t = tally('rtu requests and noise');
    const request = fc.oneof(
      readRequest.map((r) => r.pdu),
      fc
        .record({
          a: fc.integer({ min: 0, max: 0xffff }),
          v: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 123 }),
        })
        .map(({ a, v }) =>
          Buffer.from([
            16,
            a >> 8,
            a & 0xff,
            0,
            v.length,
            v.length * 2,
            ...v.flatMap((w) => [w >> 8, w & 0xff]),
          ]),
        ),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 247 }), request), { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.uint8Array({ maxLength: 600 }),
        (frames, cuts, noise) => {
          const good = new RtuRequestDecoder();
          const stream = Buffer.concat(frames.map(([unit, pdu]) => encodeRtu(unit, pdu)));
          const got = chunks(stream, cuts).flatMap((c) => good.push(c));
          expect(got.map((f) => [f.unit, [...f.pdu]])).toEqual(frames.map(([u, p]) => [u, [...p]]));
          expect(good.dropped).toBe(0);
          const d = new RtuRequestDecoder();
          const found = d.push(Buffer.from(noise));
          const consumed = found.reduce((n, f) => n + f.pdu.length + 3, 0);
          for (const f of found) expect(crc16(encodeRtu(f.unit, f.pdu))).toBe(0);
          // Every byte is a frame's, dropped, or waiting — and at most one frame's worth waits.
          expect(consumed + d.dropped).toBeLessThanOrEqual(noise.length);
          expect(noise.length - consumed - d.dropped).toBeLessThanOrEqual(264);
          t.count(found.length ? 'noise made frames' : 'noise dropped');
        },
      ),
      { numRuns: runs(3000) },
    );
  });

  it('CRC-16/MODBUS: a frame with its CRC appended has residue 0', () => {
    const t = tally('crc16 residue');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), pduArb, (unit, pdu) => {
        expect(crc16(encodeRtu(unit, pdu))).toBe(0);
        t.count('ok');
      }),
      { numRuns: runs(10_000) },
    );
  });
});

describe('regressions found by fuzzing', () => {
  it('RTU: 200 KB of noise is dropped byte by byte in linear time (was O(256²) per byte: 22 s per 100 KB)', () => {
    const noise = Buffer.alloc(200_000);
    for (let i = 0; i < noise.length; i++) noise[i] = 0x40 + ((i * 7919) % 50); // unknown function codes
    const d = new RtuRequestDecoder();
    // Before the fix this alone outlasted the test timeout.
    expect(d.push(noise)).toEqual([]);
    expect(d.dropped).toBe(noise.length - 3);
  });
});
