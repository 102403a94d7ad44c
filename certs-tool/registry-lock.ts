import { mkdirSync, rmSync, statSync } from 'node:fs';

/** A lock older than this is left from a process that died holding it: updates take milliseconds. */
const STALE_AFTER_MS = 30_000;
const WAIT_MS = 15_000;
const POLL_MS = 10;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** The file operations the lock uses; injected so a test can interleave two waiters deterministically. */
export interface LockFs {
  mkdir(path: string): void;
  remove(path: string): void;
  /** Modification time in ms, or undefined when the path does not exist. */
  mtimeMs(path: string): number | undefined;
}

export const NODE_LOCK_FS: LockFs = {
  mkdir: (path) => mkdirSync(path),
  remove: (path) => rmSync(path, { recursive: true, force: true }),
  mtimeMs: (path) => {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return undefined;
    }
  },
};

export interface LockOptions {
  now?: () => number;
  fs?: LockFs;
}

const isEexist = (e: unknown) => (e as NodeJS.ErrnoException).code === 'EEXIST';

/**
 * Runs `fn` holding `<path>.lock`, a directory whose creation is atomic: parallel certs-tool runs
 * (a script issuing certificates for many towers at once, a broker recording certificate use) take
 * turns on the registry instead of each overwriting the others' changes. Synchronous because every
 * registry update is; hand-written because proper-lockfile's synchronous lock cannot wait its turn.
 */
export function withFileLock<T>(path: string, fn: () => T, options: LockOptions = {}): T {
  const now = options.now ?? Date.now;
  const fs = options.fs ?? NODE_LOCK_FS;
  const lock = `${path}.lock`;
  const deadline = now() + WAIT_MS;
  for (;;) {
    try {
      fs.mkdir(lock);
      break;
    } catch (e) {
      if (!isEexist(e)) throw e;
    }
    const seen = fs.mtimeMs(lock);
    if (seen !== undefined && now() - seen > STALE_AFTER_MS) {
      takeOverStale(lock, seen, fs, now);
      continue;
    }
    if (now() > deadline) {
      throw new Error(
        `${path} is locked by another certs-tool run (if none is running, remove ${lock} and try again)`,
      );
    }
    Atomics.wait(sleeper, 0, 0, POLL_MS);
  }
  try {
    return fn();
  } finally {
    fs.remove(lock);
  }
}

/**
 * Removes a lock left by a dead process, once. Waiters that all saw it stale would otherwise each
 * remove "it", the later ones removing the lock the first had just taken, and two would get in.
 * So the takeover itself is serialised by `<lock>.takeover`, and under it the lock is removed only
 * if it is still the one judged stale (same mtime). A takeover guard left by a waiter that died in
 * those microseconds is itself stale after the same age.
 */
function takeOverStale(lock: string, seenMtimeMs: number, fs: LockFs, now: () => number): void {
  const guard = `${lock}.takeover`;
  try {
    fs.mkdir(guard);
  } catch (e) {
    if (!isEexist(e)) throw e;
    const guardMtime = fs.mtimeMs(guard);
    if (guardMtime !== undefined && now() - guardMtime > STALE_AFTER_MS) fs.remove(guard);
    return;
  }
  try {
    if (fs.mtimeMs(lock) === seenMtimeMs) fs.remove(lock);
  } finally {
    fs.remove(guard);
  }
}
