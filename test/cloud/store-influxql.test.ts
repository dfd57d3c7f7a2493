import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTag,
  durationLiteral,
  parseRetention,
  EMPTY_TAG,
  encodeTag,
  parseInfluxUrl,
  quoteIdent,
  quoteString,
  tagEquals,
  timeMs,
} from '../../cloud/store/influxql.ts';

/** Ids rich in the characters that matter (quotes, backslashes, '%', controls), plus any UTF-16 unit. */
const id = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\\', "'", '"', '\n', '\r', '\t', '%', '5', 'C', ' ', ',', '=', '\u0000', '唐'),
    fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  ),
});

describe('InfluxQL literals', () => {
  it.each([
    ['plain', `'plain'`],
    ["it's", `'it\\'s'`],
    ['C:\\', `'C:\\\\'`],
    ["end\\'", `'end\\\\\\''`],
    ['two\nlines', `'two\\nlines'`],
    ['"double" 唐山 .* /re/', `'"double" 唐山 .* /re/'`],
    ['', `''`],
  ])('quoteString(%j) = %s', (input, quoted) => {
    expect(quoteString(input)).toBe(quoted);
  });

  it('quotes identifiers with double quotes', () => {
    expect(quoteIdent('lianwang')).toBe('"lianwang"');
    expect(quoteIdent('my "db"\\')).toBe('"my \\"db\\"\\\\"');
  });

  it('never leaves an unescaped quote, backslash or newline inside a literal', () => {
    fc.assert(
      fc.property(id, (s) => {
        // Every backslash starts one of \\ \' \n; no bare quote and no raw newline is left.
        const body = quoteString(s).slice(1, -1);
        expect(body.replace(/\\[\\'n]/g, '')).not.toMatch(/[\\'\n]/);
      }),
    );
  });

  it('builds tag conditions and time bounds', () => {
    expect(tagEquals('device', "a'b")).toBe(`"device" = 'a\\'b'`);
    expect(tagEquals('device', '')).toBe(`"device" = '%empty'`);
    expect(timeMs(1_700_000_000_000)).toBe('1700000000000ms');
    expect(() => timeMs(1.5)).toThrow(/integer/);
  });

  it('parseRetention: the literal and its length, at least 1h (what InfluxDB accepts), or INF', () => {
    expect(parseRetention('30d')).toEqual({ literal: '30d', ms: 30 * 86_400_000 });
    expect(parseRetention('1d12h')).toEqual({ literal: '1d12h', ms: 36 * 3_600_000 });
    expect(parseRetention('2w')).toEqual({ literal: '2w', ms: 14 * 86_400_000 });
    expect(parseRetention('1h')).toEqual({ literal: '1h', ms: 3_600_000 });
    expect(parseRetention('INF')).toEqual({ literal: 'INF', ms: Infinity });
    for (const d of ['59m', '3599s', '0d']) expect(() => parseRetention(d)).toThrow(/shorter than 1h/);
    for (const d of ['', '90', '90 days', 'inf', '-1d', "30d' OR"])
      expect(() => parseRetention(d)).toThrow(/retention duration/);
  });

  it('accepts retention durations and refuses anything else', () => {
    for (const d of ['90d', '2w', '1d12h', '24h', 'INF']) expect(durationLiteral(d)).toBe(d);
    for (const d of ['', '90 d', "90d'; DROP DATABASE x", 'forever', '-1d'])
      expect(() => durationLiteral(d)).toThrow(/retention duration/);
  });
});

describe('tag sanitising (docs/storage.md)', () => {
  it.each([
    ['press-3', 'press-3'],
    ['唐山 line 1, a=b', '唐山 line 1, a=b'],
    ['', EMPTY_TAG],
    ['%empty', '%25empty'],
    ['50%', '50%25'],
    ['trailing\\', 'trailing%5C'],
    ['new\nline\r', 'new%0Aline%0D'],
    ['tab\tnul\u0000del\u007f', 'tab%09nul%00del%7F'],
  ])('encodeTag(%j) = %j', (id, tag) => {
    expect(encodeTag(id)).toBe(tag);
    expect(decodeTag(tag)).toBe(id);
  });

  it('is reversible and never yields a value InfluxDB refuses (empty, trailing \\, newline)', () => {
    fc.assert(
      fc.property(id, (s) => {
        const tag = encodeTag(s);
        expect(decodeTag(tag)).toBe(s);
        expect(tag).not.toBe('');
        expect(tag).not.toMatch(/[\\\n\r]/);
      }),
    );
  });

  it('keeps distinct ids distinct', () => {
    fc.assert(
      fc.property(id, id, (a, b) => {
        if (a !== b) expect(encodeTag(a)).not.toBe(encodeTag(b));
      }),
    );
  });
});

describe('parseInfluxUrl', () => {
  it('keeps IPv6 brackets (node-influx turns a bare ::1 into 127.0.0.1) and removes credentials', () => {
    expect(parseInfluxUrl('http://writer:s%3Acret@[::1]:8087/plant_a')).toEqual({
      protocol: 'http',
      host: '[::1]',
      port: 8087,
      database: 'plant_a',
      username: 'writer',
      password: 's:cret',
      location: 'http://[::1]:8087/plant_a',
    });
  });

  it('defaults the port to 8086 and the database to lianwang', () => {
    expect(parseInfluxUrl('https://influx.example.com')).toEqual({
      protocol: 'https',
      host: 'influx.example.com',
      port: 8086,
      database: 'lianwang',
      location: 'https://influx.example.com:8086/lianwang',
    });
    expect(parseInfluxUrl('http://127.0.0.1:8086/').database).toBe('lianwang');
  });

  it('refuses what it cannot use, without echoing credentials', () => {
    expect(() => parseInfluxUrl('influx.example.com:8086')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => parseInfluxUrl('not a url')).toThrow(/invalid InfluxDB URL/);
    expect(() => parseInfluxUrl('http://u:secret@h/a/b')).toThrow(/one database name/);
    try {
      parseInfluxUrl('ftp://u:secret@h/a');
    } catch (err) {
      expect((err as Error).message).not.toContain('secret');
    }
  });
});
