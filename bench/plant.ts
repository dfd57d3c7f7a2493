/** Generates benchmark plants: many Modbus TCP devices and OPC UA machines with many variables. */
import { stringify } from 'yaml';

export interface BenchPlantOptions {
  modbusDevices: number;
  opcuaMachines: number;
  /** Extra float points per OPC UA machine, on top of the kind's map. */
  opcuaExtraPoints: number;
  /** Extra float32 input registers per Modbus device, from address 100 (default 0). */
  modbusExtraPoints?: number;
  modbusBasePort: number;
  opcuaPort: number;
}

export function benchPlantYaml(o: BenchPlantOptions): string {
  const kinds = [
    'cnc-machining-centre',
    'hydraulic-press',
    'injection-moulding-machine',
    'air-compressor',
    'conveyor',
  ];
  const modbusExtra = Array.from({ length: o.modbusExtraPoints ?? 0 }, (_, j) => ({
    name: `signal_${j}`,
    type: 'float32',
    range: [0, 1000],
    modbus: { table: 'input', address: 100 + 2 * j },
  }));
  const modbus = Array.from({ length: o.modbusDevices }, (_, i) => ({
    id: `mb-${i}`,
    kind: kinds[i % kinds.length],
    connectivity: { type: 'modbus-tcp', host: '::1', port: o.modbusBasePort + i, unitId: 1 },
    ...(modbusExtra.length ? { points: modbusExtra } : {}),
  }));
  const extra = Array.from({ length: o.opcuaExtraPoints }, (_, j) => ({
    name: `zone_${j}`,
    unit: '°C',
    type: 'float32',
    range: [0, 1200],
  }));
  const opcua = Array.from({ length: o.opcuaMachines }, (_, i) => ({
    id: `ua-${i}`,
    kind: 'reheating-furnace',
    connectivity: { type: 'opcua', endpoint: `opc.tcp://[::1]:${o.opcuaPort}` },
    points: extra,
  }));
  return stringify({
    region: { id: 'bench', name: '基准', cities: [{ id: 'c', name: '基准市' }] },
    enterprises: [
      {
        id: 'bench',
        name: '基准企业',
        city: 'c',
        industry: 'equipment',
        lines: [
          { id: 'modbus', devices: modbus },
          { id: 'opcua', devices: opcua },
        ],
      },
    ],
  });
}
