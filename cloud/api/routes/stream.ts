/**
 * `/api/stream`: Server-Sent Events telling dashboards *when* to refetch — an `update` event
 * carries the time and the ledger version, never data, so it cannot bypass the filters and
 * schemas of the JSON routes. One hub listens on ctx.events for all clients: updates are
 * coalesced to at most one event per interval (the first goes out at once, a burst ends with
 * one trailing event), and a comment line every heartbeat keeps proxies from closing an idle
 * connection. Browsers' EventSource cannot send headers, so this route also accepts the token
 * as `?access_token=` (redacted from the logs).
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { HttpMetrics } from '../metrics.ts';
import { guard } from '../route.ts';
import type { UpdateSource } from '../types.ts';

// A client that stops reading while its socket buffer holds this much is dropped rather than
// buffered without bound (events are ~100 bytes; this is minutes of them).
const MAX_BUFFERED = 64 * 1024;

export interface StreamOptions {
  minIntervalMs: number;
  heartbeatMs: number;
}

export class UpdateHub {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastSent = Number.NEGATIVE_INFINITY;
  private nextId = 1;
  private readonly onUpdate = () => this.notify();

  constructor(
    private readonly source: UpdateSource,
    private readonly opts: StreamOptions,
    private readonly payload: () => Record<string, unknown>,
    private readonly gauge: HttpMetrics['streamClients'],
  ) {}

  get size(): number {
    return this.clients.size;
  }

  add(res: ServerResponse): void {
    // Listen only while someone is connected: an idle API adds nothing to the emitter.
    if (this.clients.size === 0) {
      this.source.on('update', this.onUpdate);
      this.heartbeat = setInterval(() => this.broadcast(': heartbeat\n\n'), this.opts.heartbeatMs);
      this.heartbeat.unref();
    }
    this.clients.add(res);
    this.gauge.set(this.clients.size);
  }

  remove(res: ServerResponse): void {
    if (!this.clients.delete(res)) return;
    this.gauge.set(this.clients.size);
    if (this.clients.size > 0) return;
    this.source.off('update', this.onUpdate);
    clearInterval(this.heartbeat);
    clearTimeout(this.timer);
    this.heartbeat = undefined;
    this.timer = undefined;
  }

  /** Ends every stream (app close): open streams would otherwise keep the server from closing. */
  close(): void {
    for (const res of [...this.clients]) {
      this.remove(res);
      res.end();
    }
  }

  /** Something changed (ctx.events, or a ledger edit made through the API): tell the clients, throttled. */
  notify(): void {
    if (this.clients.size === 0) return;
    if (this.timer !== undefined) return; // a trailing event is already due: it covers this update
    const wait = this.lastSent + this.opts.minIntervalMs - Date.now();
    if (wait <= 0) {
      this.send();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, wait);
    this.timer.unref();
  }

  private send(): void {
    this.lastSent = Date.now();
    const data = JSON.stringify(this.payload());
    this.broadcast(`id: ${this.nextId++}\nevent: update\ndata: ${data}\n\n`);
  }

  private broadcast(chunk: string): void {
    for (const res of [...this.clients]) {
      if (res.writableLength > MAX_BUFFERED) {
        this.remove(res);
        res.destroy();
        continue;
      }
      res.write(chunk);
    }
  }
}

export function streamRoutes(app: FastifyInstance, hub: UpdateHub, metrics: HttpMetrics): void {
  // preClose runs before the server stops accepting: end the streams so close() does not wait on them.
  app.addHook('preClose', (done) => {
    hub.close();
    done();
  });

  app.get(
    '/api/stream',
    {
      ...guard('read', {
        tags: ['stream'],
        summary: 'Server-Sent Events: `update` when the rates may have changed (≤ 1/s), heartbeat comments',
        description:
          'Each `update` event has data {"time": ms, "ledgerVersion": n}: refetch what you show. ' +
          'The token may also be given as access_token (EventSource cannot send headers).',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { access_token: { type: 'string', description: 'The read token, for EventSource.' } },
        },
        response: {
          200: {
            description: 'An event stream.',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
        },
      }),
      config: { access: 'read', tokenInQuery: true },
      // HEAD would open a stream that never ends: only GET.
      exposeHeadRoute: false,
    },
    (request, reply) => {
      // Taken over from fastify: the response stays open until the client leaves.
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no', // nginx: pass events through unbuffered
        'x-content-type-options': 'nosniff',
      });
      // `retry` sets EventSource's reconnect delay; the comment makes the headers and first bytes go out now.
      res.write('retry: 5000\n: connected\n\n');
      hub.add(res);
      const started = process.hrtime.bigint();
      // The response's 'close' is the connection's end (the request's fires once its body is read).
      res.once('close', () => {
        hub.remove(res);
        // A hijacked reply skips onResponse: count the stream here (its latency is its lifetime, not recorded).
        metrics.requests.inc({ method: 'GET', route: '/api/stream', status: '200' });
        request.log.debug({ ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'stream closed');
      });
    },
  );
}
