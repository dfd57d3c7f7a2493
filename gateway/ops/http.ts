/** The gateway's local HTTP endpoint (loopback by default): /health and /metrics. */
import { createServer, type Server } from 'node:http';
import type { Gateway } from '../app.ts';
import { gatewayRegistry } from './metrics.ts';

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

export async function startOpsServer(gw: Gateway, host: string, port: number): Promise<OpsServer> {
  const registry = gatewayRegistry(gw);
  const server: Server = createServer((req, res) => {
    const route = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && route === '/health') {
      const devices = Object.fromEntries(gw.states());
      const north = gw.north();
      const queue = gw.queue();
      const ok = north.connected && Object.values(devices).every((d) => d.state !== 'offline');
      const body = JSON.stringify({ ok, mqtt: north, queue, devices });
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(body);
      return;
    }
    if (req.method === 'GET' && route === '/metrics') {
      registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text))
        .catch((err: unknown) => res.writeHead(500).end((err as Error).message));
      return;
    }
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { code: 'not_found', message: `no route ${route}` } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve());
  });
  const addr = server.address();
  const actual = addr && typeof addr === 'object' ? addr.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
