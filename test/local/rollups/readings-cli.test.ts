import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../local/cli/readings.js';
import { openRollupStore } from '../../../local/rollups/index.js';
import { archiveDay } from '../../../protocol/index.js';
import { archiveWith, DAY, expected, readings } from './fixtures.js';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  const error = vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
  try {
    return { code: await main(argv), out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('towerwatch readings --resolution (rollups of the local archive)', () => {
  it('prints one line per bucket, and JSON rows equal to the readings rolled up by hand', async () => {
    const rows = readings('tw-001', 1, DAY + 600_000, ['temp-cabinet', 'voltage-dc'], 400, 15_000);
    const archive = await archiveWith([{ dt: archiveDay(DAY), name: 'a', rows }]);
    const store = await openRollupStore(archive);
    await store.recomputeForPartitions([archiveDay(DAY)]);
    store.close();
    const range = [
      '--from',
      new Date(DAY).toISOString(),
      '--to',
      new Date(DAY + 86_400_000 - 1).toISOString(),
    ];
    const text = await run([
      'tw-001',
      '--resolution',
      '1h',
      '--sensor',
      'temp-cabinet',
      '--archive',
      archive,
      ...range,
    ]);
    const want = expected(rows, 3_600_000, 'tw-001', 'temp-cabinet');
    expect(text.code).toBe(0);
    expect(text.out).toHaveLength(want.length);
    expect(text.out[0]).toContain(new Date(want[0]!.bucket).toISOString());
    expect(text.out[0]).toContain('temp-cabinet');
    expect(text.err.at(-1)).toBe(`${want.length} 1h rollups of tw-001`);

    const json = await run(['tw-001', '--resolution', '1m', '--json', '--archive', archive, ...range]);
    const got = json.out.map((l) => JSON.parse(l) as { sensorId: string; count: number });
    expect(got.filter((r) => r.sensorId === 'voltage-dc').map((r) => r.count)).toEqual(
      expected(rows, 60_000, 'tw-001', 'voltage-dc').map((r) => r.count),
    );
  });

  it('refuses a wrong resolution, a missing archive and raw-store flags, in one line each', async () => {
    const archive = await archiveWith([]);
    const bad = await run(['tw-001', '--resolution', '5m', '--archive', archive]);
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual([
      'towerwatch readings: --resolution "5m" is not a rollup resolution: use 1m or 1h',
    ]);
    const missing = await run(['tw-001', '--resolution', '1h', '--archive', join(archive, 'nope')]);
    expect(missing.err[0]).toMatch(/--archive .*nope does not exist: start the local stack/);
    const mixed = await run(['tw-001', '--resolution', '1h', '--archive', archive, '--table', 't']);
    expect(mixed.err[0]).toMatch(/drop --table and --endpoint/);
  });

  it('--state-dir reads the archive inside the state folder; with --archive it is refused', async () => {
    const rows = readings('tw-001', 1, DAY + 3_600_000, ['temp-cabinet'], 30, 20_000);
    const archive = await archiveWith([{ dt: archiveDay(DAY), name: 'a', rows }]);
    const store = await openRollupStore(archive);
    await store.recomputeForPartitions([archiveDay(DAY)]);
    store.close();
    const stateDir = mkdtempSync(join(tmpdir(), 'tw-rollups-state-'));
    renameSync(archive, join(stateDir, 'archive'));
    try {
      const range = ['--from', new Date(DAY).toISOString(), '--to', new Date(DAY + 86_400_000).toISOString()];
      const r = await run(['tw-001', '--resolution', '1h', '--state-dir', stateDir, ...range]);
      expect(r.code).toBe(0);
      expect(r.out).toHaveLength(expected(rows, 3_600_000, 'tw-001', 'temp-cabinet').length);
      const both = await run([
        'tw-001',
        '--resolution',
        '1h',
        '--state-dir',
        stateDir,
        '--archive',
        stateDir,
      ]);
      expect(both.code).toBe(2);
      expect(both.err).toEqual([
        'towerwatch readings: --archive and --state-dir both name the archive: give one',
      ]);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
