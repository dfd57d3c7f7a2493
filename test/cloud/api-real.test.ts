/**
 * The API over the real ledger and rates engine (in memory, no store): their objects must
 * pass the response schemas unchanged — a schema drops a field it does not list and fails on
 * a required one that is missing — and the ledger's own errors must reach the client coded.
 */
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { formatError } from '../../config/load/errors.ts';
import { loadPlantText } from '../../config/load/plant.ts';
import { buildApi } from '../../cloud/api/index.ts';
import { Ledger } from '../../cloud/ledger/index.ts';
import { createRatesEngine } from '../../cloud/rates/index.ts';
import { INGEST, NODES, StubStore, silent } from './api-fakes.ts';

const W = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0);
const NOW = T0 + 10 * W + 30_000;
const ADMIN = 'admin-token';

const PLANT = `region:
  id: hebei
  name: 河北省
  cities: [{ id: tangshan, name: 唐山市 }, { id: baoding, name: 保定市 }]
enterprises:
  - id: A
    name: 甲钢铁
    city: tangshan
    industry: steel
    leading: true
    lines:
      - id: l1
        devices:
          - { id: a1, name: 加热炉, kind: reheating-furnace, digital: true, connectivity: { type: opcua, endpoint: 'opc.tcp://[::1]:4840' } }
          - { id: a2, kind: conveyor, digital: false }
  - id: B
    name: 乙装备
    city: baoding
    industry: equipment
    lines:
      - id: l1
        devices:
          - { id: b1, kind: cnc-machining-centre, digital: true }
`;

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function setup() {
  const r = loadPlantText(PLANT, 'plant.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  const ledger = await Ledger.fromPlants([r.value]);
  const rates = createRatesEngine({ ledger, clock: () => NOW });
  rates.event({ time: T0, type: 'NBIRTH', enterprise: 'A', node: 'gw-a' });
  for (let b = 0; b < 10; b++) rates.sample('A', 'gw-a', 'a1', T0 + b * W + 15_000);
  rates.sample('A', 'gw-a', 'ghost', T0 + 15_000);
  app = await buildApi(
    {
      rates,
      ledger,
      store: new StubStore(),
      unregistered: () => rates.unregistered.list(),
      nodes: () => NODES,
      ingest: () => INGEST,
      registry: new Registry(),
      health: () => ({ store: 'ok', broker: 'connected' }),
      events: new EventEmitter(),
    },
    { logger: silent, now: () => NOW, adminToken: ADMIN },
  );
  return { app, rates, ledger };
}

describe('the API over the real ledger and rates engine', () => {
  it('returns their report and enterprise detail unchanged', async () => {
    const { app, rates } = await setup();
    const q = `from=${T0}&to=${T0 + 10 * W}`;
    const report = await app.inject(`/api/rates?${q}`);
    expect(report.statusCode).toBe(200);
    expect(report.json()).toEqual(
      JSON.parse(JSON.stringify(rates.report({ from: T0, to: T0 + 10 * W }, NOW))),
    );
    const detail = await app.inject(`/api/enterprises/A?${q}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toEqual(
      JSON.parse(JSON.stringify(rates.enterprise('A', { from: T0, to: T0 + 10 * W }, NOW))),
    );
    const csv = await app.inject(`/api/rates?${q}&format=csv`);
    // province, 2 cities, the industries the engine lists, 2 enterprises, header, final CRLF
    const rows = csv.body.split('\r\n');
    expect(rows).toHaveLength(1 + 1 + 2 + rates.report({}, NOW).industries.length + 2 + 1);
    expect(rows[1]?.startsWith('province,hebei,河北省,')).toBe(true);
  });

  it("maps the engine's window errors and the ledger's edit errors to coded answers", async () => {
    const { app, ledger } = await setup();
    // Both ends inside one bucket: empty once rounded, which only the engine can tell.
    const empty = await app.inject(`/api/rates?from=${T0 + 1000}&to=${T0 + 2000}`);
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({
      error: { code: 'LW_BAD_QUERY', details: { ratesCode: 'bad_window' } },
    });

    const auth = { authorization: `Bearer ${ADMIN}` };
    const city = await app.inject({
      method: 'PUT',
      url: '/api/ledger/enterprises/C',
      headers: auth,
      payload: { name: '丙', city: 'atlantis', industry: 'pharma' },
    });
    expect(city.statusCode).toBe(400);
    expect(city.json()).toMatchObject({
      error: { code: 'LW_LEDGER_REJECTED', details: { ledgerCode: 'unknown_city' } },
    });

    const put = await app.inject({
      method: 'PUT',
      url: '/api/ledger/devices/B/b2',
      headers: auth,
      payload: { line: 'l1', kind: 'hydraulic-press', digital: true },
    });
    expect(put.statusCode).toBe(201);
    expect(ledger.device('B', 'b2')).toMatchObject({ kind: 'hydraulic-press', connectivity: 'none' });
    const listed = await app.inject('/api/ledger?enterprise=B');
    expect(listed.json<{ devices: { id: string }[] }>().devices.map((d) => d.id)).toEqual(['b1', 'b2']);
    expect(listed.json()).toEqual(
      JSON.parse(
        JSON.stringify({
          version: ledger.version,
          region: ledger.region(),
          enterprises: [ledger.enterprise('B')],
          devices: ledger.devices('B'),
        }),
      ),
    );
  });

  it('lists the devices seen but not registered', async () => {
    const { app } = await setup();
    const res = await app.inject('/api/unregistered');
    expect(res.json()).toMatchObject({ devices: [{ enterprise: 'A', node: 'gw-a', device: 'ghost' }] });
  });
});
