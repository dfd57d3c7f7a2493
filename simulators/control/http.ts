/**
 * The simulator's control API: HTTP on loopback (default [::1]:15080) to list devices,
 * inject and clear faults and read the ground-truth log. `lianwang sim fault …` uses it.
 *
 *   GET    /devices                      devices with state, address, requests served, faults
 *   GET    /faults                       active faults
 *   POST   /faults  {device, fault, for?, latencyMs?, exceptionCode?, downMs?}
 *   DELETE /faults?device=…[&fault=…]    clear one or all faults of a device
 *   GET    /ground-truth                 reachability changes per device
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { FAULT_TYPES, parseDuration } from '../../config/index.ts';
import type { Simulation } from '../runtime/simulation.ts';

const MAX_BODY = 64 * 1024;

const InjectBody = z.strictObject({
  device: z.string().min(1),
  fault: z.enum(FAULT_TYPES),
  for: z.union([z.string(), z.number()]).optional(),
  latencyMs: z.int().min(0).max(600_000).optional(),
  exceptionCode: z.union([z.literal(4), z.literal(6)]).optional(),
  downMs: z.int().min(0).max(600_000).optional(),
});
export type InjectBody = z.input<typeof InjectBody>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

export async function startControlServer(
  sim: Simulation,
  opts: { host?: string; port?: number } = {},
): Promise<ControlServer> {
  const server: Server = createServer((req, res) => {
    handle(sim, req, res).catch((err: unknown) => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', (err as Error).message);
      send(res, e.status, { error: { code: e.code, message: e.message } });
    });
  });
  const host = opts.host ?? '::1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: opts.port ?? 15080 }, () => resolve());
  });
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : 0;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function handle(sim: Simulation, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = `${req.method ?? 'GET'} ${url.pathname}`;
  switch (route) {
    case 'GET /devices':
      return send(
        res,
        200,
        [...sim.devices.values()].map((d) => ({
          device: d.key,
          kind: d.device.kind,
          protocol: d.device.connectivity.type,
          address: sim.addressOf(d),
          state: d.machine,
          served: d.served,
          reachable: sim.truth.isReachable(d.key),
          faults: [...d.faults.keys()],
        })),
      );
    case 'GET /faults':
      return send(res, 200, sim.faults.list());
    case 'GET /ground-truth':
      return send(res, 200, sim.truth.entries);
    case 'POST /faults': {
      const parsed = InjectBody.safeParse(await readJson(req));
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        throw new HttpError(
          400,
          'bad_request',
          `${first?.path.join('.') || 'body'}: ${first?.message ?? 'invalid'}`,
        );
      }
      const { device, fault, for: duration, ...rest } = parsed.data;
      const forMs = duration === undefined ? undefined : parseDuration(duration);
      if (duration !== undefined && forMs === undefined) {
        throw new HttpError(
          400,
          'bad_request',
          `for: expected a duration like 90s or 5m, got ${JSON.stringify(duration)}`,
        );
      }
      try {
        return send(
          res,
          201,
          sim.faults.inject({ device, type: fault, ...rest, ...(forMs === undefined ? {} : { forMs }) }),
        );
      } catch (err) {
        throw new HttpError(404, 'unknown_device', (err as Error).message);
      }
    }
    case 'DELETE /faults': {
      const device = url.searchParams.get('device');
      const fault = url.searchParams.get('fault');
      if (!device) throw new HttpError(400, 'bad_request', 'device: required query parameter');
      const type = fault === null ? undefined : z.enum(FAULT_TYPES).safeParse(fault);
      if (type && !type.success) throw new HttpError(400, 'bad_request', `fault: unknown type "${fault}"`);
      try {
        return send(res, 200, { cleared: sim.faults.clear(device, type?.data) });
      } catch (err) {
        throw new HttpError(404, 'unknown_device', (err as Error).message);
      }
    }
    default:
      throw new HttpError(404, 'not_found', `no route ${route}`);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'body_too_large', `body exceeds ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'bad_json', 'body is not valid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
