/**
 * The DuckDB engine: an in-memory database whose `readings` and `alerts` views read the Parquet files
 * of a local archive folder (`<archive>/<table>/dt=YYYY-MM-DD/*.parquet`, what `towerwatch local`
 * writes), so the SQL that runs in Athena runs here on the same layout; `rollups_1m` and `rollups_1h`
 * read the rollup days beside them (`<archive>/rollups_1m/dt=YYYY-MM-DD/rollup.parquet`).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  QueryError,
  QueryFailedError,
  type QueryEngine,
  type QueryResult,
  rowObject,
  uniqueColumnNames,
} from '../../cloud/query/index.js';
import { duckdbColumnKind, queryValueConverter } from './values.js';
import { ARCHIVE_VIEWS, type ArchiveView, archiveViewSql, viewHasFiles, writeSchemaFile } from './views.js';

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
  const schemaDir = mkdtempSync(join(tmpdir(), 'towerwatch-query-schema-'));
  const close = async () => {
    db.closeSync();
    instance.closeSync();
    rmSync(schemaDir, { recursive: true, force: true });
  };
  /** The views still over their schema file alone: looked at again before each statement. */
  const empty = new Map<ArchiveView, string>();
  const createView = async (view: ArchiveView, schemaFile: string) => {
    const hasFiles = viewHasFiles(archiveDir, view);
    await db.run(archiveViewSql(archiveDir, view, schemaFile, hasFiles));
    if (hasFiles) empty.delete(view);
    else empty.set(view, schemaFile);
  };
  try {
    for (const view of ARCHIVE_VIEWS) await createView(view, await writeSchemaFile(db, schemaDir, view));
  } catch (e) {
    await close();
    throw new QueryFailedError(`cannot open the archive in ${archiveDir}: ${duckdbErrorLine(e)}`);
  }
  return {
    name: 'duckdb',
    async run(sql: string): Promise<QueryResult> {
      let reader: Awaited<ReturnType<typeof db.runAndReadAll>>;
      try {
        // A table's first file (the archiver's first flush) turns its empty view into one over files.
        for (const [view, schemaFile] of [...empty]) {
          if (viewHasFiles(archiveDir, view)) await createView(view, schemaFile);
        }
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
