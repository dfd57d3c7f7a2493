import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SparkplugType as T } from '../../wire/sparkplug/index.ts';
import { EdgeScript } from '../../test/helpers/sparkplug-frames.ts';
import type { LinkEvent, OnlineMark, Sample } from '../store/types.ts';
import { Dispatcher, type DispatchOptions } from './dispatch.ts';

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);

function setup(over: Partial<DispatchOptions> = {}) {
  const got = {
    samples: [] as Sample[],
    marks: [] as OnlineMark[],
    events: [] as LinkEvent[],
    rebirths: [] as string[],
  };
  const buckets = new Set<string>();
  const d = new Dispatcher(
    {
      store: true,
      track: true,
      reorderMs: 1000,
      parkMs: 5000,
      parkMax: 3,
      rebirthIntervalMs: 0,
      maxFutureMs: 60_000,
      maxPayloadBytes: 1024 * 1024,
      ...over,
    },
    {
      samples: (rows) => (got.samples.push(...rows), Promise.resolve()),
      marks: (rows) => (got.marks.push(...rows), Promise.resolve()),
      events: (rows) => (got.events.push(...rows), Promise.resolve()),
      feed: {
        sample: (e, _n, dev, time) => {
          const b = Math.floor(time / 60_000) * 60_000;
          const k = `${e}/${dev}/${b}`;
          if (buckets.has(k)) return undefined;
          buckets.add(k);
          return b;
        },
        event: () => undefined,
      },
      rebirth: (g, n) => got.rebirths.push(`${g}/${n}`),
      log: pino({ level: 'silent' }),
    },
  );
  const edge = new EdgeScript('ts-steel', 'gw1', [
    { id: 'furnace-1', metrics: { temp: T.Float, running: T.Boolean, count: T.Int32, state: T.String } },
  ]);
  const send = async (f: { topic: string; payload: Buffer }, now = T0 + 1000) => {
    await d.handle(f.topic, f.payload, now);
  };
  return { d, got, edge, send };
}

describe('Dispatcher', () => {
  it('turns births and aliased DATA into typed samples at their source times', async () => {
    const { got, edge, send } = setup();
    await send(edge.nbirth(T0));
    await send(edge.dbirth('furnace-1', T0, { temp: 20.5, running: true, count: -3, state: 'idle' }));
    await send(
      edge.ddata('furnace-1', [
        { metric: 'temp', time: T0 + 500, value: 21.25 },
        { metric: 'count', time: T0 + 500, value: -7 },
        { metric: 'running', time: T0 + 600, value: null },
      ]),
    );
    const data = got.samples.filter((s) => s.time > T0);
    expect(data).toEqual([
      expect.objectContaining({
        device: 'furnace-1',
        metric: 'temp',
        time: T0 + 500,
        value: 21.25,
        good: true,
      }),
      expect.objectContaining({ metric: 'count', value: -7, good: true }),
      expect.objectContaining({ metric: 'running', value: null, good: false }),
    ]);
    expect(got.samples.filter((s) => s.time === T0).map((s) => [s.metric, s.value])).toEqual([
      ['temp', 20.5],
      ['running', true],
      ['count', -3],
      ['state', 'idle'],
    ]);
    expect(got.events.map((e) => e.type)).toEqual(['NBIRTH', 'DBIRTH']);
    expect(got.marks).toEqual([
      { enterprise: 'ts-steel', device: 'furnace-1', bucket: Math.floor(T0 / 60_000) * 60_000 },
    ]);
  });

  it('parks DATA that arrives before its birth, asks for a rebirth, and stores it after the birth', async () => {
    const { d, got, edge, send } = setup();
    edge.seq = 5;
    const early = edge.ddata('furnace-1', [{ metric: 'temp', time: T0 + 100, value: 30 }]);
    await send(early);
    expect(got.samples).toHaveLength(0);
    expect(got.rebirths).toEqual(['ts-steel/gw1']);
    await send(edge.nbirth(T0 + 200));
    await send(edge.dbirth('furnace-1', T0 + 200, { temp: 31 }));
    expect(got.samples.map((s) => [s.metric, s.value, s.time])).toContainEqual(['temp', 30, T0 + 100]);
    d.sweep(T0 + 60_000);
    expect(d.rejects.rejected.no_birth).toBeUndefined();
  });

  it('drops parked DATA whose birth never comes, counted', async () => {
    const { d, edge, send } = setup();
    await send(edge.ddata('furnace-1', [{ metric: 'temp', time: T0, value: 1 }]), T0);
    d.sweep(T0 + 5000);
    expect(d.rejects.rejected.no_birth).toBe(1);
  });

  it('requests a rebirth after a seq gap outlives the reorder window, not before', async () => {
    const { d, got, edge, send } = setup();
    await send(edge.nbirth(T0), T0);
    await send(edge.dbirth('furnace-1', T0), T0);
    edge.seq += 2; // two messages lost
    await send(edge.ddata('furnace-1', [{ metric: 'temp', time: T0, value: 1 }]), T0);
    d.sweep(T0 + 999);
    expect(got.rebirths).toEqual([]);
    d.sweep(T0 + 1000);
    expect(got.rebirths).toEqual(['ts-steel/gw1']);
    expect(d.counts.seqGaps).toBe(1);
  });

  it('accepts a reordered seq inside the window without a rebirth', async () => {
    const { d, got, edge, send } = setup();
    await send(edge.nbirth(T0), T0);
    await send(edge.dbirth('furnace-1', T0), T0);
    const a = edge.ddata('furnace-1', [{ metric: 'temp', time: T0 + 1, value: 1 }]);
    const b = edge.ddata('furnace-1', [{ metric: 'temp', time: T0 + 2, value: 2 }]);
    await send(b, T0);
    await send(a, T0 + 10);
    d.sweep(T0 + 5000);
    expect(got.rebirths).toEqual([]);
    expect(got.samples.filter((s) => s.time > T0).map((s) => s.value)).toEqual([2, 1]);
  });

  it('unknown alias: drops the metric (counted), keeps the rest, asks for a rebirth', async () => {
    const { d, got, edge, send } = setup();
    await send(edge.nbirth(T0));
    await send(edge.dbirth('furnace-1', T0));
    await send(edge.ddata('furnace-1', [{ metric: 'temp', time: T0 + 5, value: 9 }], { alias: 999 }));
    expect(d.rejects.dropped.unknown_alias).toBe(1);
    expect(got.rebirths).toEqual(['ts-steel/gw1']);
  });

  it('ignores an NDEATH with a stale bdSeq and honours the matching one', async () => {
    const { d, got, edge, send } = setup();
    edge.bdSeq = 7;
    await send(edge.nbirth(T0));
    await send(edge.ndeath(6));
    expect(d.rejects.rejected.stale_ndeath).toBe(1);
    expect(d.sessions.get('ts-steel/gw1')?.online).toBe(true);
    await send(edge.ndeath(7));
    expect(d.sessions.get('ts-steel/gw1')?.online).toBe(false);
    expect(got.events.map((e) => e.type)).toEqual(['NBIRTH', 'NDEATH']);
  });

  it('rejects malformed input by reason and keeps going', async () => {
    const { d, got, edge, send } = setup({ groups: new Set(['ts-steel']) });
    await send(edge.nbirth(T0));
    await send(edge.dbirth('furnace-1', T0));
    const good = edge.ddata('furnace-1', [{ metric: 'temp', time: T0 + 5, value: 9 }]);
    await d.handle(good.topic, good.payload.subarray(0, good.payload.length - 3), T0); // truncated
    await d.handle(good.topic, Buffer.alloc(10 * 1024 * 1024, 1), T0); // 10 MB
    await d.handle('spBv1.0/ts-steel/DDATA/gw1', good.payload, T0); // wrong level count
    await d.handle('spBv1.0/ts-steel/DDATA/gw1/a+b', good.payload, T0); // wildcard char
    await d.handle('spBv1.0/other/DDATA/gw1/furnace-1', good.payload, T0); // not in the ledger
    await d.handle(good.topic, Buffer.from('not protobuf at all \u0000\u00ff'), T0);
    await d.handle('lianwang/ts-steel/furnace-1/data', Buffer.from('{"values":'), T0);
    await send(good);
    expect(d.rejects.rejected).toEqual({
      malformed_payload: 2,
      too_large: 1,
      bad_topic: 2,
      unauthorised_group: 1,
      malformed_json: 1,
    });
    expect(got.samples.at(-1)).toMatchObject({ metric: 'temp', value: 9, time: T0 + 5 });
  });

  it('drops metrics with future or absurd timestamps, counted', async () => {
    const { d, got, edge, send } = setup();
    await send(edge.nbirth(T0), T0);
    await send(edge.dbirth('furnace-1', T0), T0);
    await send(
      edge.ddata('furnace-1', [
        { metric: 'temp', time: T0 + 3_600_000, value: 1 },
        { metric: 'temp', time: 1000, value: 2 },
        { metric: 'temp', time: T0 + 1, value: 3 },
      ]),
      T0,
    );
    expect(d.rejects.dropped).toMatchObject({ future_timestamp: 1, bad_timestamp: 1 });
    expect(got.samples.filter((s) => s.time > T0).map((s) => s.value)).toEqual([3]);
  });

  it('reads the JSON mode and its status events', async () => {
    const { got, d } = setup();
    const data = {
      enterprise: 'e',
      device: 'd',
      time: T0,
      values: { a: 1.5, b: null },
      times: { a: T0, b: T0 },
    };
    await d.handle('lianwang/e/d/data', Buffer.from(JSON.stringify(data)), T0);
    await d.handle('lianwang/e/d/status', Buffer.from(JSON.stringify({ state: 'offline', since: T0 })), T0);
    expect(got.samples.map((s) => [s.node, s.metric, s.value, s.good])).toEqual([
      ['json', 'a', 1.5, true],
      ['json', 'b', null, false],
    ]);
    expect(got.events).toEqual([{ time: T0, type: 'DDEATH', enterprise: 'e', node: 'json', device: 'd' }]);
  });

  it('a storing worker writes samples, no marks or events, and asks for a rebirth only for a node it never saw born', async () => {
    const { got, edge, send } = setup({ track: false });
    await send(edge.ddata('furnace-1', [{ metric: 'temp', time: T0, value: 1 }]));
    // A worker (re)started mid-stream has no alias tables: only a rebirth gives them back.
    expect(got.rebirths).toEqual(['ts-steel/gw1']);
    await send(edge.nbirth(T0));
    await send(edge.dbirth('furnace-1', T0));
    expect(got.samples.some((s) => s.value === 1)).toBe(true);
    expect(got.marks).toEqual([]);
    expect(got.events).toEqual([]);
    // Session-level checks stay with the tracker: an unknown alias asks for nothing here.
    await send(edge.ddata('furnace-1', [{ metric: 'temp', time: T0 + 5, value: 9 }], { alias: 999 }));
    expect(got.rebirths).toEqual(['ts-steel/gw1']);
  });
});
