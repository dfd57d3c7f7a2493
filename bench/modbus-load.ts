/**
 * A closed-loop Modbus TCP load generator: `connections` sockets, each with one request in
 * flight, reading `quantity` input registers, for `durationMs`. Raw MBAP over `net` so the
 * client costs as little CPU as possible.
 */
import { connect, type Socket } from 'node:net';
import { encodeMbap, MbapDecoder } from '../wire/modbus/frames.ts';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
}

export async function modbusLoad(opts: {
  host: string;
  ports: number[];
  connections: number;
  quantity: number;
  durationMs: number;
}): Promise<LoadResult> {
  let requests = 0;
  let errors = 0;
  const sockets: Socket[] = [];
  const deadline = performance.now() + opts.durationMs;
  const t0 = performance.now();
  const pdu = Buffer.from([4, 0, 0, 0, opts.quantity]);
  await Promise.all(
    Array.from({ length: opts.connections }, (_, i) => {
      const port = opts.ports[i % opts.ports.length] ?? 502;
      return new Promise<void>((resolve) => {
        const s = connect({ host: opts.host, port, noDelay: true });
        sockets.push(s);
        const decoder = new MbapDecoder();
        let tid = 0;
        const send = () => {
          if (performance.now() >= deadline) {
            s.end();
            resolve();
            return;
          }
          tid = (tid + 1) & 0xffff;
          s.write(encodeMbap(tid, 1, pdu));
        };
        s.on('connect', send);
        s.on('data', (chunk) => {
          for (const f of decoder.push(chunk)) {
            if ((f.pdu[0] ?? 0) & 0x80) errors++;
            else requests++;
            send();
          }
        });
        s.on('error', () => {
          errors++;
          resolve();
        });
        s.on('close', () => resolve());
      });
    }),
  );
  for (const s of sockets) s.destroy();
  return { requests, errors, seconds: (performance.now() - t0) / 1000 };
}
