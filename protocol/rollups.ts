/**
 * Rollups for long-range charts: per tower and sensor, the min, max, mean and count of the readings
 * in each minute and each hour. Computed from the archive (`protocol/archive.ts`), one UTC day at a
 * time, by the one statement below (DuckDB locally, Athena in AWS), and written as a whole day
 * partition that replaces the previous one.
 *
 * Why the archive and not the edge, the writer or a tumbling window: the archive is the one store
 * that holds every reading with its identity (tower_id, seq, reading_index), so the statement can drop
 * a redelivered batch with DISTINCT and a recomputed day is the same day however often it runs or
 * however late a backlog arrives. An edge summary loses its open minute on a restart and would differ
 * from the stored readings; the writer would need a read-modify-write per batch and per bucket to
 * merge minutes that span two batches (at 1,000 towers × one batch a minute that is 43 M
 * conditional writes a month, more than the raw storage); a Lambda tumbling window groups by arrival
 * time per shard and counts a redelivery again in a later window.
 */
import { ARCHIVE_PARTITION, archiveDay, dtRangeFor } from './archive.js';
import { assertTowerId, SENSOR_ID_PATTERN } from './ids.js';

export const ROLLUP_RESOLUTIONS = {
  '1m': { table: 'rollups_1m', unit: 'minute', ms: 60_000 },
  '1h': { table: 'rollups_1h', unit: 'hour', ms: 3_600_000 },
} as const;
export type RollupResolution = keyof typeof ROLLUP_RESOLUTIONS;
export const ROLLUP_RESOLUTION_NAMES = Object.keys(ROLLUP_RESOLUTIONS) as RollupResolution[];

/** Columns of a rollup table (`bucket` is the start of the minute or hour, UTC; `dt` the day partition). */
export const ROLLUP_COLUMNS = [
  { name: 'tower_id', type: 'string', comment: 'Tower' },
  { name: 'sensor_id', type: 'string', comment: 'Sensor' },
  { name: 'bucket', type: 'timestamp', comment: 'Start of the minute or hour, UTC' },
  { name: 'min_value', type: 'double', comment: 'Lowest reading value in the bucket' },
  { name: 'max_value', type: 'double', comment: 'Highest reading value in the bucket' },
  { name: 'mean_value', type: 'double', comment: 'Mean of the reading values in the bucket' },
  { name: 'readings', type: 'bigint', comment: 'Readings with a value in the bucket (each counted once)' },
] as const;

/** A rollup row as the engines return it (bucket in epoch ms). */
export interface RollupRow {
  towerId: string;
  sensorId: string;
  bucket: number;
  min: number;
  max: number;
  mean: number;
  count: number;
}

/** One tower's rollups in `[fromMs, toMs)` (bucket start times), optionally one sensor. */
export interface RollupQuery {
  towerId: string;
  sensorId?: string;
  resolution: RollupResolution;
  fromMs: number;
  toMs: number;
}

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

function assertDay(day: string): void {
  if (!DAY_PATTERN.test(day) || archiveDay(Date.parse(`${day}T00:00:00Z`)) !== day) {
    throw new Error(`rollup day ${JSON.stringify(day)} is not a YYYY-MM-DD date`);
  }
}

/** `TIMESTAMP 'YYYY-MM-DD HH:MM:SS'`: the literal both DuckDB and Trino read. */
export function timestampLiteral(epochMs: number): string {
  return `TIMESTAMP '${new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ')}'`;
}

/** Which readings a rollup statement covers: `[fromMs, toMs)`, optionally one tower and one sensor. */
export interface RollupScope {
  fromMs: number;
  toMs: number;
  towerId?: string;
  sensorId?: string;
}

/**
 * The rollup statement over the `readings` table, valid in DuckDB and in Athena (Trino). It reads the
 * partitions of the range and the slack before it (a message's readings stay in the partition of its
 * earliest one), keeps the range's readings, and counts every reading once however often it was
 * delivered. Readings without a value (failed reads) are not in the statistics. Ids are checked
 * against the protocol's patterns, so nothing but an id reaches the SQL text.
 */
export function rollupSql(resolution: RollupResolution, scope: RollupScope): string {
  const { unit } = ROLLUP_RESOLUTIONS[resolution];
  if (!(Number.isFinite(scope.fromMs) && Number.isFinite(scope.toMs) && scope.fromMs < scope.toMs)) {
    throw new Error('rollup range must have from before to');
  }
  const { from, to } = dtRangeFor(scope.fromMs, scope.toMs - 1);
  const filters = [
    `${ARCHIVE_PARTITION.key} BETWEEN '${from}' AND '${to}'`,
    `ts >= ${timestampLiteral(scope.fromMs)} AND ts < ${timestampLiteral(scope.toMs)}`,
  ];
  if (scope.towerId !== undefined) filters.push(`tower_id = '${assertTowerId(scope.towerId)}'`);
  if (scope.sensorId !== undefined) {
    if (!SENSOR_ID_PATTERN.test(scope.sensorId))
      throw new Error(`sensor id ${JSON.stringify(scope.sensorId)} is not valid`);
    filters.push(`sensor_id = '${scope.sensorId}'`);
  }
  return [
    `SELECT tower_id, sensor_id, date_trunc('${unit}', ts) AS bucket,`,
    '  min(value) AS min_value, max(value) AS max_value,',
    // An exact decimal sum, not avg(double): a float sum depends on the order the engine adds in,
    // and a recomputed day must equal the first one to the last bit.
    '  CAST(sum(CAST(value AS DECIMAL(38, 9))) AS DOUBLE) / count(value) AS mean_value, count(value) AS readings',
    'FROM (',
    '  SELECT DISTINCT tower_id, seq, reading_index, sensor_id, ts, value FROM readings',
    `  WHERE ${filters.join('\n    AND ')}`,
    ') AS r',
    'WHERE value IS NOT NULL',
    `GROUP BY tower_id, sensor_id, date_trunc('${unit}', ts)`,
  ].join('\n');
}

/** The rollup of one whole UTC day (what a day partition of a rollup table holds). */
export function rollupDaySql(resolution: RollupResolution, day: string): string {
  assertDay(day);
  const start = Date.parse(`${day}T00:00:00Z`);
  return rollupSql(resolution, { fromMs: start, toMs: start + DAY_MS });
}

/** Days whose rollup a write into the readings partition `dt` can change: that day and the next. */
export function rollupDaysAffectedBy(dt: string): string[] {
  assertDay(dt);
  const start = Date.parse(`${dt}T00:00:00Z`);
  const days: string[] = [];
  for (let d = 0; d <= ARCHIVE_PARTITION.lowerSlackDays; d++) days.push(archiveDay(start + d * DAY_MS));
  return days;
}
