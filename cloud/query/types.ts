import { ARCHIVE_CATALOG } from '../../protocol/index.js';

/** What a query engine returns, the same shape whichever engine (DuckDB locally, Athena in AWS) ran it. */

/** A cell: timestamps as ISO 8601 UTC text, integers as numbers when exact (else decimal text). */
export type QueryValue = string | number | boolean | null | QueryValue[] | { [key: string]: QueryValue };
export type QueryRow = Record<string, QueryValue>;

/** How a column's cells are written: numbers right-aligned in a table, the rest left. */
export type QueryColumnKind = 'text' | 'integer' | 'number' | 'boolean' | 'timestamp' | 'date' | 'other';

export interface QueryColumn {
  name: string;
  kind: QueryColumnKind;
  /** The engine's own type name (`BIGINT`, `varchar`, ...), for messages and `--format json` users. */
  engineType: string;
}

/** What running the query cost, where the engine reports it (Athena bills by bytes scanned). */
export interface QueryStats {
  queryId: string;
  dataScannedBytes?: number;
  engineMs?: number;
}

export interface QueryResult {
  columns: QueryColumn[];
  rows: QueryRow[];
  stats?: QueryStats;
}

export interface QueryEngine {
  readonly name: 'duckdb' | 'athena';
  run(sql: string): Promise<QueryResult>;
  close(): Promise<void>;
}

export const QUERY_FORMATS = ['table', 'csv', 'json'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

/**
 * Where Athena queries run unless `--workgroup` / `--database` say otherwise: the names the CDK app
 * gives the archive's workgroup and Glue database (its stack outputs print them).
 */
export const ATHENA_DEFAULTS = {
  workGroup: ARCHIVE_CATALOG.workGroup,
  database: ARCHIVE_CATALOG.database,
} as const;

/**
 * Polling of a running Athena query: an interactive query usually ends within seconds, so the first
 * look is quick and the wait doubles up to a ceiling (GetQueryExecution is throttled per account).
 */
export const ATHENA_POLL = {
  firstDelayMs: 200,
  maxDelayMs: 5_000,
  factor: 2,
  /** Results page size: GetQueryResults' maximum. */
  pageSize: 1_000,
  /** Default `--timeout`: a query still running after this is stopped (and is billed up to there). */
  timeoutMs: 600_000,
} as const;
