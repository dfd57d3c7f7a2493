/**
 * Availability snapshots in the DuckDB store (docs/storage.md): one transaction writes the rows,
 * the links and the `runs_snapshot_done` row that marks the snapshot complete, and deletes every
 * other snapshot of the width. A reader takes the newest marked snapshot inside one transaction,
 * so a concurrent write can neither hide it half-way nor show a half-written one.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { compareEvents, isEventType, linkEvent, messageOf } from './common.ts';
import type { LinkEvent, RunsRow, RunsSnapshot } from './types.ts';

const TABLES = ['runs_snapshot', 'runs_snapshot_links', 'runs_snapshot_done'] as const;

/** Runs on the store's writer connection, in the store's write queue; errors name `location`. */
export async function writeSnapshot(
  writer: DuckDBConnection,
  widthMs: number,
  snapshot: RunsSnapshot,
  location: string,
): Promise<void> {
  const width = BigInt(widthMs);
  const takenAt = BigInt(snapshot.takenAt);
  await writer.run('BEGIN TRANSACTION');
  try {
    // The same snapshot written again replaces itself.
    for (const t of TABLES)
      await writer.run(`DELETE FROM ${t} WHERE width = ? AND taken_at = ?`, [width, takenAt]);
    const rows = await writer.createAppender('runs_snapshot');
    try {
      for (const r of snapshot.rows) {
        rows.appendBigInt(width);
        rows.appendBigInt(takenAt);
        rows.appendVarchar(r.enterprise);
        rows.appendVarchar(r.device);
        rows.appendVarchar(r.runs);
        rows.endRow();
      }
      rows.flushSync();
    } finally {
      rows.closeSync();
    }
    const links = await writer.createAppender('runs_snapshot_links');
    try {
      for (const e of snapshot.links) {
        links.appendBigInt(width);
        links.appendBigInt(takenAt);
        links.appendBigInt(BigInt(e.time));
        links.appendVarchar(e.type);
        links.appendVarchar(e.enterprise);
        links.appendVarchar(e.node);
        links.appendVarchar(e.device ?? '');
        links.endRow();
      }
      links.flushSync();
    } finally {
      links.closeSync();
    }
    await writer.run('INSERT INTO runs_snapshot_done VALUES (?, ?, ?, ?)', [
      width,
      takenAt,
      BigInt(snapshot.rows.length),
      BigInt(snapshot.links.length),
    ]);
    for (const t of TABLES)
      await writer.run(`DELETE FROM ${t} WHERE width = ? AND taken_at <> ?`, [width, takenAt]);
    await writer.run('COMMIT');
  } catch (err) {
    await writer.run('ROLLBACK').catch(() => undefined);
    throw new Error(
      `duckdb write of the availability snapshot (${snapshot.rows.length} rows) at ${location} failed: ${messageOf(err)}`,
      { cause: err },
    );
  }
}

/** The newest complete snapshot of the width; `c` is a connection of the caller's own. */
export async function readSnapshot(c: DuckDBConnection, widthMs: number): Promise<RunsSnapshot | undefined> {
  const width = BigInt(widthMs);
  await c.run('BEGIN TRANSACTION');
  try {
    const done = await rowsOf(
      c,
      'SELECT taken_at, rows, links FROM runs_snapshot_done WHERE width = ? ORDER BY taken_at DESC LIMIT 1',
      [width],
    );
    const head = done[0];
    if (!head) return undefined;
    const takenAt = head[0] as bigint;
    const rows: RunsRow[] = (
      await rowsOf(c, 'SELECT enterprise, device, runs FROM runs_snapshot WHERE width = ? AND taken_at = ?', [
        width,
        takenAt,
      ])
    ).map(([enterprise, device, runs]) => ({
      enterprise: str(enterprise),
      device: str(device),
      runs: str(runs),
    }));
    const links: LinkEvent[] = [];
    for (const [time, type, enterprise, node, device] of await rowsOf(
      c,
      'SELECT time, type, enterprise, node, device FROM runs_snapshot_links WHERE width = ? AND taken_at = ?',
      [width, takenAt],
    )) {
      const t = str(type);
      if (isEventType(t)) links.push(linkEvent(Number(time), t, str(enterprise), str(node), str(device)));
    }
    if (rows.length !== Number(head[1]) || links.length !== Number(head[2])) {
      throw new Error(
        `availability snapshot of ${new Date(Number(takenAt)).toISOString()} holds ${rows.length} rows and ${links.length} links, its marker says ${Number(head[1])} and ${Number(head[2])}`,
      );
    }
    return { takenAt: Number(takenAt), rows, links: links.sort(compareEvents) };
  } finally {
    await c.run('COMMIT').catch(() => undefined);
  }
}

async function rowsOf(c: DuckDBConnection, sql: string, params: DuckDBValue[]): Promise<DuckDBValue[][]> {
  return (await c.runAndReadAll(sql, params)).getRows();
}

const str = (v: DuckDBValue | undefined): string => (typeof v === 'string' ? v : String(v));
