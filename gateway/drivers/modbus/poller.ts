/**
 * Polls one device: one loop per poll interval, each reading its planned blocks through the
 * device's link, decoding with the shared codec, and reporting readings and device state.
 * Loops run at a fixed rate (start + k × interval, no drift), each device at its own phase within
 * the interval (phaseOf); a poll that overruns skips the slots it missed and counts them.
 */
import type { CollectDevice, CollectPoint } from '../../../config/index.ts';
import { decodePoint, type Value } from '../../../wire/modbus/codec.ts';
import { isBitTable } from '../../../wire/modbus/datatypes.ts';
import type { DeviceCounters, DeviceStatus, DriverContext, Reading } from '../types.ts';
import { type Block, type PlannedLoop, planLoops } from './plan.ts';
import { LinkError, type ModbusClient, type ModbusLink } from './link.ts';
import { writePoint } from './write.ts';

export class DevicePoller {
  readonly key: string;
  readonly counters: DeviceCounters & { overruns: number; intervalsMs: number[] };
  readonly #link: ModbusLink;
  readonly #unit: number;
  readonly #ctx: DriverContext;
  readonly #loops: readonly PlannedLoop[];
  readonly #points: readonly CollectPoint[];
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Per loop: how many of its blocks failed in its last poll, and the first reason. */
  readonly #results = new Map<number, { failed: number; total: number; reason: string | undefined }>();
  #status: DeviceStatus | undefined;
  #stopped = false;

  constructor(device: CollectDevice, link: ModbusLink, ctx: DriverContext) {
    this.#link = link;
    this.#ctx = ctx;
    this.key = `${device.device.enterprise}/${device.device.id}`;
    const c = device.connectivity;
    this.#unit = c.type === 'modbus-tcp' || c.type === 'modbus-rtu' ? c.unitId : 1;
    this.#loops = planLoops(device.points, ctx.maxGap);
    this.#points = device.points;
    this.counters = { polls: 0, errors: {}, lastDurationMs: 0, overruns: 0, intervalsMs: [] };
  }

  /** Requests per poll cycle, for metrics and tests. */
  get blocks(): readonly Block[] {
    return this.#loops.flatMap((l) => l.blocks);
  }

  start(): void {
    this.#setStatus({ state: 'connecting', since: Date.now() });
    this.#loops.forEach((loop, i) => {
      const start = performance.now() + phaseOf(this.key, loop.intervalMs);
      let k = 0;
      let lastStart = 0;
      const tick = async () => {
        if (this.#stopped) return;
        const t = performance.now();
        if (lastStart) this.#recordInterval(t - lastStart);
        lastStart = t;
        await this.#poll(i, loop.blocks);
        k++;
        const now = performance.now();
        let next = start + k * loop.intervalMs;
        if (next < now) {
          const missed = Math.ceil((now - next) / loop.intervalMs);
          this.counters.overruns += missed;
          k += missed;
          next = start + k * loop.intervalMs;
        }
        this.#schedule(() => void tick(), next - now);
      };
      this.#schedule(() => void tick(), start - performance.now());
    });
  }

  /** Writes one point through the device's link, in turn with its polls (write.ts). */
  write(point: string, value: Value): Promise<void> {
    return writePoint(this.#link, this.#unit, this.key, this.#points, point, value);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #schedule(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #recordInterval(ms: number): void {
    const list = this.counters.intervalsMs;
    list.push(ms);
    if (list.length > 120) list.shift();
  }

  async #poll(loop: number, blocks: Block[]): Promise<void> {
    const t0 = performance.now();
    this.counters.polls++;
    const readings: Reading[] = [];
    const failures: string[] = [];
    for (const block of blocks) {
      try {
        const data = await this.#link.request(this.#unit, (c) => read(c, block));
        const time = Date.now();
        for (const p of block.points) readings.push(this.#decode(p, data, time));
      } catch (err) {
        const e = err instanceof LinkError ? err : new LinkError('garbage', (err as Error).message);
        const kind = e.kind === 'exception' ? `exception-${String(e.modbusCode).padStart(2, '0')}` : e.kind;
        this.counters.errors[kind] = (this.counters.errors[kind] ?? 0) + 1;
        const reason = `${e.message} reading ${block.table} ${block.address}+${block.quantity}`;
        failures.push(reason);
        this.#ctx.log.debug({ device: this.key, unit: this.#unit, err: e.message, kind }, reason);
        const time = Date.now();
        for (const p of block.points)
          readings.push({ point: p.cp.point.name, value: null, good: false, time });
      }
    }
    this.counters.lastDurationMs = performance.now() - t0;
    if (this.#stopped) return;
    this.#results.set(loop, { failed: failures.length, total: blocks.length, reason: failures[0] });
    this.#ctx.sink.readings(this.key, readings);
    const results = [...this.#results.values()];
    const reason = results.find((r) => r.reason)?.reason;
    const since = Date.now();
    if (results.every((r) => r.failed === 0)) this.#setStatus({ state: 'online', since });
    else if (results.every((r) => r.failed === r.total))
      this.#setStatus({ state: 'offline', since, ...(reason ? { reason } : {}) });
    else this.#setStatus({ state: 'degraded', since, ...(reason ? { reason } : {}) });
  }

  #decode(p: Block['points'][number], data: readonly number[] | readonly boolean[], time: number): Reading {
    const name = p.cp.point.name;
    try {
      let value: Value;
      if (typeof data[0] === 'boolean') value = Boolean(data[p.offset]);
      else if (p.bit !== undefined) value = ((Number(data[p.offset]) >> p.bit) & 1) === 1;
      else value = decodePoint(p.codec, data as readonly number[], p.offset);
      if (typeof value === 'number' && (p.cp.scale !== 1 || p.cp.offset !== 0))
        value = value * p.cp.scale + p.cp.offset;
      return { point: name, value, good: true, time };
    } catch {
      return { point: name, value: null, good: false, time };
    }
  }

  #setStatus(s: DeviceStatus): void {
    if (this.#status && this.#status.state === s.state && this.#status.reason === s.reason) return;
    this.#status = s;
    this.#ctx.sink.status(this.key, s);
  }
}

async function read(c: ModbusClient, b: Block): Promise<readonly number[] | readonly boolean[]> {
  const r = await readRaw(c, b);
  // modbus-serial checks a response's length but not its byte count, and decodes as many
  // values as the count claims: a count that disagrees with the quantity asked would yield
  // missing registers, or coils read as false that the device never sent. Refuse the answer
  // (the link counts it as garbage).
  const bytes = isBitTable(b.table) ? Math.ceil(b.quantity / 8) : b.quantity * 2;
  if (r.buffer.length !== bytes)
    throw new Error(`byte count ${r.buffer.length} in the answer, expected ${bytes}`);
  return r.data;
}

function readRaw(c: ModbusClient, b: Block): Promise<{ data: number[] | boolean[]; buffer: Buffer }> {
  switch (b.table) {
    case 'coil':
      return c.readCoils(b.address, b.quantity);
    case 'discrete':
      return c.readDiscreteInputs(b.address, b.quantity);
    case 'holding':
      return c.readHoldingRegisters(b.address, b.quantity);
    case 'input':
      return c.readInputRegisters(b.address, b.quantity);
  }
}

/**
 * Where in its interval a device's loop polls: a fixed fraction, from a hash of the device key (FNV-1a,
 * mixed), of the interval (of at most 5 s, so a slow loop still reports soon after start). Spread this
 * way, 500 devices at 1 s do not all fire in the same millisecond: requests, answers and the gateway's
 * work (and the memory held by polls in flight) are spread evenly over the interval.
 */
export function phaseOf(key: string, intervalMs: number): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  // murmur3's finaliser: FNV alone leaves keys that differ in their last digits close together.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) / 2 ** 32) * Math.min(intervalMs, 5_000);
}
