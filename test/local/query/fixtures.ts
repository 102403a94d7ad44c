/**
 * Archive folders for the query tests, laid out as the local archiver writes them:
 * `<archive>/<table>/dt=YYYY-MM-DD/<name>.parquet`, the ARCHIVE_TABLES columns with their
 * ARCHIVE_COLUMN_TYPES types (`ts` a UTC TIMESTAMP), written by DuckDB, Snappy-compressed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { rowsSelect } from '../../../local/archive/index.js';
import { type AlertRow, type ArchiveTable, archiveDay, type ReadingRow } from '../../../protocol/index.js';

export interface ArchiveFile {
  table: ArchiveTable;
  dt: string;
  name: string;
  rows: (ReadingRow | AlertRow)[];
}

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Writes each file (JSON rows → typed Parquet through DuckDB) into a new temporary archive folder. */
// Every archive a test file made is removed after that file (this hook joins the importing file's suite).
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export async function archiveOf(files: ArchiveFile[]): Promise<string> {
  const archive = mkdtempSync(join(tmpdir(), 'tw-query-'));
  made.push(archive);
  const staging = mkdtempSync(join(tmpdir(), 'tw-query-rows-'));
  made.push(staging);
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    for (const [i, file] of files.entries()) {
      const dir = join(archive, file.table, `dt=${file.dt}`);
      mkdirSync(dir, { recursive: true });
      const json = join(staging, `${i}.jsonl`);
      writeFileSync(json, file.rows.map((r) => JSON.stringify(r)).join('\n'));
      await db.run(
        `COPY (${rowsSelect(file.table, json, false)}) TO '${join(dir, `${file.name}.parquet`)}' (FORMAT PARQUET, COMPRESSION SNAPPY)`,
      );
    }
  } finally {
    db.closeSync();
    instance.closeSync();
  }
  return archive;
}

/** A file that is not Parquet at all: any engine that opens it fails. */
export function writeCorruptFile(archive: string, table: ArchiveTable, dt: string): void {
  const dir = join(archive, table, `dt=${dt}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'corrupt.parquet'), 'this is not a parquet file');
}

/** One telemetry batch: `count` readings per sensor every `stepMs` from `t0`, indexes in order. */
export function batch(
  towerId: string,
  seq: number,
  t0: number,
  sensors: string[],
  count: number,
  stepMs: number,
) {
  const rows: ReadingRow[] = [];
  for (let i = 0; i < count; i++) {
    sensors.forEach((sensor_id, s) => {
      const index = i * sensors.length + s;
      const bad = (seq * 7 + index) % 23 === 4;
      rows.push({
        tower_id: towerId,
        sensor_id,
        ts: t0 + i * stepMs,
        value: bad ? null : Math.round((15 + s * 20 + Math.sin(seq + i / 3) * 6) * 100) / 100,
        quality: bad ? 'bad' : 'good',
        seq,
        reading_index: index,
      });
    });
  }
  return rows;
}

/** Files of batches as the archiver groups them: each batch in the partition of its first reading. */
export function filesOf(
  table: ArchiveTable,
  batches: (ReadingRow | AlertRow)[][],
  name: string,
): ArchiveFile[] {
  const byDt = new Map<string, (ReadingRow | AlertRow)[]>();
  for (const rows of batches) {
    if (rows.length === 0) continue;
    const dt = archiveDay(Math.min(...rows.map((r) => r.ts)));
    byDt.set(dt, [...(byDt.get(dt) ?? []), ...rows]);
  }
  return [...byDt].map(([dt, rows]) => ({ table, dt, name, rows }));
}

export function alert(
  towerId: string,
  alertId: string,
  state: 'raise' | 'clear',
  ts: number,
  severity: string,
): AlertRow {
  return {
    tower_id: towerId,
    sensor_id: 'temp-cabinet',
    ts,
    value: 61.5,
    alert_id: alertId,
    state,
    rule: 'threshold-high',
    severity,
    threshold: 60,
  };
}
