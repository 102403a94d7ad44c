// The archive: processor throughput, Parquet bytes per reading, a month's scan, rollups vs raw.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { processArchiveRecords } from '../cloud/functions/archive-processor/core.js';
import { ParquetWriter } from '../local/archive/index.js';
import { counterMetrics } from '../local/aws/metrics.js';
import { openRollupStore } from '../local/rollups/index.js';
import {
  archiveDay,
  ROLLUP_RESOLUTION_NAMES,
  ROLLUP_RESOLUTIONS,
  rollupDaySql,
  type TelemetryBatch,
} from '../protocol/index.js';
import type { BenchResult } from './lib/types.js';

const T0 = Date.UTC(2026, 10, 1);
const SENSORS = Array.from({ length: 20 }, (_, i) => `sensor-${String(i).padStart(2, '0')}`);
const quiet = { warn: () => {}, error: () => {} } as never;

/** A tower's batch as the edge sends it: 20 sensors read every `stepMs`, values to two decimals. */
function batch(tower: number, seq: number, t0: number, samples: number, stepMs: number): TelemetryBatch {
  const readings: TelemetryBatch['readings'] = [];
  for (let i = 0; i < samples; i++) {
    SENSORS.forEach((_, s) => {
      readings.push([
        s,
        i * stepMs,
        Math.round((20 + s + 3 * Math.sin((seq * samples + i) / 60 + tower)) * 100) / 100,
      ]);
    });
  }
  return {
    schema: 1,
    towerId: `tw-${String(tower).padStart(4, '0')}`,
    seq,
    sentAt: t0 + samples * stepMs,
    t0,
    sensors: SENSORS,
    readings,
  };
}

const ruleRecord = (b: TelemetryBatch, i: number) => ({
  recordId: String(i),
  data: Buffer.from(
    JSON.stringify({
      payload: Buffer.from(JSON.stringify(b)).toString('base64'),
      towerId: b.towerId,
      messageType: 'telemetry',
      receivedAt: b.sentAt + 100,
    }),
  ).toString('base64'),
});

/** Rows per second through the Firehose processor's core (flatten, encode, base64). */
function processorRowsPerSec(): { rowsPerSec: number; rows: number } {
  // 1,000 towers' one-minute batches (20 sensors / 60 s): what Firehose hands the Lambda.
  const records = Array.from({ length: 1000 }, (_, t) => ruleRecord(batch(t, 1, T0, 1, 60_000), t));
  const big = Array.from({ length: 200 }, (_, t) => ruleRecord(batch(t, 1, T0, 60, 1000), t));
  let rows = 0;
  const started = process.hrtime.bigint();
  for (let round = 0; round < 20; round++) {
    for (const set of [records, big]) {
      const metrics = counterMetrics();
      processArchiveRecords(set, { metrics, log: quiet });
      rows += metrics.totals.RowsArchived ?? 0;
    }
  }
  return { rowsPerSec: rows / (Number(process.hrtime.bigint() - started) / 1e9), rows };
}

/** Bytes per reading of one Firehose-sized file: 1,000 towers × 20 sensors / 60 s for 15 minutes. */
async function parquetBytesPerReading(dir: string) {
  const lines: string[] = [];
  for (let minute = 0; minute < 15; minute++) {
    for (let t = 0; t < 1000; t++) {
      const b = batch(t, minute, T0 + minute * 60_000, 1, 60_000);
      b.readings.forEach((r, i) => {
        lines.push(
          JSON.stringify({
            tower_id: b.towerId,
            sensor_id: SENSORS[r[0]],
            ts: b.t0 + r[1],
            value: r[2],
            quality: 'good',
            seq: b.seq,
            reading_index: i,
          }),
        );
      });
    }
  }
  const json = join(dir, 'staged.jsonl');
  writeFileSync(json, `${lines.join('\n')}\n`);
  const writer = await ParquetWriter.open();
  const layouts = {
    'sorted, V2, Snappy (the archiver)': {},
    'arrival order, V2, Snappy': { sorted: false },
    'sorted, V1, Snappy': { version: 'V1' },
    'sorted, V2, ZSTD': { compression: 'ZSTD' },
  } as const;
  const out: Record<string, number> = {};
  for (const [name, layout] of Object.entries(layouts)) {
    const { rows, bytes } = await writer.write(
      'readings',
      json,
      join(dir, `${Object.keys(out).length}.parquet`),
      layout,
    );
    out[name] = bytes / rows;
  }
  writer.close();
  return { perReading: out, rows: lines.length, jsonBytesPerReading: statSync(json).size / lines.length };
}

/** A month of 100 towers × 20 sensors / 60 s (86.4 M readings) written by DuckDB in the archive layout. */
async function generateMonth(dir: string, db: Awaited<ReturnType<DuckDBInstance['connect']>>) {
  const days = 30;
  for (let d = 0; d < days; d++) {
    const day = archiveDay(T0 + d * 86_400_000);
    const folder = join(dir, 'readings', `dt=${day}`);
    mkdirSync(folder, { recursive: true });
    await db.run(
      `COPY (
        SELECT printf('tw-%04d', t) AS tower_id, printf('sensor-%02d', s) AS sensor_id,
          make_timestamp((${T0 + d * 86_400_000}::BIGINT + m * 60000) * 1000) AS ts,
          round(20 + s + 3 * sin((${d * 1440} + m) / 60.0 + t), 2) AS value, 'good' AS quality,
          (${d * 1440} + m)::BIGINT AS seq, s::INTEGER AS reading_index
        FROM range(100) r1(t), range(1440) r2(m), range(20) r3(s)
        ORDER BY tower_id, sensor_id, ts
      ) TO '${join(folder, 'month.parquet')}' (FORMAT PARQUET, COMPRESSION SNAPPY, PARQUET_VERSION V2)`,
    );
  }
  return { days, readings: days * 100 * 1440 * 20 };
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = process.hrtime.bigint();
  const result = await work();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, result };
}

function folderBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  }
  return n;
}

export async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-bench-archive-'));
  try {
    const processor = processorRowsPerSec();
    const parquet = await parquetBytesPerReading(dir);
    const archived = parquet.perReading['sorted, V2, Snappy (the archiver)']!;

    const month = join(dir, 'month');
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    const gen = await timed(() => generateMonth(month, db));
    const view = `read_parquet('${month}/readings/*/*.parquet', hive_partitioning = true)`;
    const scan = await timed(() =>
      db.runAndReadAll(
        `SELECT tower_id, sensor_id, max(value) AS max_value, avg(value) AS mean_value, count(*) AS n FROM (SELECT DISTINCT tower_id, seq, reading_index, sensor_id, ts, value FROM ${view}) GROUP BY ALL`,
      ),
    );
    const scanned = scan.result.getRowObjects().reduce((n, r) => n + Number(r.n), 0);

    // Rollups of the month (the day statement, as the archiver's flush runs it), then one sensor's 30 days.
    const rollupBuild = await timed(async () => {
      await db.run(`CREATE VIEW readings AS SELECT * FROM ${view}`);
      for (const res of ROLLUP_RESOLUTION_NAMES) {
        for (let d = 0; d < gen.result.days; d++) {
          const day = archiveDay(T0 + d * 86_400_000);
          const folder = join(month, ROLLUP_RESOLUTIONS[res].table, `dt=${day}`);
          mkdirSync(folder, { recursive: true });
          await db.run(
            `COPY (${rollupDaySql(res, day)} ORDER BY tower_id, sensor_id, bucket) TO '${join(folder, 'rollup.parquet')}' (FORMAT PARQUET)`,
          );
        }
      }
    });
    db.closeSync();
    instance.closeSync();
    const store = await openRollupStore(month);
    const q = { towerId: 'tw-0042', sensorId: 'sensor-07', fromMs: T0, toMs: T0 + 30 * 86_400_000 };
    await store.read({ ...q, resolution: '1h' });
    const rollupRead = await timed(() => store.read({ ...q, resolution: '1h' }));
    store.close();
    const rawInstance = await DuckDBInstance.create(':memory:');
    const raw = await rawInstance.connect();
    const rawSql = `SELECT epoch_ms(ts) AS ts, value FROM ${view} WHERE dt BETWEEN '${archiveDay(T0)}' AND '${archiveDay(q.toMs - 1)}' AND tower_id = 'tw-0042' AND sensor_id = 'sensor-07' ORDER BY ts`;
    await raw.runAndReadAll(rawSql);
    const rawRead = await timed(() => raw.runAndReadAll(rawSql));
    const rawRows = rawRead.result.currentRowCount;
    raw.closeSync();
    rawInstance.closeSync();

    return {
      name: 'archive',
      metrics: {
        processorRowsPerSec: { value: processor.rowsPerSec, unit: 'rows/s', better: 'higher' },
        parquetBytesPerReading: { value: archived, unit: 'B/reading', target: 4, better: 'lower' },
        monthScanSeconds: { value: scan.seconds, unit: 's', better: 'lower' },
        monthScanReadingsPerSec: { value: scanned / scan.seconds, unit: 'readings/s', better: 'higher' },
        rollupVsRawReadRatio: {
          value: rawRead.seconds / rollupRead.seconds,
          unit: 'x faster',
          better: 'higher',
        },
        rollupVsRawRows: {
          value: rawRows / rollupRead.result.length,
          unit: 'x fewer rows',
          better: 'higher',
        },
      },
      notes: [
        `processor: ${processor.rows.toLocaleString('en-US')} rows flattened (1,000 one-minute batches of 20 readings and 200 of 1,200, 20 rounds)`,
        `Parquet bytes/reading of a 15-minute file of 1,000 towers × 20 sensors / 60 s (${parquet.rows.toLocaleString('en-US')} rows; staged JSON ${parquet.jsonBytesPerReading.toFixed(0)} B/reading): ${Object.entries(
          parquet.perReading,
        )
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join('; ')}`,
        `month: 100 towers × 20 sensors / 60 s × 30 days = ${gen.result.readings.toLocaleString('en-US')} readings, ${(folderBytes(join(month, 'readings')) / gen.result.readings).toFixed(2)} B/reading on disk, generated in ${gen.seconds.toFixed(1)} s; DuckDB read every reading once (DISTINCT over identity) for per-tower-and-sensor max/mean in ${scan.seconds.toFixed(2)} s`,
        `rollups for the month (both resolutions, 30 day statements each) built in ${rollupBuild.seconds.toFixed(1)} s; one sensor's 30 days: ${rollupRead.result.length} hourly rollups in ${(rollupRead.seconds * 1000).toFixed(1)} ms vs ${rawRows.toLocaleString('en-US')} raw readings from the archive in ${(rawRead.seconds * 1000).toFixed(1)} ms (both warm, DuckDB)`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
