/**
 * The store's own line protocol (cloud/store/influx-lines.ts) against node-influx's `writePoints`,
 * which wrote every point before: the same bytes for the same point (tags in key order), taken
 * from a request node-influx really sent. Round trips through a real influxd are in
 * store-conformance.test.ts and store-influx.test.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { InfluxDB } from 'influx';
import { describe, expect, it } from 'vitest';
import { eventPoint, markPoint, samplePoint, type LinePoint } from '../../cloud/store/influx-layout.ts';
import { pointLine, quoteField, SampleLines } from '../../cloud/store/influx-lines.ts';
import type { LinkEvent, Sample } from '../../cloud/store/types.ts';

/** Ids rich in what the line protocol and the tag sanitising care about. */
const id = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\\', "'", '"', '\n', ' ', ',', '=', '%', '\u0000', '唐'),
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  ),
  maxLength: 12,
});

const sampleArb: fc.Arbitrary<Sample> = fc.record({
  enterprise: id,
  node: id,
  device: id,
  metric: id,
  time: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  value: fc.oneof(
    fc.double(),
    fc.integer(),
    fc.boolean(),
    // node-influx's escape.quoted mangles `\'` (see quoteField): compared separately below.
    id.filter((s) => !s.includes("\\'")),
    fc.constant(null),
  ),
  good: fc.boolean(),
  historical: fc.boolean(),
});

/** What node-influx 5 sends for these points, tags in key order, captured from its request. */
async function nodeInfluxBody(points: LinePoint[]): Promise<string> {
  let body = '';
  const server = createServer((req, res) => {
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const client = new InfluxDB({ host: '127.0.0.1', port, database: 'x' });
    const sorted = points.map((p) => ({
      ...p,
      tags: Object.fromEntries(Object.entries(p.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    }));
    await client.writePoints(sorted, { precision: 'ms' });
    return body;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('InfluxDB line protocol', () => {
  it('writes samples as node-influx wrote them (cached series keys included)', async () => {
    const rows = fc.sample(sampleArb, { numRuns: 2_000, seed: 42 });
    // Repeat each series so the second line of it comes from the cache.
    const all = [...rows, ...rows.map((s) => ({ ...s, time: s.time + 1 }))];
    const lines = new SampleLines();
    const ours = all.map((s) => lines.line(s));
    expect(ours.join('\n')).toBe(await nodeInfluxBody(all.map(samplePoint)));
    expect(ours).toEqual(all.map((s) => pointLine(samplePoint(s))));
  });

  it('writes online marks and link events as node-influx wrote them', async () => {
    const marks = [
      { enterprise: 'ent 1', device: 'press,3', bucket: 60_000 },
      { enterprise: '', device: '50%', bucket: 0 },
    ].map((m) => markPoint(m, 60_000));
    const events: LinkEvent[] = [
      { time: 1, type: 'NBIRTH', enterprise: 'e', node: 'gw=1' },
      { time: 2, type: 'DDEATH', enterprise: 'e', node: 'gw', device: 'a\\b\nc' },
    ];
    const points = [...marks, ...events.map(eventPoint)];
    expect(points.map(pointLine).join('\n')).toBe(await nodeInfluxBody(points));
  });

  it('escapes string values as the line protocol reads them back', () => {
    expect(quoteField(`it\\'s "C:\\"`)).toBe(`"it\\\\'s \\"C:\\\\\\""`);
    expect(quoteField('two\nlines')).toBe('"two\nlines"');
  });

  it('splits rows into bodies of at most `chunk` lines', () => {
    const lines = new SampleLines();
    const rows = fc.sample(sampleArb, { numRuns: 11, seed: 7 });
    const bodies = lines.bodies(rows, 5).map((b) => b.toString());
    expect(bodies.map((b) => b.split('\n').length)).toEqual([5, 5, 1]);
    expect(bodies.join('\n')).toBe(rows.map((s) => lines.line(s)).join('\n'));
    expect(lines.bodies([], 5)).toEqual([]);
  });

  it('bounds its cache: when full it starts again, and lines stay the same', () => {
    const lines = new SampleLines(4);
    const s = (node: string, device: string, metric: string): Sample => ({
      enterprise: 'e',
      node,
      device,
      metric,
      time: 1,
      value: 1,
      good: true,
      historical: false,
    });
    const rows = [0, 1, 2, 0, 3, 1].flatMap((d) => ['x', 'y', 'x'].map((m) => s(`n${d % 2}`, `d${d}`, m)));
    const out = rows.map((r) => {
      const line = lines.line(r);
      // Emptied before a line once 4 pieces are held; a line adds at most 3 (device, metric, node).
      expect(lines.size).toBeLessThanOrEqual(4 - 1 + 3);
      return line;
    });
    expect(out).toEqual(rows.map((r) => pointLine(samplePoint(r))));
  });
});
