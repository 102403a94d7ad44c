import { renameSync, statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { ARCHIVE_COLUMN_TYPES, ARCHIVE_TABLES, type ArchiveTable } from '../../protocol/index.js';

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** How the rows of a file are laid out: the Parquet levers the bench compares. */
export interface ParquetLayout {
  /** Sort by tower, sensor, time (neighbouring values alike: smaller files). Default true. */
  sorted?: boolean;
  /** Parquet format version: V2 adds delta encodings. Default V2. */
  version?: 'V1' | 'V2';
  compression?: 'SNAPPY' | 'ZSTD' | 'UNCOMPRESSED';
}

/** The SELECT turning staged JSON rows (ts in epoch ms) into the table's typed columns. */
export function rowsSelect(table: ArchiveTable, jsonFile: string, sorted = true): string {
  const cols = ARCHIVE_TABLES[table].columns;
  const jsonTypes = cols
    .map((c) => `'${c.name}': '${c.type === 'timestamp' ? 'BIGINT' : ARCHIVE_COLUMN_TYPES[c.type]}'`)
    .join(', ');
  const select = cols
    .map((c) => (c.type === 'timestamp' ? `make_timestamp(${c.name} * 1000) AS ${c.name}` : c.name))
    .join(', ');
  return [
    `SELECT ${select} FROM read_json(${literal(jsonFile)}, columns = {${jsonTypes}}, format = 'newline_delimited')`,
    sorted ? 'ORDER BY tower_id, sensor_id, ts' : '',
  ].join(' ');
}

/**
 * Parquet through DuckDB: the one maintained engine that both writes Parquet and queries it from
 * Node (the pure-JS writers are unmaintained or slow). A file is written under a temporary name and
 * renamed, so no reader ever sees half of one.
 */
export class ParquetWriter {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly db: Awaited<ReturnType<DuckDBInstance['connect']>>,
  ) {}

  static async open(): Promise<ParquetWriter> {
    const instance = await DuckDBInstance.create(':memory:');
    return new ParquetWriter(instance, await instance.connect());
  }

  /** Writes the staged rows of `jsonFile` to `outFile`; resolves with the rows and bytes written. */
  async write(
    table: ArchiveTable,
    jsonFile: string,
    outFile: string,
    layout: ParquetLayout = {},
  ): Promise<{ rows: number; bytes: number }> {
    const tmp = `${outFile}.tmp`;
    const options = [
      'FORMAT PARQUET',
      `COMPRESSION ${layout.compression ?? 'SNAPPY'}`,
      `PARQUET_VERSION ${layout.version ?? 'V2'}`,
    ].join(', ');
    const result = await this.db.run(
      `COPY (${rowsSelect(table, jsonFile, layout.sorted ?? true)}) TO ${literal(tmp)} (${options})`,
    );
    const rows = Number(result.rowsChanged);
    renameSync(tmp, outFile);
    return { rows, bytes: statSync(outFile).size };
  }

  close(): void {
    this.db.closeSync();
    this.instance.closeSync();
  }
}
