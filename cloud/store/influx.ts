/**
 * The InfluxDB 1.x store (production). Queries go through node-influx 5 — the client that speaks
 * to Debian's InfluxDB 1.6.7 (it has no /api/v2); writes are line protocol the store builds with
 * cached series keys (influx-lines.ts) and POSTs itself (influx-http.ts). Layout and sanitising:
 * influx-layout.ts, influxql.ts and docs/storage.md.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { InfluxDB, type IPoolOptions } from 'influx';
import {
  bound,
  checkEvents,
  checkMarks,
  checkSamples,
  checkSnapshot,
  checkWidth,
  compareEvents,
  compareStrings,
  messageOf,
  PermanentStoreError,
  seriesLimit,
  silentLog,
  type StoreLog,
} from './common.ts';
import {
  columnsOf,
  eventPoint,
  eventsOf,
  firstResult,
  LINK_EVENTS,
  markPoint,
  marksOf,
  ONLINE,
  type RawSeries,
  seriesPoint,
  tagOf,
  TELEMETRY,
} from './influx-layout.ts';
import { droppedByRetention, isTransient, statusOf } from './influx-errors.ts';
import { lineWriter, type LineWriter } from './influx-http.ts';
import { pointLine, SampleLines } from './influx-lines.ts';
import {
  LATE_EVENT_MS,
  lateEventLines,
  lateMarkLines,
  lateMarkMs,
  loadLateEvents,
  loadLateMarks,
  loadSnapshot,
  type SnapshotIo,
  unique,
  writeSnapshot,
} from './influx-snapshots.ts';
import { durationLiteral, parseInfluxUrl, quoteIdent, quoteString, tagEquals, timeMs } from './influxql.ts';
import type {
  CountQuery,
  LinkEvent,
  OnlineMark,
  RunsSnapshot,
  Sample,
  Series,
  SeriesQuery,
  Store,
} from './types.ts';

export interface InfluxStoreOptions {
  /** `http://[user:pass@]host:8086/database`; the database defaults to `lianwang`. */
  url: string;
  /** Retention of the `lianwang` retention policy, an InfluxQL duration (default '90d', or 'INF'). */
  retention?: string;
  log?: StoreLog;
  /** Points per HTTP request (default 5,000: node-influx sends one request per call, unbatched). */
  chunkSize?: number;
  /** Requests in flight for one large write (default 2). */
  parallel?: number;
  /** Attempts after the first for a transient failure (default 4, backoff 200 ms doubling). */
  retries?: number;
  retryDelayMs?: number;
  /** Per HTTP request (default 10 s); a timeout counts as transient. */
  requestTimeoutMs?: number;
}

/** The retention policy lianwang writes to and makes the database's default. */
export const RETENTION_POLICY = 'lianwang';

// node-influx disables a host for a growing delay (300 ms … 10 s) after any failure, failing every
// request meanwhile with "No host available", and keeps the re-enable timer alive after close.
// A zero delay never disables the host: the retries below are the only ones.
type Backoff = NonNullable<IPoolOptions['backoff']>;
const noBackoff: Backoff = { getDelay: () => 0, next: () => noBackoff, reset: () => noBackoff };

export function createInfluxStore(opts: InfluxStoreOptions): Store {
  return new InfluxStore(opts);
}

class InfluxStore implements Store {
  readonly kind = 'influx';
  readonly location: string;
  readonly #database: string;
  readonly #retention: string;
  readonly #log: StoreLog;
  readonly #chunkSize: number;
  readonly #parallel: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #agent: HttpAgent;
  readonly #client: InfluxDB;
  /** Writes: line protocol built by the store (influx-lines.ts), POSTed by influx-http.ts. */
  readonly #writer: LineWriter;
  readonly #lines = new SampleLines();
  readonly #inFlight = new Set<Promise<unknown>>();
  #state: 'new' | 'open' | 'closed' = 'new';
  /** Time of the last late_writes point: one ms per write call, so two never overwrite each other. */
  #lateAt = 0;

  constructor(opts: InfluxStoreOptions) {
    const target = parseInfluxUrl(opts.url);
    this.location = target.location;
    this.#database = target.database;
    this.#retention = durationLiteral(opts.retention ?? '90d');
    this.#log = opts.log ?? silentLog;
    this.#chunkSize = Math.max(1, opts.chunkSize ?? 5_000);
    this.#parallel = Math.max(1, opts.parallel ?? 2);
    this.#retries = Math.max(0, opts.retries ?? 4);
    this.#retryDelayMs = opts.retryDelayMs ?? 200;
    // Our own keep-alive agent, so close() can release its sockets.
    const agentOpts = { keepAlive: true, maxSockets: this.#parallel + 2 };
    this.#agent = target.protocol === 'https' ? new HttpsAgent(agentOpts) : new HttpAgent(agentOpts);
    this.#client = new InfluxDB({
      host: target.host,
      port: target.port,
      protocol: target.protocol,
      database: target.database,
      ...(target.username !== undefined
        ? { username: target.username, password: target.password ?? '' }
        : {}),
      pool: { maxRetries: 0, backoff: noBackoff, requestTimeout: opts.requestTimeoutMs ?? 10_000 },
      options: { agent: this.#agent },
    });
    this.#writer = lineWriter(target, this.#agent, opts.requestTimeoutMs ?? 10_000);
  }

  async open(): Promise<void> {
    if (this.#state === 'open') return;
    if (this.#state === 'closed') throw new Error(`influx store at ${this.location} is closed`);
    await this.#track(async () => {
      const db = quoteIdent(this.#database);
      await this.#query(`CREATE DATABASE ${db}`, 'create database');
      const policies = await this.#query(`SHOW RETENTION POLICIES ON ${db}`, 'show retention policies');
      const exists = policies.some((s) => {
        const col = columnsOf(s);
        return s.values.some((row) => col(row, 'name') === RETENTION_POLICY);
      });
      const rp = `${quoteIdent(RETENTION_POLICY)} ON ${db} DURATION ${this.#retention}`;
      await this.#query(
        exists
          ? `ALTER RETENTION POLICY ${rp} DEFAULT`
          : `CREATE RETENTION POLICY ${rp} REPLICATION 1 DEFAULT`,
        'set retention policy',
      );
    });
    this.#state = 'open';
    this.#log.info({ location: this.location, retention: this.#retention }, 'influx store open');
  }

  async writeSamples(rows: readonly Sample[]): Promise<void> {
    checkSamples(rows);
    await this.#write(this.#lines.bodies(rows, this.#chunkSize), rows.length, 'write samples');
  }

  async writeOnline(marks: readonly OnlineMark[], widthMs: number): Promise<void> {
    checkMarks(marks, widthMs);
    const lines = marks.map((m) => pointLine(markPoint(m, widthMs)));
    lines.push(...lateMarkLines(marks, widthMs, Date.now(), () => this.#lateTime()));
    await this.#write(this.#bodies(lines), lines.length, 'write online marks');
  }

  async loadOnlineSince(widthMs: number, since: number): Promise<OnlineMark[]> {
    const recent = await this.loadOnline(widthMs, since - lateMarkMs(widthMs), Infinity);
    return unique([...recent, ...(await loadLateMarks(this.#snapshotIo(), widthMs, since))]);
  }

  async loadOnline(widthMs: number, from: number, to: number): Promise<OnlineMark[]> {
    checkWidth(widthMs);
    if (bound(from) >= bound(to)) return [];
    const series = await this.#read(
      `SELECT "v", "enterprise", "device" FROM ${this.#from(ONLINE)}` +
        ` WHERE ${quoteIdent('w')} = ${quoteString(String(widthMs))} AND ${this.#between(from, to)}`,
      'load online marks',
    );
    return marksOf(series);
  }

  async writeEvents(events: readonly LinkEvent[]): Promise<void> {
    checkEvents(events);
    const lines = events.map((e) => pointLine(eventPoint(e)));
    lines.push(...lateEventLines(events, Date.now(), () => this.#lateTime()));
    await this.#write(this.#bodies(lines), lines.length, 'write link events');
  }

  async loadEvents(from: number, to: number): Promise<LinkEvent[]> {
    if (bound(from) >= bound(to)) return [];
    const series = await this.#read(
      `SELECT "n" FROM ${this.#from(LINK_EVENTS)} WHERE ${this.#between(from, to)} GROUP BY *`,
      'load link events',
    );
    return eventsOf(series).sort(compareEvents);
  }

  async loadEventsSince(since: number): Promise<LinkEvent[]> {
    const recent = await this.loadEvents(since - LATE_EVENT_MS, Infinity);
    return unique([...recent, ...(await loadLateEvents(this.#snapshotIo(), since))]).sort(compareEvents);
  }

  async writeRunsSnapshot(widthMs: number, snapshot: RunsSnapshot): Promise<void> {
    checkWidth(widthMs);
    checkSnapshot(snapshot);
    await writeSnapshot(this.#snapshotIo(), widthMs, snapshot);
  }

  async loadRunsSnapshot(widthMs: number): Promise<RunsSnapshot | undefined> {
    checkWidth(widthMs);
    return loadSnapshot(this.#snapshotIo(), widthMs);
  }

  async series(q: SeriesQuery): Promise<Series[]> {
    const limit = seriesLimit(q.limit);
    if (bound(q.from) >= bound(q.to) || limit < 1 || q.metrics?.length === 0) return [];
    const where = [tagEquals('enterprise', q.enterprise), tagEquals('device', q.device)];
    if (q.metrics) where.push(`(${q.metrics.map((m) => tagEquals('metric', m)).join(' OR ')})`);
    where.push(this.#between(q.from, q.to));
    // LIMIT applies per GROUP BY series: the newest `limit` points of each metric.
    const series = await this.#read(
      `SELECT "value", "value_bool", "value_str", "good" FROM ${this.#from(TELEMETRY)}` +
        ` WHERE ${where.join(' AND ')} GROUP BY "metric" ORDER BY time DESC LIMIT ${limit}`,
      'read series',
    );
    return series
      .map((s) => {
        const col = columnsOf(s);
        return { metric: tagOf(s, 'metric'), points: s.values.map((row) => seriesPoint(row, col)).reverse() };
      })
      .sort((a, b) => compareStrings(a.metric, b.metric));
  }

  async countSamples(q: CountQuery): Promise<number> {
    if (bound(q.from) >= bound(q.to)) return 0;
    const where = [this.#between(q.from, q.to)];
    if (q.enterprise !== undefined) where.push(tagEquals('enterprise', q.enterprise));
    if (q.device !== undefined) where.push(tagEquals('device', q.device));
    // `good` is in every telemetry point, so counting it counts points.
    const series = await this.#read(
      `SELECT COUNT("good") FROM ${this.#from(TELEMETRY)} WHERE ${where.join(' AND ')}`,
      'count samples',
    );
    const first = series[0];
    const row = first?.values[0];
    return first && row ? Number(columnsOf(first)(row, 'count')) : 0;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    await Promise.allSettled([...this.#inFlight]);
    this.#agent.destroy();
  }

  #snapshotIo(): SnapshotIo {
    return {
      write: (body, lines, what) => this.#write([body], lines, what),
      read: (q, what) => this.#read(q, what),
      from: (m) => this.#from(m),
      between: (from, to) => this.#between(from, to),
      skipped: (takenAt) =>
        this.#log.warn(
          { location: this.location, takenAt },
          'influx availability snapshot incomplete: skipped',
        ),
    };
  }

  #lateTime(): number {
    this.#lateAt = Math.max(Date.now(), this.#lateAt + 1);
    return this.#lateAt;
  }

  #from(measurement: string): string {
    return `${quoteIdent(RETENTION_POLICY)}.${quoteIdent(measurement)}`;
  }

  #between(from: number, to: number): string {
    return `time >= ${timeMs(bound(from))} AND time < ${timeMs(bound(to))}`;
  }

  #checkOpen(): void {
    if (this.#state !== 'open')
      throw new Error(`influx store at ${this.location} is ${this.#state === 'new' ? 'not open' : 'closed'}`);
  }

  /** Lines → request bodies of at most chunkSize lines. */
  #bodies(lines: string[]): string[] {
    const bodies: string[] = [];
    for (let i = 0; i < lines.length; i += this.#chunkSize)
      bodies.push(lines.slice(i, i + this.#chunkSize).join('\n'));
    return bodies;
  }

  /** `bodies` hold `count` points, chunkSize per body but the last. */
  async #write(bodies: readonly (string | Uint8Array)[], count: number, what: string): Promise<void> {
    this.#checkOpen();
    if (count === 0) return;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < bodies.length) {
        const i = next++;
        const body = bodies[i] as string | Uint8Array;
        const points = i < bodies.length - 1 ? this.#chunkSize : count - i * this.#chunkSize;
        await this.#retrying(async () => {
          try {
            await this.#writer.write(body, RETENTION_POLICY);
          } catch (err) {
            const dropped = droppedByRetention(err);
            if (dropped === undefined) throw err;
            this.#log.warn(
              { location: this.location, dropped, retention: this.#retention },
              `influx ${what}: points older than the retention policy dropped`,
            );
          }
        }, `${what} (${points} points)`);
      }
    };
    const workers = Array.from({ length: Math.min(this.#parallel, bodies.length) }, worker);
    await this.#track(() => Promise.all(workers));
  }

  async #read(q: string, what: string): Promise<RawSeries[]> {
    this.#checkOpen();
    return this.#track(() => this.#query(q, what));
  }

  async #query(q: string, what: string): Promise<RawSeries[]> {
    return this.#retrying(
      async () =>
        firstResult(
          await this.#client.queryRaw(q, { database: this.#database, precision: 'ms', method: 'POST' }),
        ),
      what,
    );
  }

  /** Runs `op`, retrying transient failures with doubling delays; the final error names the URL. */
  async #retrying<T>(op: () => Promise<T>, what: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (!isTransient(err) || attempt > this.#retries || this.#state === 'closed') {
          const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
          const message = `influx ${what} at ${this.location} failed${tries}: ${messageOf(err)}`;
          // node-influx's RequestError holds the whole request and response: keep only its message.
          const cause = statusOf(err) === undefined ? err : new Error(messageOf(err));
          // 400: InfluxDB refused the data itself (e.g. a field type conflict); resending cannot help.
          throw statusOf(err) === 400
            ? new PermanentStoreError(message, { cause })
            : new Error(message, { cause });
        }
        const waitMs = this.#retryDelayMs * 2 ** (attempt - 1);
        this.#log.warn(
          { location: this.location, attempt, waitMs, err: messageOf(err) },
          `influx ${what} failed, retrying`,
        );
        await delay(waitMs);
      }
    }
  }

  /** Keeps the operation in the set close() waits for. */
  async #track<T>(op: () => Promise<T>): Promise<T> {
    const p = op();
    this.#inFlight.add(p);
    try {
      return await p;
    } finally {
      this.#inFlight.delete(p);
    }
  }
}
