/**
 * The register image of one simulated device: its points laid out in the four Modbus tables,
 * encoded through the shared codec from the model's current values, and client writes decoded
 * back into model writes. A table's map is the span from its lowest to its highest mapped
 * address: unmapped registers inside read as 0 (like PLC memory, so block reads across small
 * gaps work); anything outside answers exception 02.
 */
import type { Point } from '../../config/index.ts';
import { decodePoint, encodePoint, type PointCodec } from '../../wire/modbus/codec.ts';
import { isBitTable, registerWidth, type Table, TABLES } from '../../wire/modbus/datatypes.ts';
import { EXCEPTION } from '../../wire/modbus/pdu.ts';
import type { SimDevice } from '../device.ts';

interface Placed {
  point: Point;
  codec: PointCodec;
  address: number;
  width: number;
  bit: number | undefined;
}

interface TableMap {
  start: number;
  end: number; // exclusive
  points: Placed[];
}

export class ModbusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ModbusError';
  }
}

const codecOf = (p: Point): PointCodec => ({
  type: p.type,
  order: p.modbus?.order ?? 'ABCD',
  scale: p.modbus?.scale ?? 1,
  offset: p.modbus?.offset ?? 0,
  ...(p.length === undefined ? {} : { length: p.length }),
});

export class RegisterImage {
  readonly #device: SimDevice;
  readonly #tables = new Map<Table, TableMap>();
  readonly #cache = new Map<Table, Uint16Array | boolean[]>();

  constructor(device: SimDevice) {
    this.#device = device;
    for (const table of TABLES) {
      const points: Placed[] = [];
      for (const point of device.device.points) {
        if (point.modbus?.table !== table) continue;
        const width = isBitTable(table) ? 1 : registerWidth(point.type, point.length ?? 0);
        points.push({
          point,
          codec: codecOf(point),
          address: point.modbus.address,
          width,
          bit: point.modbus.bit,
        });
      }
      if (!points.length) continue;
      const start = Math.min(...points.map((p) => p.address));
      const end = Math.max(...points.map((p) => p.address + p.width));
      this.#tables.set(table, { start, end, points });
    }
    device.on('tick', () => this.#cache.clear());
    device.on('fault', () => this.#cache.clear());
  }

  /** Bits (coil/discrete) or registers (input/holding) for a read request. */
  read(table: Table, address: number, quantity: number): boolean[] | Uint16Array {
    const map = this.#span(table, address, quantity);
    const image = this.#image(table, map);
    return image.slice(address - map.start, address - map.start + quantity);
  }

  /** Applies written bits (coils) to the model. */
  writeBits(address: number, values: boolean[]): void {
    const map = this.#span('coil', address, values.length);
    for (const p of map.points) {
      const i = p.address - address;
      if (i < 0 || i >= values.length) continue;
      this.#apply(p, values[i] ?? false);
    }
  }

  /**
   * Applies written holding registers. Registers are memory: writing part of a multi-register
   * point merges into its current words, and the whole point is decoded and applied.
   */
  writeRegisters(address: number, values: number[]): void {
    const map = this.#span('holding', address, values.length);
    const words = Uint16Array.from(this.#image('holding', map) as Uint16Array);
    words.set(values, address - map.start);
    for (const p of map.points) {
      if (p.address + p.width <= address || p.address >= address + values.length) continue;
      const at = p.address - map.start;
      const value = p.bit === undefined ? decodePoint(p.codec, words, at) : ((words[at] ?? 0) >> p.bit) & 1;
      this.#apply(p, p.point.type === 'bool' ? Boolean(value) : value);
    }
    this.#cache.delete('holding');
  }

  #apply(p: Placed, value: number | bigint | boolean | string): void {
    if (p.point.access !== 'readwrite') {
      throw new ModbusError(EXCEPTION.illegalDataAddress, `${p.point.name} is read-only`);
    }
    try {
      this.#device.write(p.point.name, value);
    } catch (err) {
      if (err instanceof RangeError) throw new ModbusError(EXCEPTION.illegalDataValue, err.message);
      throw err;
    }
  }

  #span(table: Table, address: number, quantity: number): TableMap {
    const map = this.#tables.get(table);
    if (!map || address < map.start || address + quantity > map.end) {
      throw new ModbusError(EXCEPTION.illegalDataAddress, `${table} ${address}+${quantity} outside the map`);
    }
    return map;
  }

  #image(table: Table, map: TableMap): Uint16Array | boolean[] {
    const cached = this.#cache.get(table);
    if (cached) return cached;
    const values = this.#device.values();
    let image: Uint16Array | boolean[];
    if (isBitTable(table)) {
      const bits = new Array<boolean>(map.end - map.start).fill(false);
      for (const p of map.points) bits[p.address - map.start] = Boolean(values[p.point.name]);
      image = bits;
    } else {
      const words = new Uint16Array(map.end - map.start);
      for (const p of map.points) {
        const v = values[p.point.name];
        if (v === undefined) continue;
        const at = p.address - map.start;
        if (p.bit !== undefined) {
          const mask = 1 << p.bit;
          words[at] = v ? (words[at] ?? 0) | mask : (words[at] ?? 0) & ~mask;
        } else words.set(encodePoint(p.codec, v), at);
      }
      image = words;
    }
    this.#cache.set(table, image);
    return image;
  }
}
