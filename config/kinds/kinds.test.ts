import { describe, expect, it } from 'vitest';
import { checkOverlaps, checkPoint } from '../load/points.ts';
import { KINDS } from './index.ts';

const REQUIRED = [
  'reheating-furnace',
  'rolling-mill-stand',
  'hydraulic-press',
  'cnc-machining-centre',
  'injection-moulding-machine',
  'air-compressor',
  'conveyor',
  'pharma-reactor',
  'tablet-press',
  'power-meter',
];

describe('device kinds', () => {
  it('cover the machines the simulators model', () => {
    for (const id of REQUIRED) expect(KINDS.has(id), id).toBe(true);
  });

  for (const kind of KINDS.values()) {
    it(`${kind.id}: a clean, non-overlapping default map with the shared header`, () => {
      const placed = kind.points.map((point, i) => ({ point, path: ['points', i], origin: 'device' }));
      expect(placed.flatMap((p) => checkPoint(p, true))).toEqual([]);
      expect(checkOverlaps(placed)).toEqual([]);
      expect(new Set(kind.points.map((p) => p.name)).size).toBe(kind.points.length);
      const at = (name: string) => kind.points.find((p) => p.name === name)?.modbus;
      expect(at('running')).toMatchObject({ table: 'discrete', address: 0 });
      expect(at('fault_reset')).toMatchObject({ table: 'coil', address: 1 });
      expect(at('state')).toMatchObject({ table: 'input', address: 0 });
      expect(kind.title.zh).not.toBe('');
    });
  }

  it('non-digital equipment is marked so', () => {
    expect(KINDS.get('manual-equipment')?.digital).toBe(false);
    expect(KINDS.get('cnc-machining-centre')?.digital).toBe(true);
  });
});
