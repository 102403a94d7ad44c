/**
 * The archive: every reading and every alert transition as a Parquet row in S3 (Firehose in AWS,
 * the local stack's archiver on one machine), queried with SQL (Athena, DuckDB). Defined once here:
 * the CDK app derives the Glue tables from these columns, the Firehose processor and the local
 * archiver write rows of this shape, and the query presets read them.
 *
 * One delivery stream carries both tables (a second stream would be a fifth consumer of every shard,
 * past Kinesis' five reads per second per shard): it converts with one Glue schema, the union of the
 * two tables' columns, and the processor routes each record to its table through dynamic
 * partitioning (`table`, `dt`). A column a table does not have is null in its files, which costs
 * Parquet almost nothing.
 */

/** Glue column types the tables use (Hive DDL names) and the DuckDB type of each. */
export const ARCHIVE_COLUMN_TYPES = {
  string: 'VARCHAR',
  timestamp: 'TIMESTAMP',
  double: 'DOUBLE',
  bigint: 'BIGINT',
  int: 'INTEGER',
} as const;
export type ArchiveColumnType = keyof typeof ARCHIVE_COLUMN_TYPES;

export interface ArchiveColumn {
  readonly name: string;
  readonly type: ArchiveColumnType;
  readonly comment: string;
}

const TOWER_ID = {
  name: 'tower_id',
  type: 'string',
  comment: 'Tower (thing name) from the authorised topic',
} as const;
const SENSOR_ID = {
  name: 'sensor_id',
  type: 'string',
  comment: 'Sensor id (`tower` for tower-wide alerts)',
} as const;
// `ts`, not `time`: TIME is a reserved word in Athena DDL.
const TS = {
  name: 'ts',
  type: 'timestamp',
  comment: 'Reading or transition time on the tower, UTC',
} as const;
const VALUE = {
  name: 'value',
  type: 'double',
  comment: 'Reading value; null when the read failed (quality bad)',
} as const;

export const ARCHIVE_TABLES = {
  readings: {
    description: 'Every telemetry reading, one row each; (tower_id, seq, reading_index) names a reading',
    columns: [
      TOWER_ID,
      SENSOR_ID,
      TS,
      VALUE,
      { name: 'quality', type: 'string', comment: 'good, uncertain or bad' },
      { name: 'seq', type: 'bigint', comment: 'Telemetry batch sequence number, per tower' },
      { name: 'reading_index', type: 'int', comment: 'Position of the reading in its batch' },
    ],
    /** Columns that name a row: a redelivered batch writes rows identical in every column, these included. */
    identity: ['tower_id', 'seq', 'reading_index'],
  },
  alerts: {
    description:
      'Every alert transition (raise, clear) the towers sent; (tower_id, alert_id, state) names one',
    columns: [
      TOWER_ID,
      SENSOR_ID,
      TS,
      VALUE,
      { name: 'alert_id', type: 'string', comment: 'Incident id; the raise and its clear share it' },
      { name: 'state', type: 'string', comment: 'raise or clear' },
      { name: 'rule', type: 'string', comment: 'Detector rule (threshold-high, flat-line, ...)' },
      { name: 'severity', type: 'string', comment: 'info, warning or critical' },
      { name: 'threshold', type: 'double', comment: 'Threshold the rule compared against, when it has one' },
    ],
    identity: ['tower_id', 'alert_id', 'state'],
  },
} as const satisfies Record<
  string,
  { description: string; columns: readonly ArchiveColumn[]; identity: readonly string[] }
>;
export type ArchiveTable = keyof typeof ARCHIVE_TABLES;
export const ARCHIVE_TABLE_NAMES = Object.keys(ARCHIVE_TABLES) as ArchiveTable[];

/** The union schema the delivery stream converts with: every column of every table, once, in table order. */
export const ARCHIVE_UNION_COLUMNS: readonly ArchiveColumn[] = (() => {
  const seen = new Map<string, ArchiveColumn>();
  for (const table of Object.values(ARCHIVE_TABLES)) {
    for (const column of table.columns) {
      const known = seen.get(column.name);
      if (known && known.type !== column.type) {
        throw new Error(`archive column ${column.name} has two types: ${known.type} and ${column.type}`);
      }
      if (!known) seen.set(column.name, column);
    }
  }
  return [...seen.values()];
})();

/**
 * Object layout: `<table>/dt=YYYY-MM-DD/<file>.parquet`. `dt` is the UTC day of the earliest
 * reading (or the transition) in the message: a message is one record and Firehose cannot split a
 * record, so the readings of a message that crosses midnight (or of a backlog bundle) after its
 * first day stay in that first day's partition. Queries over a time range therefore read one day
 * of partitions before the range (`dtRangeFor`); only days, not towers or hours: a fleet-wide day is
 * one partition, a tower prefix would multiply objects (and Athena's per-object cost) by the fleet.
 */
export const ARCHIVE_PARTITION = {
  key: 'dt',
  /** Glue partition projection format (Java date pattern) and its JavaScript equivalent. */
  projectionFormat: 'yyyy-MM-dd',
  /** First day partition projection knows of; the range ends at NOW. */
  projectionStart: '2026-01-01',
  /** Slack, in days, a time-range query adds before its first day (see above). */
  lowerSlackDays: 1,
} as const;

/** Firehose dynamic partitioning keys the processor returns, and the S3 prefix built from them. */
export const ARCHIVE_PARTITION_KEYS = ['table', 'dt'] as const;
export type ArchivePartitionKeys = Record<(typeof ARCHIVE_PARTITION_KEYS)[number], string>;
export const ARCHIVE_S3_PREFIX = '!{partitionKeyFromLambda:table}/dt=!{partitionKeyFromLambda:dt}/' as const;
export const ARCHIVE_ERROR_PREFIX =
  'errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/' as const;

/** The relative folder (S3 prefix, local directory) of one partition. */
export function archivePartitionPath(keys: ArchivePartitionKeys): string {
  return `${keys.table}/${ARCHIVE_PARTITION.key}=${keys.dt}`;
}

/** `YYYY-MM-DD` of an epoch-ms time, UTC: the partition value. */
export function archiveDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Partition values a query over `[fromMs, toMs]` must read (inclusive), the lower slack included. */
export function dtRangeFor(fromMs: number, toMs: number): { from: string; to: string } {
  const slackMs = ARCHIVE_PARTITION.lowerSlackDays * 86_400_000;
  return { from: archiveDay(fromMs - slackMs), to: archiveDay(toMs) };
}

/**
 * Firehose buffering, as the CDK app deploys it and the local archiver honours it. Parquet
 * conversion needs at least 64 MB; the largest hints make the fewest, largest files (Athena reads
 * fewer objects): at 1,000 towers × 20 sensors / 60 s a 900 s file is about 300,000 rows.
 */
export const ARCHIVE_BUFFERING = {
  sizeMb: 128,
  intervalSeconds: 900,
} as const;

/**
 * The processor Lambda's input buffer. A row is about 10 times the bytes of its compact reading and
 * the response goes back base64-encoded, so 0.25 MB of input returns under 3 MB, half the 6 MB
 * Lambda response limit.
 */
export const ARCHIVE_PROCESSOR_BUFFERING = {
  sizeMb: 0.25,
  intervalSeconds: 60,
} as const;

/** A reading row as the processor emits it (JSON, one object per row, `ts` in epoch ms). */
export interface ReadingRow {
  tower_id: string;
  sensor_id: string;
  ts: number;
  value: number | null;
  quality: 'good' | 'uncertain' | 'bad';
  seq: number;
  reading_index: number;
}

export interface AlertRow {
  tower_id: string;
  sensor_id: string;
  ts: number;
  value: number | null;
  alert_id: string;
  state: 'raise' | 'clear';
  rule: string;
  severity: string;
  threshold: number | null;
}

export type ArchiveRow = ReadingRow | AlertRow;

/**
 * Where archive objects go as they age (S3 lifecycle; the cost model prices the same days).
 * Parquet files of a day are tens of MB, far above the 128 KB minimum object size of the colder
 * classes; a month is rarely re-read after its first month, and a year-old one almost never, but
 * when it is the answer is wanted now: Glacier Instant Retrieval, not Flexible (hours to restore).
 * Errors (records Firehose could not convert or process) are kept only while someone may redrive them.
 */
export const ARCHIVE_STORAGE = {
  infrequentAccessAfterDays: 30,
  glacierInstantRetrievalAfterDays: 180,
  errorsExpireAfterDays: 30,
} as const;

/**
 * The catalog names the CDK app deploys and `towerwatch query --athena` defaults to. Glue names are
 * lower case with underscores only. `conversionTable` is the union schema Firehose converts with
 * (ARCHIVE_UNION_COLUMNS); it has no data of its own, users query `readings` and `alerts`.
 */
export const ARCHIVE_CATALOG = {
  database: 'towerwatch',
  workGroup: 'towerwatch',
  conversionTable: 'archive_conversion',
} as const;
