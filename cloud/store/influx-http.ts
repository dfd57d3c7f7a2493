/**
 * POST /write of a line-protocol body (UTF-8 bytes, or a string). Why not node-influx: its only write API is `writePoints`,
 * which takes point objects and serialises them itself (influx-lines.ts says why the store no
 * longer does that), and its HTTP pool is not exported. The request is the one node-influx sent:
 * `/write?db=…&precision=ms&rp=…`, Basic auth from the URL, the store's keep-alive agent, a
 * per-request timeout. Failures keep their meaning for the store's retry rules: a network error
 * keeps its code (ECONNREFUSED …), a timeout is ESOCKETTIMEDOUT, an HTTP answer other than 2xx
 * is an InfluxHttpError with its status and InfluxDB's message.
 */
import { type Agent as HttpAgent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { InfluxTarget } from './influxql.ts';

export class InfluxHttpError extends Error {
  override readonly name: string = 'InfluxHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface LineWriter {
  /** Resolves when InfluxDB answered 2xx (204: the points are durable). */
  write(body: string | Uint8Array, retentionPolicy: string): Promise<void>;
}

export function lineWriter(target: InfluxTarget, agent: HttpAgent, timeoutMs: number): LineWriter {
  const request = target.protocol === 'https' ? httpsRequest : httpRequest;
  // node:http wants an IPv6 literal without brackets (it adds them to the Host header itself).
  const hostname = target.host.replace(/^\[(.*)\]$/, '$1');
  const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' };
  if (target.username !== undefined) {
    const credentials = `${target.username}:${target.password ?? ''}`;
    headers.Authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const db = encodeURIComponent(target.database);
  return {
    write: (body, retentionPolicy) =>
      new Promise<void>((resolve, reject) => {
        const bytes = typeof body === 'string' ? Buffer.from(body) : body;
        const req = request(
          {
            hostname,
            port: target.port,
            method: 'POST',
            path: `/write?db=${db}&precision=ms&rp=${encodeURIComponent(retentionPolicy)}`,
            headers: { ...headers, 'Content-Length': bytes.length },
            agent,
          },
          (res) => {
            res.once('error', reject);
            res.once('close', () => {
              if (res.complete) return;
              const err = new Error(
                'connection closed before the answer was complete',
              ) as NodeJS.ErrnoException;
              err.code = 'ECONNRESET';
              reject(err);
            });
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              res.resume();
              res.once('end', resolve);
              return;
            }
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.once('end', () =>
              reject(
                new InfluxHttpError(status, `HTTP ${status} ${res.statusMessage ?? ''}: ${text.trim()}`),
              ),
            );
          },
        );
        req.setTimeout(timeoutMs, () => {
          const err = new Error(`no answer within ${timeoutMs} ms`) as NodeJS.ErrnoException;
          err.code = 'ESOCKETTIMEDOUT';
          req.destroy(err);
        });
        req.once('error', reject);
        req.end(bytes);
      }),
  };
}
