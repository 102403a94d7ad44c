/**
 * The archive's tables as DuckDB views, with the columns the Glue tables have in AWS: the
 * ARCHIVE_TABLES columns, then the `dt` partition as text.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARCHIVE_COLUMN_TYPES,
  ARCHIVE_PARTITION,
  ARCHIVE_TABLES,
  type ArchiveTable,
} from '../../protocol/index.js';

/** A SQL string literal (paths only: nothing a user types reaches these statements). */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** Whether `<archiveDir>/<table>/<partition>/` holds a Parquet file yet (read_parquet refuses an empty glob). */
export function tableHasFiles(archiveDir: string, table: ArchiveTable): boolean {
  const dir = join(archiveDir, table);
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { withFileTypes: true }).some(
    (d) => d.isDirectory() && readdirSync(join(dir, d.name)).some((f) => f.endsWith('.parquet')),
  );
}

/**
 * The view of one table. Over its files: the table's columns by name (a file written with the
 * delivery stream's union schema carries the other table's columns too) and `dt` from the path, so
 * a `dt` filter prunes whole partitions before a file is opened. Without files yet: an empty
 * relation of the same columns and types, so a query over a new archive returns no rows, not an error.
 */
export function archiveViewSql(archiveDir: string, table: ArchiveTable, hasFiles: boolean): string {
  const columns = ARCHIVE_TABLES[table].columns;
  const key = ARCHIVE_PARTITION.key;
  if (!hasFiles) {
    const typed = columns.map((c) => `CAST(NULL AS ${ARCHIVE_COLUMN_TYPES[c.type]}) AS ${c.name}`);
    return `CREATE OR REPLACE VIEW ${table} AS SELECT ${[...typed, `CAST(NULL AS VARCHAR) AS ${key}`].join(', ')} WHERE false`;
  }
  const glob = literal(join(archiveDir, table, '*', '*.parquet'));
  return [
    `CREATE OR REPLACE VIEW ${table} AS SELECT ${[...columns.map((c) => c.name), key].join(', ')}`,
    `FROM read_parquet(${glob}, hive_partitioning = true, hive_types = {'${key}': VARCHAR})`,
  ].join(' ');
}
