import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  ARCHIVE_PARTITION,
  dtRangeFor,
  ROLLUP_RESOLUTION_NAMES,
  ROLLUP_RESOLUTIONS,
  type RollupRow,
  rollupDaySql,
  rollupDaysAffectedBy,
  timestampLiteral,
} from '../../protocol/index.js';
import type { RollupStore } from './types.js';

const ROLLUP_FILE = 'rollup.parquet';

/** A SQL string literal (paths only; ids are checked by the protocol before they reach SQL). */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

function hasParquet(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { withFileTypes: true }).some(
    (d) => d.isDirectory() && readdirSync(join(dir, d.name)).some((f) => f.endsWith('.parquet')),
  );
}

/**
 * Rollups of a local archive, computed by DuckDB with the protocol's statement. A day partition is
 * written to a temporary name and renamed over the old one, so a reader sees the old day or the new
 * day, and running it again (a redelivery, a late backlog) writes the same day.
 */
export async function openRollupStore(archiveDir: string): Promise<RollupStore> {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  // One statement at a time: the archiver's flushes and the page's reads share the connection.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => {});
    return next;
  };

  async function readingsView(): Promise<boolean> {
    const dir = join(archiveDir, 'readings');
    if (!hasParquet(dir)) return false;
    await db.run(
      `CREATE OR REPLACE VIEW readings AS SELECT * FROM read_parquet(${literal(join(dir, '*', '*.parquet'))}, hive_partitioning = true, hive_types = {'${ARCHIVE_PARTITION.key}': VARCHAR})`,
    );
    return true;
  }

  async function recomputeDay(day: string): Promise<void> {
    for (const resolution of ROLLUP_RESOLUTION_NAMES) {
      const dir = join(archiveDir, ROLLUP_RESOLUTIONS[resolution].table, `${ARCHIVE_PARTITION.key}=${day}`);
      const tmp = join(dir, `.${ROLLUP_FILE}.tmp`);
      mkdirSync(dir, { recursive: true });
      // One pass: COPY reports the rows it wrote, so an empty day is known without a second query.
      const copied = await db.runAndReadAll(
        `COPY (${rollupDaySql(resolution, day)} ORDER BY tower_id, sensor_id, bucket) TO ${literal(tmp)} (FORMAT PARQUET, COMPRESSION SNAPPY)`,
      );
      if (Number(copied.getRows()[0]?.[0] ?? 0) === 0) {
        // No readings that day (any more): no file, and no empty day folder either.
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      renameSync(tmp, join(dir, ROLLUP_FILE));
    }
  }

  const store: RollupStore = {
    recompute: (days) =>
      serial(async () => {
        if (!(await readingsView())) return;
        for (const day of [...new Set(days)].sort()) await recomputeDay(day);
      }),
    recomputeForPartitions: (dts) => store.recompute(dts.flatMap(rollupDaysAffectedBy)),
    read: (query) =>
      serial(async () => {
        const { table, ms } = ROLLUP_RESOLUTIONS[query.resolution];
        const dir = join(archiveDir, table);
        if (!hasParquet(dir)) return [];
        const from = Math.floor(query.fromMs / ms) * ms;
        const { to } = dtRangeFor(from, query.toMs - 1);
        const dFrom = new Date(from).toISOString().slice(0, 10);
        const result = await db.runAndReadAll(
          [
            'SELECT tower_id, sensor_id, epoch_ms(bucket) AS bucket, min_value, max_value, mean_value, readings',
            `FROM read_parquet(${literal(join(dir, '*', ROLLUP_FILE))}, hive_partitioning = true, hive_types = {'${ARCHIVE_PARTITION.key}': VARCHAR})`,
            `WHERE ${ARCHIVE_PARTITION.key} BETWEEN $dFrom AND $dTo AND tower_id = $tower`,
            query.sensorId !== undefined ? 'AND sensor_id = $sensor' : '',
            `AND bucket >= ${timestampLiteral(from)} AND bucket < ${timestampLiteral(query.toMs)}`,
            'ORDER BY sensor_id, bucket',
          ].join('\n'),
          {
            dFrom,
            dTo: to,
            tower: query.towerId,
            ...(query.sensorId !== undefined && { sensor: query.sensorId }),
          },
        );
        return result.getRowObjects().map(
          (r): RollupRow => ({
            towerId: String(r.tower_id),
            sensorId: String(r.sensor_id),
            bucket: Number(r.bucket),
            min: Number(r.min_value),
            max: Number(r.max_value),
            mean: Number(r.mean_value),
            count: Number(r.readings),
          }),
        );
      }),
    close() {
      db.closeSync();
      instance.closeSync();
    },
  };
  return store;
}
