import { describe, expect, it } from 'vitest';
import type { CollectPoint } from '../../../config/index.ts';
import { Point } from '../../../config/model/point.ts';
import { WriteRefused } from '../types.ts';
import type { ModbusLink } from './link.ts';
import { writePoint } from './write.ts';

/** A link that records what would go on the wire. */
function fakeLink() {
  const sent: [string, number, unknown][] = [];
  const client = {
    writeCoil: (a: number, v: boolean) => (sent.push(['FC5', a, v]), Promise.resolve()),
    writeRegister: (a: number, v: number) => (sent.push(['FC6', a, v]), Promise.resolve()),
    writeRegisters: (a: number, v: number[]) => (sent.push(['FC16', a, v]), Promise.resolve()),
  };
  const link = { request: (_unit: number, fn: (c: typeof client) => Promise<unknown>) => fn(client) };
  return { link: link as unknown as ModbusLink, sent };
}

const cp = (input: object, scale = 1, offset = 0): CollectPoint => ({
  point: Point.parse({ access: 'readwrite', ...input }),
  intervalMs: 1000,
  deadband: 0,
  scale,
  offset,
});

describe('writePoint', () => {
  it('undoes the gateway scaling, applies the device codec and picks FC 5, 6 or 16', async () => {
    const { link, sent } = fakeLink();
    const points = [
      cp({ name: 'sp', type: 'uint16', modbus: { table: 'holding', address: 3, scale: 0.1 } }, 2, 1),
      cp({ name: 'f', type: 'float32', modbus: { table: 'holding', address: 10, order: 'CDAB' } }),
      cp({ name: 'on', type: 'bool', modbus: { table: 'coil', address: 7 } }),
    ];
    await writePoint(link, 1, 'e/d', points, 'sp', 2 * 12.3 + 1); // device value 12.3 → raw 123
    await writePoint(link, 1, 'e/d', points, 'f', 1.5); // 0x3fc00000, words swapped
    await writePoint(link, 1, 'e/d', points, 'on', 1);
    expect(sent).toEqual([
      ['FC6', 3, 123],
      ['FC16', 10, [0x0000, 0x3fc0]],
      ['FC5', 7, true],
    ]);
  });

  it('refuses unknown and read-only points, bits of registers, and values that do not fit', async () => {
    const { link, sent } = fakeLink();
    const points = [
      cp({ name: 'ro', type: 'uint16', access: 'read', modbus: { table: 'holding', address: 0 } }),
      cp({ name: 'in', type: 'uint16', modbus: { table: 'input', address: 0 } }),
      cp({ name: 'bit', type: 'bool', modbus: { table: 'holding', address: 1, bit: 3 } }),
      cp({ name: 'i16', type: 'int16', modbus: { table: 'holding', address: 2 } }),
      cp({ name: 'on', type: 'bool', modbus: { table: 'coil', address: 0 } }),
    ];
    const refused = async (point: string, value: Parameters<typeof writePoint>[5]) =>
      writePoint(link, 1, 'e/d', points, point, value).then(
        () => 'written',
        (err: unknown) => (err instanceof WriteRefused ? err.message : `failed: ${String(err)}`),
      );
    expect(await refused('nope', 1)).toBe('e/d has no point nope');
    expect(await refused('ro', 1)).toBe('ro on e/d is read-only');
    expect(await refused('in', 1)).toBe('in on e/d is read-only');
    expect(await refused('bit', true)).toMatch(/one bit of a register/);
    expect(await refused('i16', 40_000)).toBe('i16 on e/d: 40000 does not fit a int16');
    expect(await refused('i16', Number.NaN)).toMatch(/does not fit/);
    expect(await refused('i16', -5)).toBe('written');
    expect(await refused('on', 2)).toMatch(/needs a boolean/);
    expect(sent).toEqual([['FC6', 2, 0xfffb]]);
  });
});
