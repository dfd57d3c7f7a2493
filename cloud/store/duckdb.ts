/**
 * The embedded store (the default when no InfluxDB URL is configured): one DuckDB file,
 * `<dir>/lianwang.duckdb`. Layout in docs/storage.md "DuckDB layout".
 *
 * Writes go through the Appender into a TEMP staging table, then one INSERT that skips rows whose
 * identity is already stored (or repeated within the batch), so every write is idempotent, and
 * the whole batch commits at once. DuckDB
 * allows one writer per table at a time, so writes are serialized on one connection; each read uses a
 * connection of its own and sees every committed write.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBValue,
} from '@duckdb/node-api';
import {
  bound,
  checkEvents,
  checkMarks,
  checkSamples,
  checkSnapshot,
  checkWidth,
  compareStrings,
  messageOf,
  normaliseValue,
  seriesLimit,
  silentLog,
  type StoreLog,
} from './common.ts';
import { MERGE_SAMPLES, mergeInto, SCHEMA, STAGING } from './duckdb-schema.ts';
import { appendValue, eventsOf, marksOf, str, valueOf } from './duckdb-rows.ts';
import { pruneBefore, type PruneCounts, PruneSchedule } from './duckdb-retention.ts';
import { readSnapshot, writeSnapshot } from './duckdb-snapshots.ts';
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

export interface DuckdbStoreOptions {
  /** Data directory, created if missing; holds `lianwang.duckdb` (and its `.wal` while open). */
  dir: string;
  log?: StoreLog;
  /**
   * Rows older than this are deleted (duckdb-retention.ts), ms; default Infinity = never.
   * `openStore()` passes the cloud's retention (default 90 days).
   */
  retentionMs?: number;
  /** How often, once open; the first pass runs right after open (default 1 h; 0 = only when prune() is called). */
  pruneEveryMs?: number;
}

/** The embedded store: the Store contract, and its own retention. */
export interface DuckdbStore extends Store {
  /** Deletes every row older than `now` − retention (nothing with an infinite retention). */
  prune(now?: number): Promise<PruneCounts | undefined>;
}

export const DUCKDB_FILE = 'lianwang.duckdb';

// DuckDB's file lock only excludes other processes: a second instance on the same file in this
// process opens silently and the two then overwrite each other's writes. Refuse it instead.
const openFiles = new Set<string>();

export function createDuckdbStore(opts: DuckdbStoreOptions): DuckdbStore {
  return new EmbeddedStore(opts);
}

interface Open {
  instance: DuckDBInstance;
  writer: DuckDBConnection;
}

class EmbeddedStore implements DuckdbStore {
  readonly kind = 'duckdb';
  readonly location: string;
  readonly #file: string;
  readonly #log: StoreLog;
  readonly #retentionMs: number;
  readonly #pruneEveryMs: number;
  readonly #pruning: PruneSchedule;
  #db: Open | undefined;
  #closed = false;
  #opening: Promise<void> | undefined;
  /** The tail of the write queue: each write starts when the previous one settled. */
  #writes: Promise<unknown> = Promise.resolve();
  readonly #reads = new Set<Promise<unknown>>();

  constructor(opts: DuckdbStoreOptions) {
    this.location = path.resolve(opts.dir);
    this.#file = path.join(this.location, DUCKDB_FILE);
    this.#log = opts.log ?? silentLog;
    this.#retentionMs = opts.retentionMs ?? Infinity;
    this.#pruneEveryMs = opts.pruneEveryMs ?? 3_600_000;
    this.#pruning = new PruneSchedule(() => this.prune(), this.#pruneEveryMs, this.#log, this.location);
  }

  open(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`duckdb store at ${this.location} is closed`));
    if (!this.#opening) {
      const opening = this.#open();
      this.#opening = opening;
      // A failed open may be retried (e.g. once the other process released the file).
      opening.catch(() => {
        if (this.#opening === opening) this.#opening = undefined;
      });
    }
    return this.#opening;
  }

  async #open(): Promise<void> {
    if (openFiles.has(this.#file))
      throw new Error(`duckdb store at ${this.location}: ${this.#file} is already open in this process`);
    openFiles.add(this.#file);
    let instance: DuckDBInstance | undefined;
    try {
      await mkdir(this.location, { recursive: true });
      instance = await DuckDBInstance.create(this.#file);
      const writer = await instance.connect();
      await writer.run(SCHEMA);
      await writer.run(STAGING);
      this.#db = { instance, writer };
    } catch (err) {
      instance?.closeSync();
      openFiles.delete(this.#file);
      // Typically the file lock: another process (a running cloud, a duckdb CLI) has it open.
      throw new Error(`duckdb store at ${this.location}: cannot open ${this.#file}: ${messageOf(err)}`, {
        cause: err,
      });
    }
    this.#log.info({ location: this.location, file: this.#file }, 'duckdb store open');
    if (Number.isFinite(this.#retentionMs) && this.#pruneEveryMs > 0) this.#pruning.start();
  }

  async prune(now = Date.now()): Promise<PruneCounts | undefined> {
    if (!Number.isFinite(this.#retentionMs)) return undefined;
    const { writer } = this.#handles();
    let counts: PruneCounts | undefined;
    await this.#serial(async () => {
      counts = await pruneBefore(writer, now - this.#retentionMs);
    });
    return counts;
  }

  async writeSamples(rows: readonly Sample[]): Promise<void> {
    checkSamples(rows);
    let min = Infinity;
    let max = -Infinity;
    for (const s of rows) {
      if (s.time < min) min = s.time;
      if (s.time > max) max = s.time;
    }
    const merge = { sql: MERGE_SAMPLES, params: [BigInt(min), BigInt(max)] };
    await this.#stageAndMerge('samples', merge, rows, (a, s) => {
      a.appendVarchar(s.enterprise);
      a.appendVarchar(s.node);
      a.appendVarchar(s.device);
      a.appendVarchar(s.metric);
      a.appendBigInt(BigInt(s.time));
      appendValue(a, normaliseValue(s.value));
      a.appendBoolean(s.good);
      a.appendBoolean(s.historical);
    });
  }

  async writeOnline(marks: readonly OnlineMark[], widthMs: number): Promise<void> {
    checkMarks(marks, widthMs);
    const width = BigInt(widthMs);
    const written = BigInt(Date.now());
    await this.#stageAndMerge('online', { sql: mergeInto('online') }, marks, (a, m) => {
      a.appendBigInt(width);
      a.appendVarchar(m.enterprise);
      a.appendVarchar(m.device);
      a.appendBigInt(BigInt(m.bucket));
      a.appendBigInt(written);
    });
  }

  async loadOnline(widthMs: number, from: number, to: number): Promise<OnlineMark[]> {
    checkWidth(widthMs);
    const rows = await this.#read(
      'SELECT enterprise, device, bucket FROM online WHERE width = ? AND bucket >= ? AND bucket < ?',
      [BigInt(widthMs), BigInt(bound(from)), BigInt(bound(to))],
    );
    return marksOf(rows);
  }

  async loadOnlineSince(widthMs: number, since: number): Promise<OnlineMark[]> {
    checkWidth(widthMs);
    const rows = await this.#read(
      'SELECT enterprise, device, bucket FROM online WHERE width = ? AND written >= ?',
      [BigInt(widthMs), BigInt(bound(since))],
    );
    return marksOf(rows);
  }

  async writeEvents(events: readonly LinkEvent[]): Promise<void> {
    checkEvents(events);
    const written = BigInt(Date.now());
    await this.#stageAndMerge('link_events', { sql: mergeInto('link_events') }, events, (a, e) => {
      a.appendBigInt(BigInt(e.time));
      a.appendVarchar(e.type);
      a.appendVarchar(e.enterprise);
      a.appendVarchar(e.node);
      a.appendVarchar(e.device ?? '');
      a.appendBigInt(written);
    });
  }

  async loadEvents(from: number, to: number): Promise<LinkEvent[]> {
    const rows = await this.#read(
      'SELECT time, type, enterprise, node, device FROM link_events WHERE time >= ? AND time < ?',
      [BigInt(bound(from)), BigInt(bound(to))],
    );
    return eventsOf(rows);
  }

  async loadEventsSince(since: number): Promise<LinkEvent[]> {
    const rows = await this.#read(
      'SELECT time, type, enterprise, node, device FROM link_events WHERE written >= ?',
      [BigInt(bound(since))],
    );
    return eventsOf(rows);
  }

  async writeRunsSnapshot(widthMs: number, snapshot: RunsSnapshot): Promise<void> {
    checkWidth(widthMs);
    checkSnapshot(snapshot);
    const { writer } = this.#handles();
    await this.#serial(() => writeSnapshot(writer, widthMs, snapshot, this.location));
  }

  async loadRunsSnapshot(widthMs: number): Promise<RunsSnapshot | undefined> {
    checkWidth(widthMs);
    return this.#withConnection((c) => readSnapshot(c, widthMs));
  }

  async series(q: SeriesQuery): Promise<Series[]> {
    const limit = seriesLimit(q.limit);
    if (limit < 1 || q.metrics?.length === 0) return [];
    const params: DuckDBValue[] = [q.enterprise, q.device, BigInt(bound(q.from)), BigInt(bound(q.to))];
    let metricFilter = '';
    if (q.metrics) {
      metricFilter = ` AND metric IN (${q.metrics.map(() => '?').join(', ')})`;
      params.push(...q.metrics);
    }
    params.push(limit);
    // The newest `limit` rows of each metric, returned ascending: one scan, one window.
    const rows = await this.#read(
      `SELECT metric, time, value, value_bool, value_str, good FROM samples
       WHERE enterprise = ? AND device = ? AND time >= ? AND time < ?${metricFilter}
       QUALIFY row_number() OVER (PARTITION BY metric ORDER BY time DESC, node DESC) <= ?
       ORDER BY metric, time, node`,
      params,
    );
    const byMetric = new Map<string, Series>();
    for (const [metric, time, num, bool, text, good] of rows) {
      const name = str(metric);
      let s = byMetric.get(name);
      if (!s) byMetric.set(name, (s = { metric: name, points: [] }));
      s.points.push({ time: Number(time), value: valueOf(num, bool, text), good: good === true });
    }
    return [...byMetric.values()].sort((a, b) => compareStrings(a.metric, b.metric));
  }

  async countSamples(q: CountQuery): Promise<number> {
    let sql = 'SELECT count(*) FROM samples WHERE time >= ? AND time < ?';
    const params: DuckDBValue[] = [BigInt(bound(q.from)), BigInt(bound(q.to))];
    if (q.enterprise !== undefined) {
      sql += ' AND enterprise = ?';
      params.push(q.enterprise);
    }
    if (q.device !== undefined) {
      sql += ' AND device = ?';
      params.push(q.device);
    }
    const rows = await this.#read(sql, params);
    return Number(rows[0]?.[0] ?? 0);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pruning.stop();
    await this.#opening?.catch(() => undefined);
    await this.#writes;
    await Promise.allSettled([...this.#reads]);
    const db = this.#db;
    this.#db = undefined;
    if (!db) return;
    db.writer.closeSync();
    // Closing the last handle checkpoints the WAL into the file and releases its lock.
    db.instance.closeSync();
    openFiles.delete(this.#file);
    this.#log.info({ location: this.location }, 'duckdb store closed');
  }

  #handles(): Open {
    if (!this.#db || this.#closed)
      throw new Error(`duckdb store at ${this.location} is ${this.#closed ? 'closed' : 'not open'}`);
    return this.#db;
  }

  /** Appends `rows` to stage_<table>, then runs `merge` (stage → table) in one transaction. */
  async #stageAndMerge<T>(
    table: string,
    merge: { sql: string; params?: DuckDBValue[] },
    rows: readonly T[],
    append: (a: DuckDBAppender, row: T) => void,
  ): Promise<void> {
    const { writer } = this.#handles();
    if (rows.length === 0) return;
    const stage = `stage_${table}`;
    const run = async (): Promise<void> => {
      await writer.run('BEGIN TRANSACTION');
      try {
        // Leftovers of a write that failed half-way through appending.
        await writer.run(`DELETE FROM ${stage}`);
        const appender = await writer.createAppender(stage, 'main', 'temp');
        try {
          for (const row of rows) {
            append(appender, row);
            appender.endRow();
          }
        } catch (err) {
          appender.clear();
          throw err;
        } finally {
          appender.closeSync();
        }
        await writer.run(merge.sql, merge.params);
        await writer.run(`DELETE FROM ${stage}`);
        await writer.run('COMMIT');
      } catch (err) {
        await writer.run('ROLLBACK').catch(() => undefined);
        throw new Error(
          `duckdb write of ${rows.length} ${table} rows at ${this.location} failed: ${messageOf(err)}`,
          {
            cause: err,
          },
        );
      }
    };
    await this.#serial(run);
  }

  /** Runs `op` once every write queued before it has settled: one writer at a time. */
  async #serial(op: () => Promise<void>): Promise<void> {
    const done = this.#writes.then(op, op);
    this.#writes = done.catch(() => undefined);
    await done;
  }

  /**
   * Runs a query on a connection of its own: connections are cheap in DuckDB, one connection runs
   * one query at a time, and concurrent API requests should not queue behind each other.
   */
  async #read(sql: string, params: DuckDBValue[]): Promise<DuckDBValue[][]> {
    return this.#withConnection(async (c) => (await c.runAndReadAll(sql, params)).getRows());
  }

  /** `op` on a connection of its own, closed after; tracked so close() waits for it. */
  async #withConnection<T>(op: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const { instance } = this.#handles();
    const query = async (): Promise<T> => {
      const c = await instance.connect();
      try {
        return await op(c);
      } finally {
        c.closeSync();
      }
    };
    const p = query();
    this.#reads.add(p);
    try {
      return await p;
    } catch (err) {
      throw new Error(`duckdb query at ${this.location} failed: ${messageOf(err)}`, { cause: err });
    } finally {
      this.#reads.delete(p);
    }
  }
}
