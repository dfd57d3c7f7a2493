/**
 * The chaos run's plant: `enterprises` enterprises of `devices` Modbus TCP devices each, every
 * device with its kind's points plus `extraPoints` float32 input registers (bench/plant.ts does
 * the same), so the load is set by devices × points ÷ poll interval. Each enterprise also has a
 * digital device that is never connected and a non-digital one, so the rates have real
 * denominators. Enterprise `skew` holds the devices of the clock-skewed Sparkplug edge node
 * (skew-edge.ts): in the ledger, not simulated.
 */
import { stringify } from 'yaml';

export interface ChaosPlantOptions {
  enterprises: number;
  devices: number;
  extraPoints: number;
  /** Device ids of the skewed edge node's devices (enterprise `skew`). */
  skewDevices: readonly string[];
}

const KINDS = [
  'cnc-machining-centre',
  'hydraulic-press',
  'injection-moulding-machine',
  'air-compressor',
  'conveyor',
];
const INDUSTRIES = ['steel', 'equipment', 'pharma'] as const;

export const SKEW_ENTERPRISE = 'skew';

/** Enterprise ids of the simulated plant: e1, e2, … */
export const enterpriseIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `e${i + 1}`);

export function chaosPlantYaml(o: ChaosPlantOptions): string {
  const extra = Array.from({ length: o.extraPoints }, (_, j) => ({
    name: `signal_${j}`,
    type: 'float32',
    range: [0, 1000],
    modbus: { table: 'input', address: 100 + 2 * j },
  }));
  let port = 0;
  const enterprises = enterpriseIds(o.enterprises).map((id, e) => ({
    id,
    name: `混沌企业${e + 1}`,
    city: `c${(e % 2) + 1}`,
    industry: INDUSTRIES[e % INDUSTRIES.length],
    leading: true,
    lines: [
      {
        id: 'l1',
        devices: [
          ...Array.from({ length: o.devices }, (_, i) => ({
            id: `${id}-d${String(i + 1).padStart(2, '0')}`,
            kind: KINDS[i % KINDS.length],
            // A placeholder port per device: `lianwang sim --ephemeral-ports` binds each on its own.
            connectivity: { type: 'modbus-tcp', host: '::1', port: ++port, unitId: 1 },
            ...(extra.length ? { points: extra } : {}),
          })),
          {
            id: `${id}-unconnected`,
            kind: 'cnc-machining-centre',
            connectivity: { type: 'none', reason: 'no-gateway' },
          },
          { id: `${id}-manual`, kind: 'manual-equipment', connectivity: { type: 'none' } },
        ],
      },
    ],
  }));
  const skew = {
    id: SKEW_ENTERPRISE,
    name: '时钟偏差企业',
    city: 'c1',
    industry: 'steel',
    leading: false,
    lines: [
      {
        id: 'l1',
        devices: o.skewDevices.map((id) => ({
          id,
          kind: 'power-meter',
          // Reported by a third-party Sparkplug edge node, not polled by a lianwang gateway.
          connectivity: { type: 'none', reason: 'no-interface' },
        })),
      },
    ],
  };
  return stringify({
    region: {
      id: 'chaos',
      name: '混沌测试区',
      cities: [
        { id: 'c1', name: '一市' },
        { id: 'c2', name: '二市' },
      ],
    },
    enterprises: [...enterprises, skew],
  });
}
