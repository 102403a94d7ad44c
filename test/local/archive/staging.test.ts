import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Staging } from '../../../local/archive/staging.js';

const keys = { table: 'readings', dt: '2026-11-23' } as const;
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('Staging: asynchronous appends', () => {
  it('a seal called between appends takes exactly the rows appended before it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'towerwatch-staging-'));
    const staging = new Staging(dir);
    const row = (i: number) => `{"i":${i}}\n`;
    const before = Array.from({ length: 20 }, (_, i) => staging.append(keys, row(i), 1, 1000));
    const sealing = staging.seal(keys);
    const after = Array.from({ length: 5 }, (_, i) => staging.append(keys, row(100 + i), 1, 2000));
    const sealed = await sealing;
    await Promise.all([...before, ...after]);
    const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');
    expect(lines(sealed)).toEqual(Array.from({ length: 20 }, (_, i) => row(i).trim()));
    expect(staging.list()).toEqual([{ keys, bytes: 5 * row(100).length, rows: 5, since: 2000 }]);
    expect(lines(join(dir, 'readings__2026-11-23.jsonl'))).toHaveLength(5);
  });

  it('a failed append rejects and leaves the figures as they were; the next append still runs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'towerwatch-staging-'));
    const staging = new Staging(dir);
    rmSync(dir, { recursive: true, force: true });
    await expect(staging.append(keys, '{"i":1}\n', 1, 1000)).rejects.toThrow(/ENOENT/);
    expect(staging.rowsStaged()).toBe(0);
    mkdirSync(dir);
    await staging.append(keys, '{"i":2}\n', 1, 1000);
    expect(staging.rowsStaged()).toBe(1);
  });
});
