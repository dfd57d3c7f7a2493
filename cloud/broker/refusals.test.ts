import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { captureLog } from '../../test/security/_setup.ts';
import { Refusals } from './refusals.ts';

const event = (topic = 'spBv1.0/e1/NDATA/gw-2', who = 'gw1') =>
  ({ kind: 'publish', reason: 'topic', who, clientId: 'c', topic }) as const;

describe('refusals', () => {
  it('counts every refusal, logs one line per key and interval with the suppressed count', async () => {
    const { log, entries } = captureLog();
    const registry = new Registry();
    const r = new Refusals({ log, intervalMs: 10_000, registry });
    for (let i = 0; i < 5; i++) r.record(event(), 1000 + i);
    r.record(event('spBv1.0/e2/NDATA/gw-1'), 1010); // another topic: its own line
    r.record(event(), 12_000); // the interval passed: logged, with the four suppressed before
    expect(r.stats()).toEqual({ total: 7, byReason: { 'publish/topic': 7 } });
    const lines = entries('refused publish');
    expect(lines.map((l) => [l.topic, l.suppressed])).toEqual([
      ['spBv1.0/e1/NDATA/gw-2', undefined],
      ['spBv1.0/e2/NDATA/gw-1', undefined],
      ['spBv1.0/e1/NDATA/gw-2', 4],
    ]);
    expect(await registry.getSingleMetricAsString('lianwang_broker_refusals_total')).toMatch(
      /lianwang_broker_refusals_total\{kind="publish",reason="topic"\} 7/,
    );
  });

  it('caps the lines per interval in all, and says how many others it left out', () => {
    const { log, entries } = captureLog();
    const r = new Refusals({ log, intervalMs: 1000, maxLines: 3 });
    for (let i = 0; i < 10; i++) r.record(event(`t/${i}`, `who-${i}`), 100);
    expect(entries()).toHaveLength(3);
    r.record(event('t/late'), 1200);
    expect(entries().at(-1)).toMatchObject({ topic: 't/late', suppressedOther: 7 });
    expect(r.stats().total).toBe(11);
  });
});
