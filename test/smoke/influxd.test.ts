import { Agent } from 'node:http';
import { InfluxDB } from 'influx';
import { describe, expect, it } from 'vitest';
import { influxdBinary, startInfluxd } from '../helpers/influxd.ts';
import { useServer } from '../helpers/servers.ts';

const influxd = useServer(startInfluxd, influxdBinary);

async function query(url: string, q: string, db?: string): Promise<unknown> {
  const body = new URLSearchParams({ q, epoch: 'ms', ...(db ? { db } : {}) });
  const res = await fetch(`${url}/query`, { method: 'POST', body });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

describe('influxd 1.x (real server)', () => {
  it('creates a database, writes line protocol and reads the exact value back over http://[::1]', async (ctx) => {
    const { url } = influxd.get(ctx);
    await query(url, 'CREATE DATABASE smoke_http');
    const write = await fetch(`${url}/write?db=smoke_http&precision=ms`, {
      method: 'POST',
      body: 'spindle,machine=press-3 rpm=1234.5,parts=42i 1700000000000',
    });
    expect(write.status, await write.text()).toBe(204);

    const result = await query(url, `SELECT rpm, parts FROM spindle WHERE machine = 'press-3'`, 'smoke_http');
    expect(result).toEqual({
      results: [
        {
          statement_id: 0,
          series: [
            { name: 'spindle', columns: ['time', 'rpm', 'parts'], values: [[1700000000000, 1234.5, 42]] },
          ],
        },
      ],
    });
  });

  it("reaches it with the influx package through host '[::1]' (a bare '::1' silently means 127.0.0.1)", async (ctx) => {
    const { port } = influxd.get(ctx);
    // A keep-alive agent keeps the sockets after each request, so the test can see which address was used.
    const agent = new Agent({ keepAlive: true });
    try {
      const influx = new InfluxDB({ host: '[::1]', port, database: 'smoke_pkg', options: { agent } });
      await influx.createDatabase('smoke_pkg');
      await influx.writePoints([
        {
          measurement: 'spindle',
          tags: { machine: 'lathe-1' },
          fields: { rpm: 987.25 },
          timestamp: new Date(1_700_000_000_000),
        },
      ]);
      const rows = await influx.query<{ time: Date; rpm: number }>(
        `SELECT rpm FROM spindle WHERE machine = 'lathe-1'`,
      );
      expect(rows.map((r) => ({ time: r.time.getTime(), rpm: r.rpm }))).toEqual([
        { time: 1_700_000_000_000, rpm: 987.25 },
      ]);
      const peers = Object.values(agent.freeSockets).flatMap((sockets) =>
        sockets?.map((s) => s.remoteAddress),
      );
      expect(new Set(peers)).toEqual(new Set(['::1']));
    } finally {
      agent.destroy();
    }
  });
});
