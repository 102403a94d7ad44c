import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { openRollupStore } from '../../../local/rollups/index.js';
import {
  ARCHIVE_COLUMN_TYPES,
  ARCHIVE_TABLES,
  archiveDay,
  type ReadingRow,
  rollupSql,
} from '../../../protocol/index.js';

const DAY = Date.UTC(2026, 11, 1);

/** Writes rows as one Parquet file of the readings table in partition `dt` (as the archiver lays them out). */
async function writeReadings(archive: string, dt: string, name: string, rows: ReadingRow[]): Promise<void> {
  const dir = join(archive, 'readings', `dt=${dt}`);
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.jsonl`);
  writeFileSync(json, rows.map((r) => JSON.stringify(r)).join('\n'));
  const columns = ARCHIVE_TABLES.readings.columns
    .map((c) => `'${c.name}': '${c.type === 'timestamp' ? 'BIGINT' : ARCHIVE_COLUMN_TYPES[c.type]}'`)
    .join(', ');
  const select = ARCHIVE_TABLES.readings.columns
    .map((c) => (c.type === 'timestamp' ? `make_timestamp(${c.name} * 1000) AS ${c.name}` : c.name))
    .join(', ');
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  await db.run(
    `COPY (SELECT ${select} FROM read_json('${json}', columns = {${columns}}, format = 'newline_delimited')) TO '${join(dir, `${name}.parquet`)}' (FORMAT PARQUET)`,
  );
  db.closeSync();
  instance.closeSync();
}

function readings(
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
function expected(rows: ReadingRow[], bucketMs: number, towerId: string, sensorId: string) {
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

async function archiveWith(batches: { dt: string; name: string; rows: ReadingRow[] }[]) {
  const archive = mkdtempSync(join(tmpdir(), 'tw-rollups-'));
  for (const b of batches) await writeReadings(archive, b.dt, b.name, b.rows);
  return archive;
}

const strip = (rows: { bucket: number; min: number; max: number; mean: number; count: number }[]) =>
  rows.map(({ bucket, min, max, mean, count }) => ({
    bucket,
    min,
    max,
    mean: Math.round(mean * 1e9) / 1e9,
    count,
  }));

describe('rollups from the archive (local/rollups)', () => {
  const sensors = ['temp-cabinet', 'voltage-dc'];
  // Two batches of one tower, 20 s apart readings over three hours, and another tower.
  const a = readings('tw-001', 1, DAY + 3_600_000, sensors, 300, 20_000);
  const b = readings('tw-001', 2, DAY + 3_600_000 + 300 * 20_000, sensors, 240, 20_000);
  const other = readings('tw-002', 1, DAY + 3_600_000, sensors, 100, 20_000);
  // A batch that starts before midnight and ends after: its rows live in the earlier partition.
  const late = readings('tw-001', 3, DAY + 86_400_000 - 60_000, sensors, 10, 20_000);

  it('min, max, mean and count per minute and per hour equal the readings', async () => {
    const archive = await archiveWith([
      { dt: archiveDay(DAY), name: 'a', rows: [...a, ...other] },
      { dt: archiveDay(DAY), name: 'b', rows: b },
    ]);
    const store = await openRollupStore(archive);
    await store.recomputeForPartitions([archiveDay(DAY)]);
    for (const [resolution, ms] of [
      ['1m', 60_000],
      ['1h', 3_600_000],
    ] as const) {
      const got = await store.read({
        towerId: 'tw-001',
        sensorId: 'voltage-dc',
        resolution,
        fromMs: DAY,
        toMs: DAY + 86_400_000,
      });
      expect(strip(got)).toEqual(strip(expected([...a, ...b], ms, 'tw-001', 'voltage-dc')));
      expect(got.every((r) => r.towerId === 'tw-001' && r.sensorId === 'voltage-dc')).toBe(true);
    }
    store.close();
  });

  it('a redelivered batch (its rows archived twice) changes no rollup', async () => {
    const once = await archiveWith([{ dt: archiveDay(DAY), name: 'a', rows: a }]);
    const twice = await archiveWith([
      { dt: archiveDay(DAY), name: 'a', rows: a },
      { dt: archiveDay(DAY), name: 'a-again', rows: a },
    ]);
    const query = { towerId: 'tw-001', resolution: '1m' as const, fromMs: DAY, toMs: DAY + 86_400_000 };
    const s1 = await openRollupStore(once);
    const s2 = await openRollupStore(twice);
    await s1.recompute([archiveDay(DAY)]);
    await s2.recompute([archiveDay(DAY)]);
    await s2.recompute([archiveDay(DAY)]);
    expect(await s2.read(query)).toEqual(await s1.read(query));
    expect((await s1.read(query)).reduce((n, r) => n + r.count, 0)).toBe(
      a.filter((r) => r.value !== null).length,
    );
    s1.close();
    s2.close();
  });

  it("readings after midnight in the previous day's partition roll up into their own day", async () => {
    const archive = await archiveWith([{ dt: archiveDay(DAY), name: 'late', rows: late }]);
    const store = await openRollupStore(archive);
    await store.recomputeForPartitions([archiveDay(DAY)]);
    const nextDay = await store.read({
      towerId: 'tw-001',
      resolution: '1h',
      fromMs: DAY + 86_400_000,
      toMs: DAY + 2 * 86_400_000,
    });
    const after = late.filter((r) => r.ts >= DAY + 86_400_000 && r.value !== null);
    expect(nextDay.reduce((n, r) => n + r.count, 0)).toBe(after.length);
    expect(after.length).toBeGreaterThan(0);
    store.close();
  });

  it('an empty archive reads no rollups; ids that are not ids never reach SQL', async () => {
    const archive = await archiveWith([]);
    const store = await openRollupStore(archive);
    await store.recompute([archiveDay(DAY)]);
    expect(await store.read({ towerId: 'tw-001', resolution: '1h', fromMs: DAY, toMs: DAY + 1 })).toEqual([]);
    store.close();
    expect(() => rollupSql('1h', { fromMs: DAY, toMs: DAY + 1, towerId: "x' OR '1'='1" })).toThrow(/tower/);
    expect(() => rollupSql('1h', { fromMs: DAY, toMs: DAY + 1, sensorId: "x'--" })).toThrow(/sensor id/);
    expect(() => rollupSql('1h', { fromMs: DAY, toMs: DAY })).toThrow(/from before to/);
  });
});
