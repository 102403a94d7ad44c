import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry, REGISTRY_FILE } from '../../certs-tool/registry.js';
import { type LockFs, withFileLock } from '../../certs-tool/registry-lock.js';

const WRITER = join(import.meta.dirname, 'fixtures', 'registry-writer.ts');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tw-registry-'));
  dirs.push(d);
  return d;
}

function runWriter(dir: string, writer: string, count: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, writer, String(count)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
}

describe('registry updates', () => {
  it('loses no update when several processes write at once', async () => {
    const dir = tempDir();
    const writers = ['a', 'b', 'c', 'd'];
    const codes = await Promise.all(writers.map((w) => runWriter(dir, w, 25)));
    expect(codes).toEqual([0, 0, 0, 0]);
    const registry = Registry.load(dir);
    expect(registry.entries).toHaveLength(100);
    for (const w of writers) expect(registry.forTower(`tower-${w}`)).toHaveLength(25);
  });

  it('leaves the file as it was when the change throws or changes nothing, and frees the lock', () => {
    const dir = tempDir();
    const file = join(dir, REGISTRY_FILE);
    Registry.update(dir, (r) => r.find('0'.repeat(64)));
    expect(existsSync(file)).toBe(false);
    Registry.update(dir, (r) => r.upsert(sampleEntry()));
    const written = readFileSync(file, 'utf8');
    expect(() =>
      Registry.update(dir, (r) => {
        r.upsert({ ...sampleEntry(), certificateId: 'f'.repeat(64) });
        throw new Error('refused');
      }),
    ).toThrow('refused');
    Registry.update(dir, (r) => r.isActive('f'.repeat(64)));
    expect(readFileSync(file, 'utf8')).toBe(written);
    expect(Registry.update(dir, (r) => r.entries.map((e) => e.certificateId))).toEqual(['0'.repeat(64)]);
  });

  it('takes over a lock left by a process that died holding it', () => {
    const dir = tempDir();
    const file = join(dir, REGISTRY_FILE);
    mkdirSync(`${file}.lock`);
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, longAgo, longAgo);
    expect(withFileLock(file, () => 'ran')).toBe('ran');
  });

  it('lets only one of two waiters take over a stale lock', () => {
    // In-memory directories with mtimes, so the second waiter can act at the worst moment.
    const dirs = new Map<string, number>();
    let clock = 1_000_000;
    const now = () => clock;
    const real: LockFs = {
      mkdir: (p) => {
        if (dirs.has(p)) throw Object.assign(new Error(`EEXIST: ${p}`), { code: 'EEXIST' });
        dirs.set(p, clock);
      },
      remove: (p) => void dirs.delete(p),
      mtimeMs: (p) => dirs.get(p),
    };
    const lock = '/registry.json.lock';
    dirs.set(lock, clock - 60_000); // left by a process that died holding it
    let otherHolds = false;
    let interleaved = false;
    let polls = 0;
    const fs: LockFs = {
      ...real,
      mtimeMs: (p) => {
        const seen = real.mtimeMs(p);
        if (p === lock && !interleaved) {
          interleaved = true;
          // Right after this waiter judged the lock stale, the other waiter takes it over and holds it.
          withFileLock('/registry.json', () => {}, { now, fs: real });
          real.mkdir(lock);
          otherHolds = true;
        }
        return seen;
      },
    };
    const waitingNow = () => {
      // The other waiter finishes after a few polls.
      if (otherHolds && ++polls > 5) {
        otherHolds = false;
        real.remove(lock);
      }
      return clock++;
    };
    const overlapped = withFileLock('/registry.json', () => otherHolds, { now: waitingNow, fs });
    expect(interleaved).toBe(true);
    expect(overlapped).toBe(false);
  });

  it('gives up on a held lock with the path to remove', () => {
    const dir = tempDir();
    const file = join(dir, REGISTRY_FILE);
    mkdirSync(`${file}.lock`);
    let clock = Date.now();
    // Each look at the clock moves it 5 s: the 15 s wait runs out long before the lock could look stale.
    const fastClock = () => (clock += 5_000);
    expect(() => withFileLock(file, () => 'ran', { now: fastClock })).toThrow(
      `${file} is locked by another certs-tool run (if none is running, remove ${file}.lock and try again)`,
    );
  });
});

function sampleEntry() {
  const at = new Date().toISOString();
  return {
    certificateId: '0'.repeat(64),
    towerId: 'tower-x',
    kind: 'device' as const,
    status: 'ACTIVE' as const,
    serial: '01',
    notBefore: at,
    notAfter: at,
    certPath: 'devices/tower-x/cert.pem',
    createdAt: at,
    updatedAt: at,
  };
}
