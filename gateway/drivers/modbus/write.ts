/**
 * Writing one point of a Modbus device (a setpoint or a command coil): the gateway's scaling undone,
 * encoded with the shared codec (the device's own scaling, type, byte and word order), then FC 5 for a
 * coil, FC 6 for one register, FC 16 for several — through the device's link, in turn with its polls.
 */
import type { CollectPoint } from '../../../config/index.ts';
import { decodePoint, encodePoint, type Value } from '../../../wire/modbus/codec.ts';
import { isWritableTable } from '../../../wire/modbus/datatypes.ts';
import { WriteRefused } from '../types.ts';
import type { ModbusLink } from './link.ts';
import { codecOf } from './plan.ts';

export async function writePoint(
  link: ModbusLink,
  unit: number,
  device: string,
  points: readonly CollectPoint[],
  name: string,
  value: Value,
): Promise<void> {
  const cp = points.find((p) => p.point.name === name);
  if (!cp) throw new WriteRefused(`${device} has no point ${name}`);
  const m = cp.point.modbus;
  if (cp.point.access !== 'readwrite' || !m || !isWritableTable(m.table))
    throw new WriteRefused(`${name} on ${device} is read-only`);
  if (m.table === 'holding' && m.bit !== undefined)
    throw new WriteRefused(`${name} on ${device} is one bit of a register: not writable on its own`);
  if (m.table === 'coil') {
    const on =
      typeof value === 'boolean'
        ? value
        : value === 1 || value === 1n
          ? true
          : value === 0 || value === 0n
            ? false
            : undefined;
    if (on === undefined)
      throw new WriteRefused(`${name} on ${device} is a coil: needs a boolean, got ${String(value)}`);
    await link.request(unit, (c) => c.writeCoil(m.address, on));
    return;
  }
  const codec = codecOf(cp);
  const target = unscale(cp, value);
  let words: number[];
  try {
    words = encodePoint(codec, target);
  } catch (err) {
    throw new WriteRefused(`${name} on ${device}: ${(err as Error).message}`);
  }
  // The codec saturates what does not fit (and turns NaN into 0): read it back and refuse instead.
  if (!fits(target, decodePoint(codec, words), codec.scale))
    throw new WriteRefused(`${name} on ${device}: ${String(value)} does not fit a ${cp.point.type}`);
  await link.request(unit, async (c) => {
    if (words.length === 1) await c.writeRegister(m.address, words[0] ?? 0);
    else await c.writeRegisters(m.address, words);
  });
}

function fits(wanted: Value, stored: Value, scale: number): boolean {
  if (typeof wanted === 'number' && typeof stored === 'number') {
    if (!Number.isFinite(wanted)) return Object.is(wanted, stored);
    // Integers step by the scale, float32 rounds: within half a step or float32's precision.
    return Math.abs(stored - wanted) <= Math.abs(scale) / 2 + Math.abs(wanted) * 1e-6;
  }
  if (typeof wanted === 'bigint' || typeof stored === 'bigint') {
    try {
      return BigInt(wanted) === BigInt(stored);
    } catch {
      return false; // not an integer
    }
  }
  if (typeof wanted === typeof stored) return wanted === stored;
  return Number(wanted) === Number(stored);
}

/** The gateway reports value × scale + offset (CollectPoint); the device wants it without. */
function unscale(cp: CollectPoint, value: Value): Value {
  if (cp.scale === 1 && cp.offset === 0) return value;
  if (typeof value !== 'number' && typeof value !== 'bigint') return value;
  return (Number(value) - cp.offset) / cp.scale;
}
