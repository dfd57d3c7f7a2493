/**
 * The DuckDB store's tables (docs/storage.md "DuckDB layout"), the statements that bring an older
 * file up to date, and the staging and merge statements of its writes.
 */

// Times are BIGINT ms, exactly the contract's numbers (the `telemetry` view adds a TIMESTAMP).
// A sample's identity is (enterprise, device, metric, time, node): node metrics (device '') of
// two gateways in one enterprise must not collide; InfluxDB keys them by the node tag the same way.
// `samples` has no PRIMARY KEY: its ART index made inserts 2–3× slower, slowing further as it grew
// (bench/store.ts; docs/storage.md). The single writer connection enforces uniqueness instead
// (MERGE_SAMPLES). The small tables keep their keys and INSERT OR IGNORE.
// `written` (ms, the writer's clock at the first write of the row) lets a restart load only what
// arrived after the availability snapshot: rows are appended in that order, so the zone maps of
// the column skip everything older.
// The snapshot tables hold one snapshot per width (runs_snapshot_done marks the complete one).
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS samples (
  enterprise VARCHAR NOT NULL, node VARCHAR NOT NULL, device VARCHAR NOT NULL, metric VARCHAR NOT NULL,
  time BIGINT NOT NULL, value DOUBLE, value_bool BOOLEAN, value_str VARCHAR,
  good BOOLEAN NOT NULL, historical BOOLEAN NOT NULL);
CREATE TABLE IF NOT EXISTS online (
  width BIGINT NOT NULL, enterprise VARCHAR NOT NULL, device VARCHAR NOT NULL, bucket BIGINT NOT NULL,
  PRIMARY KEY (width, enterprise, device, bucket));
CREATE TABLE IF NOT EXISTS link_events (
  time BIGINT NOT NULL, type VARCHAR NOT NULL, enterprise VARCHAR NOT NULL, node VARCHAR NOT NULL,
  device VARCHAR NOT NULL, PRIMARY KEY (time, type, enterprise, node, device));
ALTER TABLE online ADD COLUMN IF NOT EXISTS written BIGINT;
ALTER TABLE link_events ADD COLUMN IF NOT EXISTS written BIGINT;
CREATE TABLE IF NOT EXISTS runs_snapshot (
  width BIGINT NOT NULL, taken_at BIGINT NOT NULL, enterprise VARCHAR NOT NULL, device VARCHAR NOT NULL,
  runs VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS runs_snapshot_links (
  width BIGINT NOT NULL, taken_at BIGINT NOT NULL, time BIGINT NOT NULL, type VARCHAR NOT NULL,
  enterprise VARCHAR NOT NULL, node VARCHAR NOT NULL, device VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS runs_snapshot_done (
  width BIGINT NOT NULL, taken_at BIGINT NOT NULL, rows BIGINT NOT NULL, links BIGINT NOT NULL,
  PRIMARY KEY (width, taken_at));
CREATE OR REPLACE VIEW telemetry AS SELECT epoch_ms(time) AS ts, * FROM samples;
`;

// New samples only: first of each identity within the batch, and none already stored. The time
// bounds ($1, $2 = the batch's min and max) are constants, so the scan of `samples` skips every
// row group whose zone map lies outside them: the cost follows the batch, not the table.
export const MERGE_SAMPLES = `
INSERT INTO samples SELECT * FROM (
  SELECT DISTINCT ON (enterprise, device, metric, time, node) * FROM stage_samples) s
WHERE NOT EXISTS (
  SELECT 1 FROM samples t WHERE t.time BETWEEN $1 AND $2 AND t.time = s.time
    AND t.enterprise = s.enterprise AND t.device = s.device AND t.metric = s.metric AND t.node = s.node)`;

export const mergeInto = (table: string): string =>
  `INSERT OR IGNORE INTO ${table} SELECT * FROM stage_${table}`;

// Staging tables live in the writer connection's TEMP catalog: never written to the file.
export const STAGING = ['samples', 'online', 'link_events']
  .map((t) => `CREATE TEMP TABLE IF NOT EXISTS stage_${t} AS SELECT * FROM ${t} LIMIT 0;`)
  .join('\n');
