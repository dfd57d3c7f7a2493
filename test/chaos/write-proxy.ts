/**
 * An HTTP proxy in front of influxd that watches what the cloud writes: every `telemetry` row of a
 * write InfluxDB acknowledged (204), so the chaos run can count rows written more than once (a
 * point written again overwrites itself in InfluxDB, so the store cannot show duplicates) and the
 * end-to-end delay of each sample: its source time → the moment InfluxDB acknowledged its first
 * write. Everything else (queries, online marks, link events) passes through untouched.
 *
 * While influxd is down the proxy drops the client's connection, as a refused connection would:
 * the cloud sees a transient error and retries.
 */
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SKEW_ENTERPRISE } from './plant.ts';

/** Delay histogram resolution and range: 10 ms steps up to 20 min, then one overflow bucket. */
const STEP_MS = 10;
const STEPS = 120_000;

export interface DelayStats {
  samples: number;
  maxMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface WriteStats {
  writeRequests: number;
  /** Requests that did not reach influxd or were not acknowledged with 204. */
  failedRequests: number;
  /** `telemetry` rows in acknowledged writes. */
  rows: number;
  /** Distinct rows (series + time) among them. */
  distinct: number;
  /** rows − distinct: rows written again (redelivery, replay after a lost PUBACK, births stored by each worker). */
  duplicates: number;
  /** Distinct rows that arrived as historical data (replayed from a gateway's disk queue). */
  historical: number;
  /** First writes of the simulated plant's samples (enterprise `skew` is reported apart), all and live only. */
  delay: DelayStats;
  delayLive: DelayStats;
}

class Histogram {
  readonly #counts = new Uint32Array(STEPS + 1);
  samples = 0;
  maxMs = 0;

  add(ms: number): void {
    const v = Math.max(0, ms);
    this.samples++;
    if (v > this.maxMs) this.maxMs = v;
    this.#counts[Math.min(STEPS, Math.floor(v / STEP_MS))]! += 1;
  }

  quantile(q: number): number {
    const want = Math.ceil(this.samples * q);
    let seen = 0;
    for (let i = 0; i <= STEPS; i++) {
      seen += this.#counts[i]!;
      if (seen >= want && want > 0) return Math.min(this.maxMs, (i + 1) * STEP_MS);
    }
    return this.maxMs;
  }

  stats(): DelayStats {
    return {
      samples: this.samples,
      maxMs: this.maxMs,
      p50Ms: this.quantile(0.5),
      p99Ms: this.quantile(0.99),
    };
  }
}

export class WriteProxy {
  readonly #target: number;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 16 });
  /** series (measurement tags) → times seen, as offsets from #base (small integers: compact sets). */
  readonly #seen = new Map<string, Set<number>>();
  readonly #base = Date.now();
  readonly #delay = new Histogram();
  readonly #delayLive = new Histogram();
  #server: Server | undefined;
  #writeRequests = 0;
  #failed = 0;
  #rows = 0;
  #distinct = 0;
  #historical = 0;
  /** Source times below this count as "before the cut" for progress tracking. */
  #cut = Infinity;
  /** Wall time of the latest first write of a sample from before the cut. */
  lastProgressAt = 0;
  /** Source time of the newest first-written sample, per `enterprise/device`. */
  readonly newest = new Map<string, number>();
  /** Per second of source time: when InfluxDB acknowledged the last first write of such a sample. */
  readonly #storedBySecond = new Map<number, number>();
  port = 0;

  constructor(targetPort: number) {
    this.#target = targetPort;
  }

  get url(): string {
    return `http://[::1]:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const isWrite = (req.url ?? '').startsWith('/write');
        if (isWrite) this.#writeRequests++;
        const headers: IncomingHttpHeaders = { ...req.headers };
        const up = request(
          {
            host: '::1',
            port: this.#target,
            method: req.method,
            path: req.url,
            headers,
            agent: this.#agent,
          },
          (ur) => {
            const out: Buffer[] = [];
            ur.on('data', (c: Buffer) => out.push(c));
            ur.on('end', () => {
              if (isWrite && ur.statusCode === 204) this.#count(body);
              else if (isWrite) this.#failed++;
              res.writeHead(ur.statusCode ?? 502, ur.headers).end(Buffer.concat(out));
            });
            ur.on('error', () => req.socket.destroy());
          },
        );
        up.on('error', () => {
          if (isWrite) this.#failed++;
          req.socket.destroy();
        });
        up.end(body);
      });
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '::1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
  }

  /** From now on, progress means first writes of samples older than `time`. */
  setCut(time: number): void {
    this.#cut = time;
    this.lastProgressAt = Date.now();
  }

  stats(): WriteStats {
    return {
      writeRequests: this.#writeRequests,
      failedRequests: this.#failed,
      rows: this.#rows,
      distinct: this.#distinct,
      duplicates: this.#rows - this.#distinct,
      historical: this.#historical,
      delay: this.#delay.stats(),
      delayLive: this.#delayLive.stats(),
    };
  }

  /** When the last sample of the simulated plant with source time in [from, to) was stored, if any was. */
  storedBy(from: number, to: number): number | undefined {
    let last: number | undefined;
    for (let sec = Math.floor(from / 1000); sec * 1000 < to; sec++) {
      const t = this.#storedBySecond.get(sec);
      if (t !== undefined && (last === undefined || t > last)) last = t;
    }
    return last;
  }

  async close(): Promise<void> {
    this.#agent.destroy();
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Line protocol as node-influx writes it: `telemetry,<tags> <fields> <ms>`, one point per line. */
  #count(body: Buffer): void {
    const now = Date.now();
    for (const line of body.toString('utf8').split('\n')) {
      if (!line.startsWith('telemetry,')) continue;
      const tagsEnd = line.indexOf(' ');
      const timeAt = line.lastIndexOf(' ');
      const time = Number(line.slice(timeAt + 1));
      if (tagsEnd < 0 || timeAt <= tagsEnd || !Number.isFinite(time)) continue;
      this.#rows++;
      const series = line.slice(0, tagsEnd);
      let times = this.#seen.get(series);
      if (!times) this.#seen.set(series, (times = new Set()));
      const t = time - this.#base;
      if (times.has(t)) continue;
      times.add(t);
      this.#distinct++;
      if (time < this.#cut) this.lastProgressAt = now;
      const enterprise = /,enterprise=([^,]*)/.exec(series)?.[1] ?? '';
      const device = /,device=([^,]*)/.exec(series)?.[1] ?? '';
      const key = `${enterprise}/${device}`;
      if (time > (this.newest.get(key) ?? 0)) this.newest.set(key, time);
      if (enterprise === SKEW_ENTERPRISE) continue;
      const second = Math.floor(time / 1000);
      if (now > (this.#storedBySecond.get(second) ?? 0)) this.#storedBySecond.set(second, now);
      this.#delay.add(now - time);
      const fields = line.slice(tagsEnd + 1, timeAt);
      if (/(^|,)historical=(true|T)(,|$)/.test(fields)) this.#historical++;
      else this.#delayLive.add(now - time);
    }
  }
}
