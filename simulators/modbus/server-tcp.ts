/**
 * Modbus TCP server for simulated devices: one listening port serves one device, or several
 * behind different unit ids like a serial-to-Ethernet gateway.
 *
 * Why not modbus-serial's ServerTCP: it schedules every reply with setTimeout(…, 0), which
 * caps one connection at ~700 requests/s while the CPU idles (measured here, DOMAIN.md §3),
 * and it offers no way to hang, garble or refuse per unit. This is a thin framing layer on
 * `net` over the shared PDU and register codecs in wire/modbus/, answering synchronously.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { encodeMbap, FramingError, MbapDecoder } from '../../wire/modbus/frames.ts';
import type { SimDevice } from '../device.ts';
import { disposition, garbageTcp } from './faults.ts';
import { answer } from './handler.ts';
import { RegisterImage } from './image.ts';

export interface ModbusTcpPortOptions {
  /** Bind address; default '::' (dual stack). */
  host?: string;
  /** 0 = ephemeral. */
  port: number;
  units: ReadonlyMap<number, SimDevice>;
}

export interface PortStats {
  connections: number;
  requests: number;
  framingErrors: number;
}

export class ModbusTcpPort {
  readonly #opts: ModbusTcpPortOptions;
  readonly #units = new Map<number, { device: SimDevice; image: RegisterImage }>();
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #server: Server | undefined;
  #port = 0;
  #stopped = true;
  #onFault = () => void this.#reconcile();
  readonly stats: PortStats = { connections: 0, requests: 0, framingErrors: 0 };

  constructor(opts: ModbusTcpPortOptions) {
    this.#opts = opts;
  }

  get port(): number {
    return this.#port;
  }

  get listening(): boolean {
    return this.#server !== undefined;
  }

  async start(): Promise<void> {
    for (const [unit, device] of this.#opts.units) {
      this.#units.set(unit, { device, image: new RegisterImage(device) });
      device.on('fault', this.#onFault);
    }
    this.#stopped = false;
    this.#port = this.#opts.port;
    if (!this.#allOffline()) await this.#listen();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const { device } of this.#units.values()) device.off('fault', this.#onFault);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.#close();
  }

  /** Drops every connection and stops listening for `downMs`, then serves again on the same port. */
  async restart(downMs: number): Promise<void> {
    await this.#close();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, downMs);
      this.#timers.add(t);
    });
    if (!this.#stopped && !this.#allOffline()) await this.#listen();
  }

  #allOffline(): boolean {
    return [...this.#units.values()].every(({ device }) => device.faults.has('offline'));
  }

  /** A port whose every device is offline refuses connections; it listens again when one returns. */
  async #reconcile(): Promise<void> {
    if (this.#stopped) return;
    if (this.#allOffline()) await this.#close();
    else if (!this.#server) await this.#listen();
  }

  #listen(): Promise<void> {
    const server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.#opts.host ?? '::', port: this.#port }, () => {
        server.off('error', reject);
        const addr = server.address();
        if (addr && typeof addr === 'object') this.#port = addr.port;
        resolve();
      });
    });
  }

  #close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    this.stats.connections++;
    this.#sockets.add(socket);
    const decoder = new MbapDecoder();
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        if (!(err instanceof FramingError)) throw err;
        this.stats.framingErrors++;
        socket.destroy();
        return;
      }
      for (const f of frames) this.#serve(socket, f.transaction ?? 0, f.unit, f.pdu);
    });
  }

  #serve(socket: Socket, transaction: number, unit: number, pdu: Buffer): void {
    this.stats.requests++;
    const target = this.#units.get(unit);
    if (!target) {
      // No such unit behind this "gateway": 0x0B, gateway target device failed to respond.
      socket.write(encodeMbap(transaction, unit, Buffer.from([(pdu[0] ?? 0) | 0x80, 0x0b])));
      return;
    }
    const d = disposition(target.device, this.#units.size > 1 ? 'tcp-shared' : 'tcp');
    switch (d.kind) {
      case 'drop':
        return;
      case 'garbage':
        socket.write(garbageTcp(transaction, unit, pdu[0] ?? 0));
        return;
      case 'exception':
        socket.write(encodeMbap(transaction, unit, Buffer.from([(pdu[0] ?? 0) | 0x80, d.code])));
        return;
      case 'answer': {
        target.device.served++;
        const reply = () => {
          if (!socket.destroyed) socket.write(encodeMbap(transaction, unit, answer(target.image, pdu)));
        };
        if (d.delayMs <= 0) {
          reply();
          return;
        }
        const t = setTimeout(() => {
          this.#timers.delete(t);
          reply();
        }, d.delayMs);
        this.#timers.add(t);
      }
    }
  }
}
