import { describe, expect, it } from 'vitest';
import { formatError, ledgerDevices, loadPlantFile, loadPlantText, opcuaNodeId } from '../index.ts';

const REGION = `region:
  id: r
  name: 测试省
  cities: [{ id: c1, name: 一市 }]
`;

function errorsOf(yaml: string): string[] {
  const r = loadPlantText(yaml, 'x.yaml');
  if (r.ok) throw new Error('expected errors, the file loaded');
  return r.errors.map(formatError);
}

const oneDevice = (device: string) => `${REGION}enterprises:
  - id: e1
    name: 测试企业
    city: c1
    industry: steel
    lines:
      - id: l1
        devices:
${device
  .split('\n')
  .map((l) => `          ${l}`)
  .join('\n')}
`;

describe('loading the example plants', () => {
  it('demo.yaml: three enterprises, 40 ledger devices, rates that differ', async () => {
    const r = await loadPlantFile('config/plants/demo.yaml');
    if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
    const plant = r.value;
    expect(plant.enterprises.map((e) => [e.id, e.city, e.industry, e.leading])).toEqual([
      ['ts-steel', 'tangshan', 'steel', true],
      ['bd-equipment', 'baoding', 'equipment', true],
      ['sjz-pharma', 'shijiazhuang', 'pharma', true],
    ]);
    expect([...ledgerDevices(plant)]).toHaveLength(40);
    const share = plant.enterprises.map((e) => {
      const digital = e.lines.flatMap((l) => l.devices).filter((d) => d.digital);
      const connected = digital.filter((d) => d.connectivity.type !== 'none');
      return Math.round((100 * connected.length) / digital.length);
    });
    expect(share).toEqual([79, 60, 30]);
    const protocols = new Set([...ledgerDevices(plant)].map((d) => d.connectivity.type));
    expect(protocols).toEqual(new Set(['modbus-tcp', 'opcua', 'none']));
  });

  it('demo.yaml: Chinese names survive, kind defaults merge with device points', async () => {
    const r = await loadPlantFile('config/plants/demo.yaml');
    if (!r.ok) throw new Error('demo.yaml failed');
    expect(r.value.enterprises[0]?.name).toBe('唐山联网示范钢铁有限公司');
    const meter = [...ledgerDevices(r.value)].find((d) => d.id === 'mill-meter');
    expect(meter?.points.map((p) => p.name)).toContain('meter_temp');
    expect(meter?.points.map((p) => p.name)).toContain('energy_import');
    const voltage = meter?.points.find((p) => p.name === 'voltage_a');
    expect(voltage?.modbus).toMatchObject({ table: 'input', order: 'CDAB', scale: 1 });
    if (!meter || !voltage) throw new Error('meter missing');
    expect(opcuaNodeId(meter, voltage)).toBe('ns=1;s=ts-steel/hot-strip/mill-meter/voltage_a');
  });

  it('hebei.yaml: 14 cities, hundreds of enterprises, tens of thousands of devices', async () => {
    const r = await loadPlantFile('config/plants/hebei.yaml');
    if (!r.ok) throw new Error(r.errors.slice(0, 5).map(formatError).join('\n'));
    const plant = r.value;
    expect(plant.region.cities).toHaveLength(14);
    expect(plant.enterprises.length).toBeGreaterThanOrEqual(300);
    const devices = [...ledgerDevices(plant)];
    expect(devices.length).toBeGreaterThanOrEqual(20_000);
    expect(new Set(plant.enterprises.map((e) => e.city)).size).toBe(14);
    expect(new Set(plant.enterprises.map((e) => e.industry)).size).toBe(6);
    expect(plant.enterprises.every((e) => e.name.endsWith('有限公司（模拟）'))).toBe(true);
  });
});

describe('error reporting', () => {
  it('reports every error of a broken file at once, located', async () => {
    const r = await loadPlantFile('test/fixtures/config/broken.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const f = 'test/fixtures/config/broken.yaml';
    const d = 'enterprises[0].lines[0].devices';
    expect(r.errors.map(formatError)).toEqual([
      `${f}:12:14 enterprises[0].leading: expected boolean, got "yes"`,
      `${f}:18:66 ${d}[0].connectivity.port: expected an integer 1–65535, got 70000`,
      `${f}:19:17 ${d}[1].id: duplicate device id "furnace-1" in enterprise ts-steel (first at ts-steel/l1/furnace-1)`,
      `${f}:26:80 ${d}[2].points[0].modbus.address: input 5–6 of "extra" overlaps "voltage_b" (input 4–5, from kind power-meter)`,
      `${f}:26:80 ${d}[2].points[0].modbus.address: input 5–6 of "extra" overlaps "voltage_c" (input 6–7, from kind power-meter)`,
      `${f}:28:19 ${d}[3].kind: unknown kind "hydralic-press" (did you mean "hydraulic-press"?)`,
      `${f}:29:13 ${d}[3].colour: unknown field "colour"`,
      `${f}:30:9 enterprises[1].id: duplicate enterprise id "ts-steel" (first at index 0)`,
      `${f}:32:11 enterprises[1].city: unknown city "cangzhou"; known: tangshan`,
    ]);
  });

  it('locates YAML syntax errors and duplicate keys', () => {
    expect(errorsOf(`${REGION}enterprises: [\n`)[0]).toMatch(/^x\.yaml:\d+:\d+ \(root\): YAML: /);
    const dup = errorsOf(`${REGION}region: {}\n`);
    expect(dup).toHaveLength(1);
    expect(dup[0]).toMatch(/^x\.yaml:5:1 \(root\): YAML: Map keys must be unique/);
  });

  it('requires exactly one of enterprises or scenario', () => {
    expect(errorsOf(REGION)).toEqual([
      'x.yaml:1:1 (root): expected exactly one of "enterprises" (a written ledger) or "scenario" (a generated one)',
    ]);
  });

  it('names the missing field, the bad enum value and suggests field names', () => {
    const errs = errorsOf(
      oneDevice(`- { id: d1, kind: conveyor, connectivity: { type: modbus-tcp, prot: 502 } }
- { id: d2, kind: conveyor, connectivity: { type: profinet } }`),
    );
    expect(errs).toEqual([
      'x.yaml:13:53 enterprises[0].lines[0].devices[0].connectivity.host: required (string)',
      'x.yaml:13:73 enterprises[0].lines[0].devices[0].connectivity.prot: unknown field "prot" (did you mean "port"?)',
      'x.yaml:14:61 enterprises[0].lines[0].devices[1].connectivity.type: expected one of "modbus-tcp", "modbus-rtu", "opcua", "none", got "profinet"',
    ]);
  });

  it('accepts IPv6 literals with or without brackets and rejects garbage hosts', () => {
    const ok = loadPlantText(
      oneDevice(`- { id: d1, kind: conveyor, connectivity: { type: modbus-tcp, host: "[fd6c:7761:6e67::10]" } }
- { id: d2, kind: conveyor, connectivity: { type: modbus-tcp, host: "fd6c:7761:6e67::11", port: 1502 } }
- { id: d3, kind: conveyor, connectivity: { type: opcua, endpoint: "opc.tcp://[::1]:4840/UA" } }`),
      'x.yaml',
    );
    if (!ok.ok) throw new Error(ok.errors.map(formatError).join('\n'));
    const hosts = [...ledgerDevices(ok.value)].map((d) =>
      d.connectivity.type === 'modbus-tcp' ? d.connectivity.host : '',
    );
    expect(hosts).toEqual(['fd6c:7761:6e67::10', 'fd6c:7761:6e67::11', '']);
    expect(
      errorsOf(oneDevice('- { id: d1, kind: conveyor, connectivity: { type: modbus-tcp, host: "a b" } }')),
    ).toEqual([
      'x.yaml:13:79 enterprises[0].lines[0].devices[0].connectivity.host: expected a host name or IPv4/IPv6 literal, got "a b"',
    ]);
  });

  it('rejects two devices on the same Modbus endpoint and unit id within an enterprise', () => {
    const errs = errorsOf(
      oneDevice(`- { id: d1, kind: conveyor, connectivity: { type: modbus-tcp, host: "::1", port: 1502, unitId: 3 } }
- { id: d2, kind: conveyor, connectivity: { type: modbus-tcp, host: "[::1]", port: 1502, unitId: 3 } }`),
    );
    expect(errs).toEqual([
      'x.yaml:14:53 enterprises[0].lines[0].devices[1].connectivity: same Modbus endpoint and unit id as e1/l1/d1',
    ]);
  });

  it('never throws on arbitrary text: always located errors or a plant', () => {
    for (const text of ['', '---\n', '[]', '42', 'region: 1', ':\n  - ]', '\u0000\u0001', 'a: &x [*x]']) {
      const r = loadPlantText(text, 'x.yaml');
      expect(r.ok).toBe(false);
      if (!r.ok) for (const e of r.errors) expect(e.line).toBeGreaterThanOrEqual(1);
    }
  });
});
