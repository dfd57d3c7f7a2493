/**
 * Modbus RTU slave(s) on one serial line: the devices configured on the same serial path,
 * each at its own unit id, answer one request at a time as a real multidrop line does.
 * A device that is offline, hung or restarting is silent (the master times out).
 */
import { SerialPort } from 'serialport';
import { encodeRtu, RtuRequestDecoder } from '../../wire/modbus/frames.ts';
import type { SimDevice } from '../device.ts';
import { disposition, garbageRtu } from './faults.ts';
import { answer } from './handler.ts';
import { RegisterImage } from './image.ts';

export interface RtuLineOptions {
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
  units: ReadonlyMap<number, SimDevice>;
}

export class ModbusRtuLine {
  readonly #opts: RtuLineOptions;
  readonly #units = new Map<number, { device: SimDevice; image: RegisterImage }>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #port: SerialPort | undefined;
  readonly stats = { requests: 0, droppedBytes: 0 };

  constructor(opts: RtuLineOptions) {
    this.#opts = opts;
  }

  get path(): string {
    return this.#opts.path;
  }

  async start(): Promise<void> {
    for (const [unit, device] of this.#opts.units)
      this.#units.set(unit, { device, image: new RegisterImage(device) });
    const { path, baudRate, parity, dataBits, stopBits } = this.#opts;
    const port = new SerialPort({ path, baudRate, parity, dataBits, stopBits, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      port.open((err) =>
        err
          ? reject(new Error(`cannot open serial line ${path}: ${err.message}`, { cause: err }))
          : resolve(),
      ),
    );
    this.#port = port;
    const decoder = new RtuRequestDecoder();
    port.on('data', (chunk: Buffer) => {
      const frames = decoder.push(chunk);
      this.stats.droppedBytes = decoder.dropped;
      for (const f of frames) this.#serve(port, f.unit, f.pdu);
    });
    port.on('error', () => undefined);
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const port = this.#port;
    this.#port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  #serve(port: SerialPort, unit: number, pdu: Buffer): void {
    this.stats.requests++;
    const target = this.#units.get(unit);
    if (!target) return; // not addressed to a slave on this line (unit 0 broadcast is not answered)
    const d = disposition(target.device, 'rtu');
    switch (d.kind) {
      case 'drop':
        return;
      case 'garbage':
        port.write(garbageRtu());
        return;
      case 'exception':
        port.write(encodeRtu(unit, Buffer.from([(pdu[0] ?? 0) | 0x80, d.code])));
        return;
      case 'answer': {
        target.device.served++;
        const reply = () => {
          if (port.isOpen) port.write(encodeRtu(unit, answer(target.image, pdu)));
        };
        if (d.delayMs <= 0) return reply();
        const t = setTimeout(() => {
          this.#timers.delete(t);
          reply();
        }, d.delayMs);
        this.#timers.add(t);
      }
    }
  }
}
