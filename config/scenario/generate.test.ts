import { describe, expect, it } from 'vitest';
import { KINDS } from '../kinds/index.ts';
import { Region } from '../model/plant.ts';
import { Scenario } from '../model/scenario.ts';
import { generateEnterprises } from './generate.ts';

const region = Region.parse({
  id: 'r',
  name: '测试',
  cities: [
    { id: 'a', name: '甲市' },
    { id: 'b', name: '乙新区' },
  ],
});
const scenario = (seed: number) =>
  Scenario.parse({
    seed,
    industries: [
      {
        industry: 'steel',
        enterprises: 20,
        cities: { a: 1, b: 3 },
        lines: [1, 3],
        devicesPerLine: [5, 10],
        kinds: { conveyor: 1, 'manual-equipment': 1 },
        digitalShare: 0.9,
        networkedShare: [0.2, 0.8],
        protocols: { 'modbus-tcp': 1, opcua: 1 },
      },
    ],
  });

describe('scenario generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateEnterprises(scenario(7), region, KINDS);
    expect(generateEnterprises(scenario(7), region, KINDS)).toEqual(a);
    expect(generateEnterprises(scenario(8), region, KINDS)).not.toEqual(a);
  });

  it('respects counts, spans and weights', () => {
    const ents = generateEnterprises(scenario(1), region, KINDS);
    expect(ents).toHaveLength(20);
    for (const e of ents) {
      expect(e.lines.length).toBeGreaterThanOrEqual(1);
      expect(e.lines.length).toBeLessThanOrEqual(3);
      for (const l of e.lines) expect(l.devices.length).toBeGreaterThanOrEqual(5);
      expect(e.name).toMatch(/^(甲|乙)\p{Script=Han}{2}钢铁有限公司（模拟）$/u);
    }
    const devices = ents.flatMap((e) => e.lines.flatMap((l) => l.devices));
    // manual equipment is never digital, never connected
    expect(devices.filter((d) => d.kind === 'manual-equipment' && d.digital)).toEqual([]);
    expect(devices.filter((d) => !d.digital && d.connectivity?.type !== 'none')).toEqual([]);
    const inB = ents.filter((e) => e.city === 'b').length;
    expect(inB).toBeGreaterThan(10);
  });
});
