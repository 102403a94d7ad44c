import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PresetName,
  type PresetParams,
  presetSql,
  QueryError,
  QueryFailedError,
  type QueryEngine,
  type QueryRow,
} from '../../../cloud/query/index.js';
import { openArchiveEngine } from '../../../local/query/index.js';
import { ARCHIVE_COLUMN_TYPES, ARCHIVE_TABLES } from '../../../protocol/index.js';
import { archiveOf, HOUR, writeCorruptFile } from './fixtures.js';
import {
  expectedAlertsPerTower,
  expectedDailyMax,
  expectedOfflineHours,
  FROM,
  fleetAlerts,
  fleetFiles,
  fleetReadings,
  RANGE_HOURS,
  TO,
} from './scenario.js';

const RANGE = { fromMs: FROM, toMs: TO };

async function preset(engine: QueryEngine, name: PresetName, params: PresetParams = RANGE) {
  return (await engine.run(presetSql(name, params))).rows;
}

/** daily-max with its mean compared to 9 places (the engine sums exactly, the test in doubles). */
function expectDailyMax(got: QueryRow[], want: ReturnType<typeof expectedDailyMax>) {
  expect(got.map(({ mean_value: _, ...r }) => r)).toEqual(want.map(({ mean_value: _, ...r }) => r));
  got.forEach((row, i) => {
    const mean = want[i]!.mean_value;
    if (mean === null) expect(row.mean_value).toBeNull();
    else expect(row.mean_value as number).toBeCloseTo(mean, 9);
  });
}

describe('DuckDB engine over a local archive', () => {
  let archive: string;
  let redelivered: string;
  let engine: QueryEngine;
  let again: QueryEngine;

  beforeAll(async () => {
    archive = await archiveOf(fleetFiles());
    redelivered = await archiveOf(fleetFiles({ redelivered: true }));
    // Corrupt files in a partition after the range: only pruning keeps a preset from opening them.
    for (const dir of [archive, redelivered]) {
      writeCorruptFile(dir, 'readings', '2026-12-20');
      writeCorruptFile(dir, 'alerts', '2026-12-20');
    }
    engine = await openArchiveEngine(archive);
    again = await openArchiveEngine(redelivered);
  });
  afterAll(async () => {
    await engine.close();
    await again.close();
  });

  it('daily-max: max, min, mean and distinct readings per tower, sensor and day, computed from the fixture', async () => {
    const want = expectedDailyMax(fleetReadings(), FROM, TO);
    expect(new Set(want.map((r) => r.tower_id))).toEqual(new Set(['tw-001', 'tw-002', 'tw-003']));
    expectDailyMax(await preset(engine, 'daily-max'), want);
    const one = await preset(engine, 'daily-max', { ...RANGE, towerId: 'tw-002' });
    expectDailyMax(one, expectedDailyMax(fleetReadings(), FROM, TO, 'tw-002'));
  });

  it('daily-max reads the slack partition: readings of a batch that crossed midnight into the range count', async () => {
    const firstHour = { fromMs: FROM, toMs: FROM + 3_599_999 };
    const rows = await preset(engine, 'daily-max', { ...firstHour, towerId: 'tw-001' });
    const want = expectedDailyMax(fleetReadings(), firstHour.fromMs, firstHour.toMs, 'tw-001');
    expectDailyMax(rows, want);
    // The 23:55 batch of the day before keeps its 00:05..00:45 readings in dt=2026-11-30.
    const slack = await engine.run(
      "SELECT count(*) AS n FROM readings WHERE dt = '2026-11-30' AND ts >= TIMESTAMP '2026-12-01 00:00:00' AND tower_id = 'tw-001' AND sensor_id = 'temp-cabinet'",
    );
    expect(slack.rows[0]!.n).toBeGreaterThan(0);
    expect(want[0]).toMatchObject({ sensor_id: 'temp-cabinet', day: '2026-12-01' });
    expect(want[0]!.readings).toBeGreaterThan(slack.rows[0]!.n as number);
  });

  it('offline-hours: clock hours without a reading, for the towers that reported and for a named one', async () => {
    const rows = await preset(engine, 'offline-hours');
    expect(rows).toEqual(expectedOfflineHours(fleetReadings(), FROM, TO));
    expect(rows.map((r) => r.tower_id)).toEqual(['tw-003', 'tw-002', 'tw-001']);
    expect(rows.find((r) => r.tower_id === 'tw-001')?.offline_hours).toBe(0);
    expect(rows[0]!.hours_in_range).toBe(RANGE_HOURS);

    const silent = await preset(engine, 'offline-hours', { ...RANGE, towerId: 'tw-404' });
    expect(silent).toEqual([
      { tower_id: 'tw-404', hours_in_range: RANGE_HOURS, hours_with_readings: 0, offline_hours: RANGE_HOURS },
    ]);
    expect(await preset(engine, 'offline-hours', { ...RANGE, towerId: 'tw-002' })).toEqual(
      expectedOfflineHours(fleetReadings(), FROM, TO, 'tw-002'),
    );
    // tw-003 last reported at 05:45 on day 2: in the partly covered first hour of this range, so it is
    // listed, and offline for both whole hours.
    const edge = { fromMs: FROM + 29.5 * HOUR, toMs: FROM + 32.5 * HOUR };
    const edgeRows = await preset(engine, 'offline-hours', edge);
    expect(edgeRows).toEqual(expectedOfflineHours(fleetReadings(), edge.fromMs, edge.toMs));
    expect(edgeRows[0]).toEqual({
      tower_id: 'tw-003',
      hours_in_range: 2,
      hours_with_readings: 0,
      offline_hours: 2,
    });
    // `--to 2026-12-02` reaches one millisecond into that day's first hour: not an offline hour.
    const oneDay = await preset(engine, 'offline-hours', {
      fromMs: FROM,
      toMs: FROM + 86_400_000,
      towerId: 'tw-001',
    });
    expect(oneDay).toEqual([
      { tower_id: 'tw-001', hours_in_range: 24, hours_with_readings: 24, offline_hours: 0 },
    ]);
  });

  it('alerts-per-tower: raises per tower and severity in the range, each incident once', async () => {
    const rows = await preset(engine, 'alerts-per-tower');
    const want = expectedAlertsPerTower(fleetAlerts(), FROM, TO);
    expect(rows).toEqual(want);
    // a0 (before the range, in the slack partition) and a9 (after it) are not counted.
    expect(want).toContainEqual({ tower_id: 'tw-001', severity: 'warning', raises: 2 });
    expect(await preset(engine, 'alerts-per-tower', { ...RANGE, towerId: 'tw-002' })).toEqual(
      expectedAlertsPerTower(fleetAlerts(), FROM, TO, 'tw-002'),
    );
  });

  it('a redelivered batch (the same rows in a second file) changes no preset', async () => {
    const count = "SELECT count(*) AS n FROM readings WHERE dt < '2026-12-20'";
    const total = await again.run(count);
    const single = await engine.run(count);
    expect(total.rows[0]!.n).toBeGreaterThan(single.rows[0]!.n as number);
    for (const name of ['daily-max', 'offline-hours', 'alerts-per-tower'] as const) {
      for (const params of [RANGE, { ...RANGE, towerId: 'tw-001' }]) {
        expect(await preset(again, name, params)).toEqual(await preset(engine, name, params));
      }
    }
  });

  it('prunes partitions: the corrupt file past the range is never opened, unless a query asks for its day', async () => {
    await expect(preset(engine, 'daily-max')).resolves.not.toHaveLength(0);
    const error = await engine.run("SELECT count(*) FROM readings WHERE dt = '2026-12-20'").catch((e) => e);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect(error.message).toContain('corrupt.parquet');
    expect(error.message).not.toContain('\n');
  });

  it('types the values: integers as numbers (text past 2^53), timestamps ISO, decimals as numbers, nulls', async () => {
    const result = await engine.run(
      [
        'SELECT CAST(42 AS BIGINT) AS n, CAST(9007199254740993 AS BIGINT) AS big,',
        "TIMESTAMP '2026-12-01 01:02:03.456' AS t, DATE '2026-12-01' AS d, CAST(1.25 AS DECIMAL(10, 2)) AS dec,",
        "CAST(NULL AS VARCHAR) AS nothing, true AS b, [1, 2] AS list, 'x' AS n",
      ].join(' '),
    );
    expect(result.rows).toEqual([
      {
        n: 42,
        big: '9007199254740993',
        t: '2026-12-01T01:02:03.456Z',
        d: '2026-12-01',
        dec: 1.25,
        nothing: null,
        b: true,
        list: [1, 2],
        n_1: 'x',
      },
    ]);
    expect(result.columns.map((c) => c.kind)).toEqual([
      'integer',
      'integer',
      'timestamp',
      'date',
      'number',
      'text',
      'boolean',
      'other',
      'text',
    ]);
    const ts = await engine.run(`SELECT ts FROM readings WHERE dt = '2026-12-01' ORDER BY ts LIMIT 1`);
    const firstOfDay = fleetReadings().find((b) => b[0]!.ts >= FROM)![0]!.ts;
    expect(ts.rows[0]!.ts).toBe(new Date(firstOfDay).toISOString());
  });

  it('bad SQL fails with DuckDB’s message on one line', async () => {
    const parse = await engine.run('SELEC 1').catch((e) => e);
    expect(parse).toBeInstanceOf(QueryFailedError);
    expect(parse.message).toBe('Parser Error: syntax error at or near "SELEC"');
    const bind = await engine.run('SELECT nope FROM readings').catch((e) => e);
    expect(bind.message).toMatch(/^Binder Error: Referenced column "nope" not found.*Candidate bindings/);
    expect(bind.message).not.toContain('\n');
  });
});

describe('DuckDB engine over an archive without files yet', () => {
  it('has empty readings and alerts views with the archive columns and types, and every preset runs', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tw-query-empty-'));
    const engine = await openArchiveEngine(empty);
    try {
      for (const table of ['readings', 'alerts'] as const) {
        const described = await engine.run(`DESCRIBE ${table}`);
        expect(described.rows.map((r) => [r.column_name, r.column_type])).toEqual([
          ...ARCHIVE_TABLES[table].columns.map((c) => [c.name, ARCHIVE_COLUMN_TYPES[c.type]]),
          ['dt', 'VARCHAR'],
        ]);
        expect((await engine.run(`SELECT count(*) AS n FROM ${table}`)).rows).toEqual([{ n: 0 }]);
      }
      expect(await preset(engine, 'daily-max')).toEqual([]);
      expect(await preset(engine, 'offline-hours')).toEqual([]);
      expect(await preset(engine, 'alerts-per-tower')).toEqual([]);
      expect(await preset(engine, 'offline-hours', { ...RANGE, towerId: 'tw-001' })).toEqual([
        {
          tower_id: 'tw-001',
          hours_in_range: RANGE_HOURS,
          hours_with_readings: 0,
          offline_hours: RANGE_HOURS,
        },
      ]);
    } finally {
      await engine.close();
    }
  });

  it('views match the files’ columns: the same DESCRIBE with files as without', async () => {
    const archive = await archiveOf(fleetFiles());
    const empty = mkdtempSync(join(tmpdir(), 'tw-query-empty-'));
    const withFiles = await openArchiveEngine(archive);
    const withoutFiles = await openArchiveEngine(empty);
    try {
      for (const table of ['readings', 'alerts']) {
        expect((await withFiles.run(`DESCRIBE ${table}`)).rows).toEqual(
          (await withoutFiles.run(`DESCRIBE ${table}`)).rows,
        );
      }
    } finally {
      await withFiles.close();
      await withoutFiles.close();
    }
  });

  it('refuses a missing folder naming --archive and how an archive is written', async () => {
    const missing = join(tmpdir(), 'tw-query-missing', 'archive');
    expect(existsSync(missing)).toBe(false);
    const error = await openArchiveEngine(missing).catch((e) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect(error.message).toBe(
      `--archive ${missing} does not exist: start the local stack (npm start) to write the archive there, or name the folder with --archive`,
    );
  });
});
