/**
 * The DuckDB engine: an in-memory database whose `readings` and `alerts` views read the Parquet files
 * of a local archive folder (`<archive>/<table>/dt=YYYY-MM-DD/*.parquet`, what `towerwatch local`
 * writes), so the SQL that runs in Athena runs here on the same layout.
 */
import { existsSync, statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  QueryError,
  QueryFailedError,
  type QueryEngine,
  type QueryResult,
  rowObject,
  uniqueColumnNames,
} from '../../cloud/query/index.js';
import { ARCHIVE_TABLE_NAMES } from '../../protocol/index.js';
import { duckdbColumnKind, queryValueConverter } from './values.js';
import { archiveViewSql, tableHasFiles } from './views.js';

/** DuckDB's message in one line: its first paragraph (the `LINE 1: … ^` pointer after it is dropped). */
export function duckdbErrorLine(e: unknown): string {
  const message = (e as Error).message ?? String(e);
  return message
    .split('\n\n')[0]!
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

/** Refuses a folder that is not there with the flag to fix and how an archive comes to be. */
export function assertArchiveDir(archiveDir: string, flag = '--archive'): void {
  if (!existsSync(archiveDir)) {
    throw new QueryError(
      `${flag} ${archiveDir} does not exist: start the local stack (npm start) to write the archive there, or name the folder with --archive`,
    );
  }
  if (!statSync(archiveDir).isDirectory()) {
    throw new QueryError(`${flag} ${archiveDir} is not a folder: name the archive folder with --archive`);
  }
}

export async function openArchiveEngine(archiveDir: string): Promise<QueryEngine> {
  assertArchiveDir(archiveDir);
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  const close = async () => {
    db.closeSync();
    instance.closeSync();
  };
  try {
    for (const table of ARCHIVE_TABLE_NAMES) {
      await db.run(archiveViewSql(archiveDir, table, tableHasFiles(archiveDir, table)));
    }
  } catch (e) {
    await close();
    throw new QueryFailedError(`cannot open the archive in ${archiveDir}: ${duckdbErrorLine(e)}`);
  }
  return {
    name: 'duckdb',
    async run(sql: string): Promise<QueryResult> {
      let reader: Awaited<ReturnType<typeof db.runAndReadAll>>;
      try {
        reader = await db.runAndReadAll(sql);
      } catch (e) {
        throw new QueryFailedError(duckdbErrorLine(e));
      }
      const types = reader.columnTypes();
      const names = uniqueColumnNames(reader.columnNames());
      const columns = names.map((name, i) => ({
        name,
        kind: duckdbColumnKind(types[i]!),
        engineType: types[i]!.toString(),
      }));
      return {
        columns,
        rows: reader.convertRows(queryValueConverter).map((cells) => rowObject(names, cells)),
      };
    },
    close,
  };
}
