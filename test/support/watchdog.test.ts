import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

describe('the test-run watchdog', () => {
  it('kills a worker that never returns to JavaScript and fails the run instead of waiting forever', () => {
    const run = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--config',
        'test/support/watchdog-fixture/vitest.config.ts',
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, TOWERWATCH_TEST_DEADLINE_MS: '3000' },
        // A generous outer bound: without the watchdog this run would last the fixture's full 300 s sleep.
        timeout: 120_000,
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /vitest run exceeded 3 s \(TOWERWATCH_TEST_DEADLINE_MS\); killing \d+ stuck processes/,
    );
    expect(run.stderr).toMatch(/sleep 300/);
  });
});
