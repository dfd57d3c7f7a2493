import { describe, expect, it } from 'vitest';
import { Point as PointSchema, type PointInput } from '../model/point.ts';
import { checkOverlaps, checkPoint, type PlacedPoint } from './points.ts';

const place = (input: PointInput, i = 0, origin = 'device'): PlacedPoint => ({
  point: PointSchema.parse(input),
  path: ['points', i],
  origin,
});
const messages = (points: PointInput[]) =>
  checkOverlaps(points.map((p, i) => place(p, i))).map((i) => i.message);

describe('Modbus addressing rules', () => {
  it('bit tables hold bools only, and bit is for register tables', () => {
    const issues = checkPoint(
      place({ name: 'x', type: 'uint16', modbus: { table: 'coil', address: 0, bit: 2 } }),
      true,
    );
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['points.0.type', 'a coil holds one bit: type must be bool, got uint16'],
      ['points.0.modbus.bit', 'bit applies to register tables, not coil'],
    ]);
  });

  it('writable points must be in coil or holding; strings need a length; ranges end by 65535', () => {
    expect(
      checkPoint(
        place({ name: 'a', type: 'float32', access: 'readwrite', modbus: { table: 'input', address: 0 } }),
        true,
      ).map((i) => i.message),
    ).toEqual(['input is read-only in Modbus; writable points live in coil or holding']);
    expect(
      checkPoint(place({ name: 's', type: 'string', modbus: { table: 'holding', address: 0 } }), true)[0]
        ?.message,
    ).toBe('required for type string (size in bytes)');
    expect(
      checkPoint(place({ name: 'f', type: 'float64', modbus: { table: 'holding', address: 65533 } }), true)[0]
        ?.message,
    ).toBe('float64 at 65533 runs past 65535 (ends at 65536)');
  });

  it('a Modbus device needs an address on every point; other devices do not', () => {
    expect(checkPoint(place({ name: 'p', type: 'int16' }), true)[0]?.message).toBe(
      'point "p" needs a Modbus address on a Modbus device',
    );
    expect(checkPoint(place({ name: 'p', type: 'int16' }), false)).toEqual([]);
  });
});

describe('overlap detection', () => {
  it('finds registers shared by multi-register values, per table', () => {
    expect(
      messages([
        { name: 'a', type: 'float32', modbus: { table: 'holding', address: 10 } },
        { name: 'b', type: 'int16', modbus: { table: 'holding', address: 11 } },
        { name: 'c', type: 'int16', modbus: { table: 'input', address: 11 } },
        { name: 'd', type: 'float64', modbus: { table: 'holding', address: 12 } },
      ]),
    ).toEqual(['holding 11 of "b" overlaps "a" (holding 10–11)']);
  });

  it('lets bools share a register on different bits, not on the same bit or with a whole register', () => {
    expect(
      messages([
        { name: 'b0', type: 'bool', modbus: { table: 'holding', address: 5, bit: 0 } },
        { name: 'b1', type: 'bool', modbus: { table: 'holding', address: 5, bit: 1 } },
      ]),
    ).toEqual([]);
    expect(
      messages([
        { name: 'b0', type: 'bool', modbus: { table: 'holding', address: 5, bit: 0 } },
        { name: 'again', type: 'bool', modbus: { table: 'holding', address: 5, bit: 0 } },
        { name: 'word', type: 'uint16', modbus: { table: 'holding', address: 5 } },
      ]),
    ).toEqual([
      'holding 5.0 of "again" overlaps "b0" (holding 5.0)',
      'holding 5 of "word" overlaps "b0" (holding 5.0)',
      'holding 5 of "word" overlaps "again" (holding 5.0)',
    ]);
  });

  it('blames the device point, not the kind default it collides with', () => {
    const issues = checkOverlaps([
      place({ name: 'kind_pt', type: 'uint32', modbus: { table: 'input', address: 0 } }, 0, 'some-kind'),
      place({ name: 'mine', type: 'uint16', modbus: { table: 'input', address: 1 } }, 3),
    ]);
    expect(issues).toEqual([
      {
        path: ['points', 3, 'modbus', 'address'],
        message: 'input 1 of "mine" overlaps "kind_pt" (input 0–1, from kind some-kind)',
      },
    ]);
  });
});
