import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRollupStore } from '../../../local/rollups/index.js';
import { archiveDay, rollupSql } from '../../../protocol/index.js';
import { archiveWith, DAY, expected, readings } from './fixtures.js';

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

  it('a day without readings leaves no rollup folder behind (the next day a flush also recomputes)', async () => {
    const archive = await archiveWith([{ dt: archiveDay(DAY), name: 'a', rows: a }]);
    const store = await openRollupStore(archive);
    await store.recomputeForPartitions([archiveDay(DAY)]);
    store.close();
    for (const table of ['rollups_1m', 'rollups_1h']) {
      expect(readdirSync(join(archive, table))).toEqual([`dt=${archiveDay(DAY)}`]);
    }
  });
});
