/**
 * InfluxDB-only behaviour on a real influxd: the IPv6 path, retries and their errors, retention,
 * and the layout a Grafana user queries (docs/storage.md). The Store contract itself is in
 * store-conformance.test.ts.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PermanentStoreError, type StoreLog } from '../../cloud/store/common.ts';
import { createInfluxStore } from '../../cloud/store/influx.ts';
import { openStore } from '../../cloud/store/index.ts';
import type { Sample } from '../../cloud/store/types.ts';
import { influxdBinary, startInfluxd } from '../helpers/influxd.ts';
import { freePort } from '../helpers/ports.ts';
import { useServer } from '../helpers/servers.ts';

const influxd = useServer(startInfluxd, influxdBinary);
const HOUR = 3_600_000;
const now = (): number => Math.floor(Date.now() / HOUR) * HOUR;

function sample(over: Partial<Sample> = {}): Sample {
  return {
    enterprise: 'ent-1',
    node: 'gw-1',
    device: 'press-3',
    metric: 'temperature',
    time: now(),
    value: 21.5,
    good: true,
    historical: false,
    ...over,
  };
}

/**
 * A TCP forwarder that listens on ::1 only (IPV6_V6ONLY): a client that silently fell back to
 * 127.0.0.1 gets ECONNREFUSED instead of a working connection. Records each request's head.
 */
class V6OnlyProxy {
  readonly heads: string[] = [];
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  constructor(
    readonly port: number,
    readonly targetPort: number,
  ) {}

  async listen(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect({ host: '::1', port: this.targetPort });
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.on('data', (chunk: Buffer) =>
        this.heads.push(chunk.toString('latin1').split('\r\n\r\n')[0] ?? ''),
      );
      client.pipe(upstream).pipe(client);
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '::1', port: this.port, ipv6Only: true }, resolve);
    });
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function query(url: string, db: string, q: string): Promise<unknown> {
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q, db, epoch: 'ms' }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    results: { series?: { name: string; tags?: object; values: unknown[][] }[] }[];
  };
  return body.results[0]?.series ?? [];
}

const warnings = (list: string[]): StoreLog => ({
  debug() {},
  info() {},
  error() {},
  warn: (_o, msg) => list.push(msg),
});

describe('InfluxDB store (real influxd)', () => {
  it('really talks over [::1], with the credentials from the URL and none in its location', async (ctx) => {
    const server = influxd.get(ctx);
    const proxy = new V6OnlyProxy(await freePort(), server.port);
    await proxy.listen();
    ctx.onTestFinished(() => proxy.close());
    const store = await openStore({
      influx: `http://grafana:p%40ss@[::1]:${proxy.port}/ipv6`,
      dataDir: '/nonexistent',
    });
    ctx.onTestFinished(() => store.close());
    expect(store.kind).toBe('influx');
    expect(store.location).toBe(`http://[::1]:${proxy.port}/ipv6`);
    await store.writeSamples([sample()]);
    expect(await store.countSamples({ from: 0, to: Infinity })).toBe(1);
    expect(proxy.heads.some((h) => h.startsWith('POST /write?db=ipv6&precision=ms&rp=lianwang'))).toBe(true);
    const auth = `Authorization: Basic ${Buffer.from('grafana:p@ss').toString('base64')}`;
    expect(proxy.heads.every((h) => h.includes(auth))).toBe(true);
  });

  it('retries a write through a refused connection and succeeds once the server is back', async (ctx) => {
    const server = influxd.get(ctx);
    const proxy = new V6OnlyProxy(await freePort(), server.port);
    await proxy.listen();
    ctx.onTestFinished(() => proxy.close());
    const warned: string[] = [];
    const log = warnings(warned);
    // The first retry warning brings the server back: no sleeping, no timing assumptions.
    log.warn = (_o, msg) => {
      warned.push(msg);
      if (warned.length === 1) void proxy.listen();
    };
    const store = createInfluxStore({ url: `http://[::1]:${proxy.port}/retry`, retryDelayMs: 50, log });
    ctx.onTestFinished(() => store.close());
    await store.open();
    await proxy.close();
    await store.writeSamples(Array.from({ length: 12_000 }, (_, i) => sample({ time: now() - i })));
    expect(warned[0]).toMatch(/^influx write samples \(5000 points\) failed, retrying$/);
    expect(await store.countSamples({ from: 0, to: Infinity })).toBe(12_000);
  });

  it('gives up after its retries with an error naming the URL without credentials', async () => {
    const port = await freePort(); // nothing listens here
    const store = createInfluxStore({
      url: `http://writer:s3cret@[::1]:${port}/gone`,
      retries: 2,
      retryDelayMs: 1,
    });
    const err = await store.open().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(
      new RegExp(
        `^influx create database at http://\\[::1\\]:${port}/gone failed after 3 attempts: .*ECONNREFUSED`,
      ),
    );
    expect(err?.message).not.toContain('s3cret');
    await store.close();
  });

  it('rejects a write InfluxDB refuses (field type conflict) as permanent, without retrying', async (ctx) => {
    const { url } = influxd.get(ctx);
    const warned: string[] = [];
    const store = createInfluxStore({ url: `${url}/conflict`, log: warnings(warned) });
    ctx.onTestFinished(() => store.close());
    await store.open();
    // Someone else wrote `value` as a string into the same shard.
    const t = now();
    const res = await fetch(`${url}/write?db=conflict&precision=ms`, {
      method: 'POST',
      body: `telemetry,enterprise=x,node=x,device=x,metric=x value="text",good=true ${t}`,
    });
    expect(res.status).toBe(204);
    const write = store.writeSamples([sample({ time: t + 1 })]);
    await expect(write).rejects.toThrow(PermanentStoreError);
    await expect(write).rejects.toThrow(/field type conflict/);
    expect(warned).toEqual([]);
  });

  it('keeps data for the retention policy: older points are dropped, the rest of the batch is stored', async (ctx) => {
    const { url } = influxd.get(ctx);
    const warned: string[] = [];
    const store = createInfluxStore({ url: `${url}/retention`, retention: '1h', log: warnings(warned) });
    ctx.onTestFinished(() => store.close());
    await store.open();
    await store.writeSamples([sample({ time: now() - 3 * HOUR }), sample({ time: now() })]);
    expect(warned).toEqual(['influx write samples: points older than the retention policy dropped']);
    expect(await store.countSamples({ from: 0, to: Infinity })).toBe(1);
    const policies = () => query(url, 'retention', 'SHOW RETENTION POLICIES');
    expect(await policies()).toEqual([
      {
        columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'],
        values: [
          ['autogen', '0s', '168h0m0s', 1, false],
          ['lianwang', '1h0m0s', '1h0m0s', 1, true],
        ],
      },
    ]);
    // Reopening with another retention alters the policy.
    const longer = createInfluxStore({ url: `${url}/retention`, retention: '2d' });
    ctx.onTestFinished(() => longer.close());
    await longer.open();
    expect(JSON.stringify(await policies())).toContain('["lianwang","48h0m0s","1h0m0s",1,true]');
  });

  it("stores a string value holding \\' as it is (node-influx's writePoints doubled the backslash)", async (ctx) => {
    const { url } = influxd.get(ctx);
    const store = createInfluxStore({ url: `${url}/quotes` });
    ctx.onTestFinished(() => store.close());
    await store.open();
    const t = now();
    const values = ["it\\'s", "\\'", 'say "\\"hi\\""'];
    await store.writeSamples(values.map((value, i) => sample({ metric: `s${i}`, time: t, value })));
    const series = await store.series({ enterprise: 'ent-1', device: 'press-3', from: t, to: t + 1 });
    expect(series.map((s) => s.points[0]?.value)).toEqual(values);
  });

  it('lays data out for Grafana: typed fields, ids as tags, online buckets per device', async (ctx) => {
    const { url } = influxd.get(ctx);
    const store = createInfluxStore({ url: `${url}/grafana` });
    ctx.onTestFinished(() => store.close());
    await store.open();
    const h = now() - HOUR;
    await store.writeSamples([
      sample({ time: h, value: 20 }),
      sample({ time: h + 60_000, value: 22, historical: true }),
      sample({ metric: 'running', time: h, value: true }),
      sample({ metric: 'mode', time: h, value: 'AUTO' }),
      sample({ device: '', metric: 'Buffer/Entries', time: h, value: 0 }),
    ]);
    await store.writeOnline(
      [0, 1, 2].map((i) => ({ enterprise: 'ent-1', device: 'press-3', bucket: h + i * 60_000 })),
      60_000,
    );
    const q = (text: string) => query(url, 'grafana', text);

    expect(await q('SHOW FIELD KEYS FROM "telemetry"')).toEqual([
      {
        name: 'telemetry',
        columns: ['fieldKey', 'fieldType'],
        values: [
          ['good', 'boolean'],
          ['historical', 'boolean'],
          ['value', 'float'],
          ['value_bool', 'boolean'],
          ['value_str', 'string'],
        ],
      },
    ]);
    // The queries of docs/storage.md, verbatim.
    expect(
      await q(
        `SELECT mean("value") FROM "telemetry" WHERE "enterprise" = 'ent-1' AND "device" = 'press-3' AND "metric" = 'temperature' AND time >= ${h}ms AND time < ${h + HOUR}ms GROUP BY time(1h)`,
      ),
    ).toEqual([{ name: 'telemetry', columns: ['time', 'mean'], values: [[h, 21]] }]);
    expect(
      await q(
        `SELECT count("v") FROM "online" WHERE "w" = '60000' AND "enterprise" = 'ent-1' AND time >= ${h}ms AND time < ${h + HOUR}ms GROUP BY time(1h), "device"`,
      ),
    ).toEqual([
      { name: 'online', tags: { device: 'press-3' }, columns: ['time', 'count'], values: [[h, 3]] },
    ]);
    expect(await q(`SELECT "value" FROM "telemetry" WHERE "device" = '%empty'`)).toEqual([
      { name: 'telemetry', columns: ['time', 'value'], values: [[h, 0]] },
    ]);
    expect(await q(`SELECT count("good") FROM "telemetry" WHERE "historical" = true`)).toEqual([
      { name: 'telemetry', columns: ['time', 'count'], values: [[0, 1]] },
    ]);
  });
});
