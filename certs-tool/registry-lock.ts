import { mkdirSync, rmSync, statSync } from 'node:fs';

/** A lock older than this is left from a process that died holding it: updates take milliseconds. */
const STALE_AFTER_MS = 30_000;
const WAIT_MS = 15_000;
const POLL_MS = 10;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `fn` holding `<path>.lock`, a directory whose creation is atomic: parallel certs-tool runs
 * (a script issuing certificates for many towers at once, a broker recording certificate use) take
 * turns on the registry instead of each overwriting the others' changes. Synchronous because every
 * registry update is; hand-written because proper-lockfile's synchronous lock cannot wait its turn.
 */
export function withFileLock<T>(path: string, fn: () => T, now: () => number = Date.now): T {
  const lock = `${path}.lock`;
  const deadline = now() + WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (isStale(lock, now())) {
      rmSync(lock, { recursive: true, force: true });
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
    rmSync(lock, { recursive: true, force: true });
  }
}

function isStale(lock: string, at: number): boolean {
  try {
    return at - statSync(lock).mtimeMs > STALE_AFTER_MS;
  } catch {
    // Released between our mkdir and stat: not stale, just free now.
    return false;
  }
}
