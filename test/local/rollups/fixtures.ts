import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { rowsSelect } from '../../../local/archive/index.js';
import type { ReadingRow } from '../../../protocol/index.js';

export const DAY = Date.UTC(2026, 11, 1);

/** Writes rows as one Parquet file of the readings table in partition `dt` (as the archiver lays them out). */
export async function writeReadings(
  archive: string,
  dt: string,
  name: string,
  rows: ReadingRow[],
): Promise<void> {
  const dir = join(archive, 'readings', `dt=${dt}`);
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.jsonl`);
  writeFileSync(json, rows.map((r) => JSON.stringify(r)).join('\n'));
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  await db.run(
    `COPY (${rowsSelect('readings', json, false)}) TO '${join(dir, `${name}.parquet`)}' (FORMAT PARQUET)`,
  );
  db.closeSync();
  instance.closeSync();
}

export function readings(
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
      rows.push({
        tower_id: towerId,
        sensor_id,
        ts: t0 + i * stepMs,
        value: index % 17 === 5 ? null : Math.round((20 + s * 10 + Math.sin(i / 7) * 3) * 100) / 100,
        quality: index % 17 === 5 ? 'bad' : 'good',
        seq,
        reading_index: index,
      });
    });
  }
  return rows;
}

/** The expected rollup, computed here from the rows (not by SQL). */
export function expected(rows: ReadingRow[], bucketMs: number, towerId: string, sensorId: string) {
  const buckets = new Map<number, number[]>();
  for (const r of rows) {
    if (r.tower_id !== towerId || r.sensor_id !== sensorId || r.value === null) continue;
    const b = Math.floor(r.ts / bucketMs) * bucketMs;
    buckets.set(b, [...(buckets.get(b) ?? []), r.value]);
  }
  return [...buckets]
    .sort(([a], [b]) => a - b)
    .map(([bucket, v]) => ({
      bucket,
      min: Math.min(...v),
      max: Math.max(...v),
      mean: v.reduce((a, b) => a + b, 0) / v.length,
      count: v.length,
    }));
}

// Every archive a test file made is removed after that file (this hook joins the importing file's suite).
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export async function archiveWith(batches: { dt: string; name: string; rows: ReadingRow[] }[]) {
  const archive = mkdtempSync(join(tmpdir(), 'tw-rollups-'));
  made.push(archive);
  for (const b of batches) await writeReadings(archive, b.dt, b.name, b.rows);
  return archive;
}
