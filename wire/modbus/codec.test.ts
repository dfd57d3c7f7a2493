import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePoint, encodePoint, type PointCodec } from './codec.ts';
import { DATA_TYPES, ORDERS, registerWidth } from './datatypes.ts';

const p = (
  type: PointCodec['type'],
  order: PointCodec['order'] = 'ABCD',
  extra: Partial<PointCodec> = {},
): PointCodec => ({
  type,
  order,
  scale: 1,
  offset: 0,
  ...extra,
});
const hex = (words: number[]) => words.map((w) => w.toString(16).padStart(4, '0'));

describe('register codec: known vectors', () => {
  it('float32 123.456 in all four orders', () => {
    expect(hex(encodePoint(p('float32', 'ABCD'), 123.456))).toEqual(['42f6', 'e979']);
    expect(hex(encodePoint(p('float32', 'CDAB'), 123.456))).toEqual(['e979', '42f6']);
    expect(hex(encodePoint(p('float32', 'BADC'), 123.456))).toEqual(['f642', '79e9']);
    expect(hex(encodePoint(p('float32', 'DCBA'), 123.456))).toEqual(['79e9', 'f642']);
  });

  it('64-bit word and byte swaps apply across all four words', () => {
    const v = 0x0102030405060708n;
    expect(hex(encodePoint(p('uint64', 'ABCD'), v))).toEqual(['0102', '0304', '0506', '0708']);
    expect(hex(encodePoint(p('uint64', 'CDAB'), v))).toEqual(['0708', '0506', '0304', '0102']);
    expect(hex(encodePoint(p('uint64', 'BADC'), v))).toEqual(['0201', '0403', '0605', '0807']);
    expect(hex(encodePoint(p('uint64', 'DCBA'), v))).toEqual(['0807', '0605', '0403', '0201']);
  });

  it('signed, scaled and string values', () => {
    expect(hex(encodePoint(p('int32'), -2))).toEqual(['ffff', 'fffe']);
    expect(hex(encodePoint(p('int16', 'ABCD', { scale: 0.1 }), 22.5))).toEqual(['00e1']);
    expect(decodePoint(p('int16', 'ABCD', { scale: 0.1 }), [0xff38])).toBeCloseTo(-20, 10);
    expect(hex(encodePoint(p('uint16', 'ABCD', { scale: 0.01, offset: -40 }), 20))).toEqual(['1770']);
    expect(hex(encodePoint(p('string', 'ABCD', { length: 6 }), 'O1234'))).toEqual(['4f31', '3233', '3400']);
    expect(hex(encodePoint(p('string', 'BADC', { length: 6 }), 'O1234'))).toEqual(['314f', '3332', '0034']);
    expect(decodePoint(p('string', 'ABCD', { length: 6 }), [0x4f31, 0x3233, 0x3400])).toBe('O1234');
    expect(decodePoint(p('bool'), [2])).toBe(true);
  });

  it('saturates integers like a PLC and keeps unscaled 64-bit values as bigint', () => {
    expect(encodePoint(p('int16'), 40000)).toEqual([0x7fff]);
    expect(encodePoint(p('uint16'), -5)).toEqual([0]);
    expect(encodePoint(p('uint16'), Number.NaN)).toEqual([0]);
    expect(decodePoint(p('uint64'), encodePoint(p('uint64'), 2n ** 60n + 1n))).toBe(2n ** 60n + 1n);
    expect(
      decodePoint(
        p('uint64', 'CDAB', { scale: 0.01 }),
        encodePoint(p('uint64', 'CDAB', { scale: 0.01 }), 1234.56),
      ),
    ).toBeCloseTo(1234.56, 6);
  });

  it('rejects too few registers with a RangeError', () => {
    expect(() => decodePoint(p('float64'), [1, 2, 3])).toThrow(RangeError);
    expect(() => decodePoint(p('float32'), [1, 2, 3], 2)).toThrow('float32 needs 2 register(s) at 2, have 1');
  });
});

describe('register codec: properties', () => {
  const order = fc.constantFrom(...ORDERS);
  it('round-trips every integer type in every order', () => {
    const cases = [
      ['int16', fc.integer({ min: -0x8000, max: 0x7fff })],
      ['uint16', fc.integer({ min: 0, max: 0xffff })],
      ['int32', fc.integer({ min: -0x80000000, max: 0x7fffffff })],
      ['uint32', fc.integer({ min: 0, max: 0xffffffff })],
      ['int64', fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })],
      ['uint64', fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })],
    ] as const;
    for (const [type, arb] of cases) {
      fc.assert(
        fc.property(order, arb, (o, v) => {
          const words = encodePoint(p(type, o), v);
          expect(words).toHaveLength(registerWidth(type));
          for (const w of words) expect(w >= 0 && w <= 0xffff).toBe(true);
          expect(decodePoint(p(type, o), words)).toBe(v);
        }),
        { numRuns: 300 },
      );
    }
  });

  it('round-trips floats (float32 to single precision, NaN stays NaN)', () => {
    fc.assert(
      fc.property(order, fc.double(), (o, v) => {
        expect(decodePoint(p('float64', o), encodePoint(p('float64', o), v))).toBe(v);
        expect(decodePoint(p('float32', o), encodePoint(p('float32', o), v))).toBe(Math.fround(v));
      }),
      { numRuns: 500 },
    );
  });

  it('scaled integers decode within half a step of the engineering value', () => {
    fc.assert(
      fc.property(
        order,
        fc.constantFrom(0.1, 0.01, 0.5, 2),
        fc.double({ min: -300, max: 300, noNaN: true }),
        (o, scale, v) => {
          const pt = p('int32', o, { scale, offset: 10 });
          const back = decodePoint(pt, encodePoint(pt, v));
          expect(Math.abs(Number(back) - v)).toBeLessThanOrEqual(scale / 2 + 1e-9);
        },
      ),
    );
  });

  it('decodes at an offset exactly as from the start of that slice (no state kept between calls)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DATA_TYPES),
        order,
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 12, maxLength: 12 }),
        fc.integer({ min: 0, max: 4 }),
        (type, o, words, at) => {
          const pt = p(type, o, { length: 16 });
          const a = decodePoint(pt, words, at);
          decodePoint(p('float64', 'DCBA'), [0xffff, 0xffff, 0xffff, 0xffff]); // dirty any scratch
          expect(decodePoint(pt, words.slice(at))).toStrictEqual(a);
        },
      ),
    );
  });

  it('decodes any words of any type without throwing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DATA_TYPES),
        order,
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
        (type, o, words) => {
          decodePoint(p(type, o, { length: 16 }), words);
        },
      ),
    );
  });
});
