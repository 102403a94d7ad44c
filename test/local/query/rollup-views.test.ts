import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openArchiveEngine } from '../../../local/query/index.js';
import { openRollupStore } from '../../../local/rollups/index.js';
import { ARCHIVE_COLUMN_TYPES, archiveDay, ROLLUP_COLUMNS } from '../../../protocol/index.js';
import { archiveWith, DAY, expected, readings } from '../rollups/fixtures.js';

describe('towerwatch query over the rollup tables', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('rollups_1h answers with the hourly max and count the readings have', async () => {
    const rows = readings('tw-001', 1, DAY + 3_600_000, ['temp-cabinet'], 360, 20_000);
    const archive = await archiveWith([{ dt: archiveDay(DAY), name: 'a', rows }]);
    dirs.push(archive);
    const store = await openRollupStore(archive);
    await store.recomputeForPartitions([archiveDay(DAY)]);
    store.close();
    const engine = await openArchiveEngine(archive);
    try {
      const got = await engine.run(
        `SELECT max_value, readings FROM rollups_1h WHERE tower_id = 'tw-001' AND sensor_id = 'temp-cabinet' ORDER BY bucket`,
      );
      const want = expected(rows, 3_600_000, 'tw-001', 'temp-cabinet');
      expect(want.length).toBeGreaterThan(1);
      expect(got.rows).toEqual(want.map((r) => ({ max_value: r.max, readings: r.count })));
    } finally {
      await engine.close();
    }
  });

  it('before any rollup day the views are empty relations of the rollup columns', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tw-query-rollups-'));
    dirs.push(empty);
    const engine = await openArchiveEngine(empty);
    try {
      for (const view of ['rollups_1m', 'rollups_1h']) {
        const described = await engine.run(`DESCRIBE ${view}`);
        expect(described.rows.map((r) => [r.column_name, r.column_type])).toEqual([
          ...ROLLUP_COLUMNS.map((c) => [c.name, ARCHIVE_COLUMN_TYPES[c.type]]),
          ['dt', 'VARCHAR'],
        ]);
        expect((await engine.run(`SELECT count(*) AS n FROM ${view}`)).rows).toEqual([{ n: 0 }]);
      }
    } finally {
      await engine.close();
    }
  });
});
