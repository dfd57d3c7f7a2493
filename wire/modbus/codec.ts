/**
 * The register codec: engineering value ⇄ raw value ⇄ 16-bit words on the wire, for every
 * data type, byte/word order, scale and offset. Pure functions, shared by the simulators
 * (encode) and the gateway (decode), so both sides agree by construction.
 */
import { type DataType, type Order, registerWidth, swapsBytes, swapsWords } from './datatypes.ts';

/** An engineering value: number, bigint (unscaled 64-bit), boolean or string. */
export type Value = number | bigint | boolean | string;

/** What the codec needs of a point (structurally a config Point flattened). */
export interface PointCodec {
  type: DataType;
  order: Order;
  scale: number;
  offset: number;
  /** String size in bytes. */
  length?: number;
}

const INT_BOUNDS: Partial<Record<DataType, [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};
const BIG_BOUNDS: Partial<Record<DataType, [bigint, bigint]>> = {
  int64: [-(1n << 63n), (1n << 63n) - 1n],
  uint64: [0n, (1n << 64n) - 1n],
};

const isIdentity = (p: PointCodec) => p.scale === 1 && p.offset === 0;

/**
 * Engineering → raw: (value − offset) / scale, rounded for integer types and saturated to
 * the type's bounds, as a PLC's conversion would. NaN becomes 0 for integer types.
 */
export function toRaw(p: PointCodec, value: Value): Value {
  switch (p.type) {
    case 'bool':
      return Boolean(value);
    case 'string':
      return String(value);
    case 'float32':
    case 'float64':
      return (Number(value) - p.offset) / p.scale;
    case 'int64':
    case 'uint64': {
      const [lo, hi] = BIG_BOUNDS[p.type] as [bigint, bigint];
      let raw: bigint;
      if (typeof value === 'bigint' && isIdentity(p)) raw = value;
      else {
        const n = Math.round((Number(value) - p.offset) / p.scale);
        raw = Number.isFinite(n) ? BigInt(n) : 0n;
      }
      return raw < lo ? lo : raw > hi ? hi : raw;
    }
    default: {
      const [lo, hi] = INT_BOUNDS[p.type] as [number, number];
      const n = Math.round((Number(value) - p.offset) / p.scale);
      return Number.isNaN(n) ? 0 : Math.min(hi, Math.max(lo, n));
    }
  }
}

/** Raw → engineering: raw × scale + offset. Unscaled 64-bit values stay bigint. */
export function toEngineering(p: PointCodec, raw: Value): Value {
  if (typeof raw === 'boolean' || typeof raw === 'string') return raw;
  if (typeof raw === 'bigint') return isIdentity(p) ? raw : Number(raw) * p.scale + p.offset;
  return isIdentity(p) ? raw : raw * p.scale + p.offset;
}

/** Raw value → big-endian bytes (A first), before any reordering. */
function rawBytes(p: PointCodec, raw: Value): Uint8Array {
  const width = registerWidth(p.type, p.length ?? 0);
  const bytes = new Uint8Array(width * 2);
  const view = new DataView(bytes.buffer);
  switch (p.type) {
    case 'bool':
      view.setUint16(0, raw ? 1 : 0);
      break;
    case 'int16':
      view.setInt16(0, Number(raw));
      break;
    case 'uint16':
      view.setUint16(0, Number(raw));
      break;
    case 'int32':
      view.setInt32(0, Number(raw));
      break;
    case 'uint32':
      view.setUint32(0, Number(raw));
      break;
    case 'float32':
      view.setFloat32(0, Number(raw));
      break;
    case 'float64':
      view.setFloat64(0, Number(raw));
      break;
    case 'int64':
      view.setBigInt64(0, BigInt(raw));
      break;
    case 'uint64':
      view.setBigUint64(0, BigInt(raw));
      break;
    case 'string':
      bytes.set(truncateUtf8(String(raw), bytes.length));
      break;
  }
  return bytes;
}

function truncateUtf8(s: string, max: number): Uint8Array {
  const encoded = new TextEncoder().encode(s);
  if (encoded.length <= max) return encoded;
  let end = max;
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end--; // don't split a character
  return encoded.subarray(0, end);
}

/**
 * Reorders between big-endian byte order and the wire order. Both swaps are involutions, so
 * the same function converts in either direction. Strings only ever swap bytes.
 */
function reorder(bytes: Uint8Array, p: PointCodec): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const words = bytes.length / 2;
  const wordSwap = swapsWords(p.order) && p.type !== 'string';
  const byteSwap = swapsBytes(p.order);
  for (let w = 0; w < words; w++) {
    const from = wordSwap ? words - 1 - w : w;
    const hi = bytes[from * 2] ?? 0;
    const lo = bytes[from * 2 + 1] ?? 0;
    out[w * 2] = byteSwap ? lo : hi;
    out[w * 2 + 1] = byteSwap ? hi : lo;
  }
  return out;
}

/** Engineering value → the point's registers in wire order. */
export function encodePoint(p: PointCodec, value: Value): number[] {
  const bytes = reorder(rawBytes(p, toRaw(p, value)), p);
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  return words;
}

/** Scratch bytes for decodePoint's numeric types (at most 4 registers), reused by every call. */
const scratch = new Uint8Array(8);
const scratchView = new DataView(scratch.buffer);

/**
 * The point's registers (starting at `at` in `words`) → engineering value. Throws
 * RangeError when fewer registers are given than the type needs.
 *
 * Numeric types are reordered into one module-level scratch buffer and read through one DataView:
 * this runs once per point per poll, and a fresh Uint8Array + DataView per call (whose `.buffer`
 * makes V8 allocate an off-heap backing store with malloc) cost ~300 ns a point, ~10× the work.
 */
export function decodePoint(p: PointCodec, words: ArrayLike<number>, at = 0): Value {
  const width = registerWidth(p.type, p.length ?? 0);
  if (at < 0 || at + width > words.length) {
    throw new RangeError(`${p.type} needs ${width} register(s) at ${at}, have ${words.length - at}`);
  }
  if (p.type === 'string') return toEngineering(p, decodeString(p, words, at, width));
  const wordSwap = swapsWords(p.order);
  const byteSwap = swapsBytes(p.order);
  // The same mapping as reorder(): output word w comes from wire word (wordSwap ? width−1−w : w).
  for (let w = 0; w < width; w++) {
    const word = words[at + (wordSwap ? width - 1 - w : w)] ?? 0;
    const hi = (word >> 8) & 0xff;
    const lo = word & 0xff;
    scratch[w * 2] = byteSwap ? lo : hi;
    scratch[w * 2 + 1] = byteSwap ? hi : lo;
  }
  const view = scratchView;
  let raw: Value;
  switch (p.type) {
    case 'bool':
      raw = view.getUint16(0) !== 0;
      break;
    case 'int16':
      raw = view.getInt16(0);
      break;
    case 'uint16':
      raw = view.getUint16(0);
      break;
    case 'int32':
      raw = view.getInt32(0);
      break;
    case 'uint32':
      raw = view.getUint32(0);
      break;
    case 'float32':
      raw = view.getFloat32(0);
      break;
    case 'float64':
      raw = view.getFloat64(0);
      break;
    case 'int64':
      raw = view.getBigInt64(0);
      break;
    case 'uint64':
      raw = view.getBigUint64(0);
      break;
  }
  return toEngineering(p, raw);
}

function decodeString(p: PointCodec, words: ArrayLike<number>, at: number, width: number): string {
  const wire = new Uint8Array(width * 2);
  for (let i = 0; i < width; i++) {
    const w = words[at + i] ?? 0;
    wire[i * 2] = (w >> 8) & 0xff;
    wire[i * 2 + 1] = w & 0xff;
  }
  const bytes = reorder(wire, p);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end));
}
