/**
 * The archive's tables as DuckDB views, with the columns the Glue tables have in AWS: the
 * ARCHIVE_TABLES columns (and the rollup tables' ROLLUP_COLUMNS), then the `dt` partition as text.
 *
 * Each view reads a schema file first: an empty Parquet file of the declared columns and types, in a
 * partition no query asks for (`dt=0000-00-00`). DuckDB binds a multi-file scan to the schema of its
 * first file; with a glob alone that is the oldest partition's first file, which every query would
 * open, even one whose `dt` filter prunes that day, and whose types would become the view's. With the
 * schema file first the view has the declared types (a later file's are cast to them), a `dt` filter
 * prunes partitions before any of their files is opened, and a table without files yet is the same
 * view over the schema file alone: an empty relation of the same columns.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  ARCHIVE_COLUMN_TYPES,
  ARCHIVE_PARTITION,
  ARCHIVE_TABLE_NAMES,
  ARCHIVE_TABLES,
  type ArchiveColumnType,
  ROLLUP_COLUMNS,
  ROLLUP_RESOLUTION_NAMES,
  ROLLUP_RESOLUTIONS,
} from '../../protocol/index.js';

export interface ArchiveView {
  /** View name, also the table's folder in the archive. */
  readonly name: string;
  /** Which files of a partition folder belong to the table. */
  readonly files: { readonly glob: string; matches(fileName: string): boolean };
  readonly columns: readonly { readonly name: string; readonly type: ArchiveColumnType }[];
}

const ANY_PARQUET = { glob: '*.parquet', matches: (f: string) => f.endsWith('.parquet') };
// The one file a rollup day partition holds (local/rollups writes it, temp + rename).
const ROLLUP_FILE = 'rollup.parquet';

export const ARCHIVE_VIEWS: readonly ArchiveView[] = [
  ...ARCHIVE_TABLE_NAMES.map((table) => ({
    name: table,
    files: ANY_PARQUET,
    columns: ARCHIVE_TABLES[table].columns,
  })),
  ...ROLLUP_RESOLUTION_NAMES.map((resolution) => ({
    name: ROLLUP_RESOLUTIONS[resolution].table,
    files: { glob: ROLLUP_FILE, matches: (f: string) => f === ROLLUP_FILE },
    columns: ROLLUP_COLUMNS,
  })),
];

/** The partition value of the schema files: before any day, so no range ever selects it. */
const SCHEMA_PARTITION = '0000-00-00';

/** A SQL string literal (paths only: nothing a user types reaches these statements). */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** Whether a partition folder of the view holds one of its files yet (read_parquet refuses an empty glob). */
export function viewHasFiles(archiveDir: string, view: ArchiveView): boolean {
  const dir = join(archiveDir, view.name);
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { withFileTypes: true }).some(
    (d) => d.isDirectory() && readdirSync(join(dir, d.name)).some((f) => view.files.matches(f)),
  );
}

/** Writes the view's empty schema file under `schemaDir` and returns its path. */
export async function writeSchemaFile(
  db: DuckDBConnection,
  schemaDir: string,
  view: ArchiveView,
): Promise<string> {
  const dir = join(schemaDir, view.name, `${ARCHIVE_PARTITION.key}=${SCHEMA_PARTITION}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'schema.parquet');
  const typed = view.columns.map((c) => `CAST(NULL AS ${ARCHIVE_COLUMN_TYPES[c.type]}) AS ${c.name}`);
  await db.run(`COPY (SELECT ${typed.join(', ')} WHERE false) TO ${literal(file)} (FORMAT PARQUET)`);
  return file;
}

/** The view over the schema file and, once the table has any, the archive's files of the table. */
export function archiveViewSql(
  archiveDir: string,
  view: ArchiveView,
  schemaFile: string,
  hasFiles: boolean,
): string {
  const key = ARCHIVE_PARTITION.key;
  const sources = [schemaFile, ...(hasFiles ? [join(archiveDir, view.name, '*', view.files.glob)] : [])];
  return [
    `CREATE OR REPLACE VIEW ${view.name} AS SELECT ${[...view.columns.map((c) => c.name), key].join(', ')}`,
    `FROM read_parquet([${sources.map(literal).join(', ')}], hive_partitioning = true, hive_types = {'${key}': VARCHAR})`,
  ].join(' ');
}
