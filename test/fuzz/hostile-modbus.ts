/**
 * A hostile Modbus TCP device: a `net` server on [::1] that reads the gateway's requests with
 * the shared MBAP decoder and answers each with the next scripted behaviour — a valid answer,
 * random bytes, a truncated or lying frame, a wrong transaction or unit id, an exception, a
 * slow drip, a disconnect — then valid answers once the script is used up. It records what it
 * served so a test can tell which values the gateway may legitimately report as good.
 */
import net from 'node:net';
import fc from 'fast-check';
import { encodeMbap, MbapDecoder } from '../../wire/modbus/frames.ts';
import {
  bitsResponse,
  exceptionResponse,
  parseRequest,
  type ReadRequest,
  registersResponse,
} from '../../wire/modbus/pdu.ts';

export type Behaviour =
  | { kind: 'valid'; seed: number }
  | { kind: 'drip'; seed: number; chunk: number }
  | { kind: 'duplicate'; seed: number }
  | { kind: 'extra'; seed: number; bytes: Uint8Array }
  | { kind: 'silent' }
  | { kind: 'late'; seed: number }
  | { kind: 'garbage'; bytes: Uint8Array }
  | { kind: 'flood'; byte: number; kib: number }
  | { kind: 'truncated'; seed: number; cut: number; close: boolean }
  | { kind: 'wrong-tid'; seed: number; delta: number }
  | { kind: 'wrong-unit'; seed: number; delta: number }
  | { kind: 'lying-length'; seed: number; length: number }
  | { kind: 'exception'; code: number }
  | { kind: 'wrong-fc'; seed: number; fc: number }
  | { kind: 'byte-count'; seed: number; count: number }
  | { kind: 'disconnect' };

/** Behaviours whose answer carries the device's data in a well-formed frame: a good reading may come from them. */
export const LEGITIMATE = new Set<Behaviour['kind']>(['valid', 'drip', 'duplicate', 'extra']);
/** Behaviours after which the request cannot succeed: each must be counted as an error. */
export const MUST_FAIL = new Set<Behaviour['kind']>([
  'silent',
  'late',
  'garbage',
  'flood',
  'truncated',
  'wrong-tid',
  'wrong-unit',
  'lying-length',
  'exception',
  'wrong-fc',
  'byte-count',
  'disconnect',
]);

const seed = fc.integer();
const bytes = (max: number) => fc.uint8Array({ minLength: 1, maxLength: max });

/** Any behaviour; `slow` ones (which cost the gateway a timeout) weigh less when `fast` is set. */
export function behaviour(opts: { fast?: boolean } = {}): fc.Arbitrary<Behaviour> {
  const slow = opts.fast ? 1 : 3;
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('valid' as const), seed }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('drip' as const),
        seed,
        chunk: fc.integer({ min: 1, max: 4 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), seed }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('extra' as const), seed, bytes: bytes(40) }) },
    { weight: slow, arbitrary: fc.record({ kind: fc.constant('silent' as const) }) },
    { weight: slow, arbitrary: fc.record({ kind: fc.constant('late' as const), seed }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('garbage' as const), bytes: bytes(300) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('flood' as const),
        byte: fc.integer({ min: 0, max: 255 }),
        kib: fc.integer({ min: 1, max: 256 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('truncated' as const),
        seed,
        cut: fc.nat(),
        close: fc.boolean(),
      }),
    },
    {
      weight: slow,
      arbitrary: fc.record({
        kind: fc.constant('wrong-tid' as const),
        seed,
        delta: fc.integer({ min: 1, max: 0xffff }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('wrong-unit' as const),
        seed,
        delta: fc.integer({ min: 1, max: 255 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('lying-length' as const),
        seed,
        length: fc.integer({ min: 0, max: 0xffff }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('exception' as const),
        code: fc.integer({ min: 0, max: 255 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('wrong-fc' as const),
        seed,
        fc: fc.integer({ min: 0, max: 255 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('byte-count' as const),
        seed,
        count: fc.integer({ min: 0, max: 255 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const) }) },
  );
}

/** What the device served for one request. */
export interface Served {
  kind: Behaviour['kind'];
  fc: number;
  address: number;
  /** The device's data for the request (words or bits), whatever became of it on the wire. */
  data: number[] | boolean[];
}

/** A deterministic word stream from a seed (mulberry32), so behaviours stay small and shrinkable. */
function words(s: number, n: number): number[] {
  let a = s >>> 0;
  return Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 0xffff;
  });
}

export class HostileDevice {
  readonly served: Served[] = [];
  /** Connections open now and the most ever open at once. */
  open = 0;
  maxOpen = 0;
  connections = 0;
  script: Behaviour[] = [];
  /** Requests other than reads (the gateway only reads): should stay empty. */
  readonly unexpected: string[] = [];
  /** Called after each request is answered (tests wait on it). */
  onServed: (() => void) | undefined;
  readonly #server = net.createServer((s) => this.#accept(s));
  readonly #sockets = new Set<net.Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly unit: number,
    readonly timeoutMs: number,
  ) {}

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '::1', resolve));
    return (this.#server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: net.Socket): void {
    this.connections++;
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined); // the client may reset while we write
    socket.on('close', () => {
      this.open--;
      this.#sockets.delete(socket);
    });
    const decoder = new MbapDecoder();
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const req = parseRequest(frame.pdu);
        if (req.kind !== 'read') {
          this.unexpected.push(JSON.stringify(req));
          continue;
        }
        const b = this.script.shift() ?? { kind: 'valid', seed: this.served.length };
        this.#answer(socket, frame.transaction ?? 0, frame.unit, req, b);
        this.onServed?.();
      }
    });
  }

  #later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #answer(s: net.Socket, tid: number, unit: number, req: ReadRequest, b: Behaviour): void {
    const { fc, address, quantity } = req;
    const bits = fc <= 2;
    const raw = words('seed' in b ? b.seed : 0, quantity);
    const data = bits ? raw.map((w) => (w & 1) === 1) : raw;
    this.served.push({ kind: b.kind, fc, address, data });
    const pdu = bits ? bitsResponse(fc as 1 | 2, data as boolean[]) : registersResponse(fc as 3 | 4, raw);
    const frame = encodeMbap(tid, unit, pdu);
    const write = (buf: Uint8Array) => void (s.writable && s.write(buf));
    switch (b.kind) {
      case 'valid':
        return write(frame);
      case 'duplicate':
        return write(Buffer.concat([frame, frame]));
      case 'extra':
        return write(Buffer.concat([frame, b.bytes]));
      case 'drip': {
        const pieces: Buffer[] = [];
        for (let i = 0; i < frame.length; i += b.chunk) pieces.push(frame.subarray(i, i + b.chunk));
        const next = () => {
          const p = pieces.shift();
          if (p === undefined || !s.writable) return;
          s.write(p);
          setImmediate(next);
        };
        return next();
      }
      case 'silent':
        return;
      case 'late':
        return this.#later(() => write(frame), this.timeoutMs * 1.5);
      case 'garbage':
        return write(b.bytes);
      case 'flood':
        return write(Buffer.alloc(b.kib * 1024, b.byte));
      case 'truncated':
        write(frame.subarray(0, b.cut % frame.length));
        if (b.close) s.destroy();
        return;
      case 'wrong-tid':
        return write(encodeMbap((tid + b.delta) & 0xffff, unit, pdu));
      case 'wrong-unit':
        return write(encodeMbap(tid, (unit + b.delta) & 0xff, pdu));
      case 'lying-length': {
        const lie = Buffer.from(frame);
        lie.writeUInt16BE(b.length === pdu.length + 1 ? b.length + 1 : b.length, 4);
        return write(lie);
      }
      case 'exception':
        return write(encodeMbap(tid, unit, exceptionResponse(fc, b.code)));
      case 'wrong-fc': {
        const other = Buffer.from(pdu);
        other[0] = b.fc === fc ? fc ^ 0x40 : b.fc;
        return write(encodeMbap(tid, unit, other));
      }
      case 'byte-count': {
        const lie = Buffer.from(pdu);
        const right = lie[1] ?? 0;
        lie[1] = b.count === right ? (right + 1) & 0xff : b.count;
        return write(encodeMbap(tid, unit, lie));
      }
      case 'disconnect':
        s.destroy();
        return;
    }
  }
}
