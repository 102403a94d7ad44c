/** A buffer failure a user can act on: names the path and what to do. */
export class BufferError extends Error {
  override readonly name = 'BufferError';
  constructor(
    message: string,
    readonly path: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message} (${fix})` : message);
  }
}

/** The disk refused a write (full, read-only, gone): the records of that write were not stored. */
export class StorageWriteError extends BufferError {
  constructor(
    message: string,
    path: string,
    fix: string,
    readonly code: string | undefined,
    /** What the system said, without the lane's wording around it. */
    readonly detail: string,
  ) {
    super(message, path, fix);
  }
}

/** Errno codes that mean "this directory cannot be written now", as opposed to a bug or a lock held elsewhere. */
const STORAGE_UNAVAILABLE = new Set([
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOENT',
  'ENOTDIR',
  'ENOSPC',
  'EDQUOT',
  'EIO',
]);

export function isStorageUnavailable(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return e instanceof StorageWriteError || (typeof code === 'string' && STORAGE_UNAVAILABLE.has(code));
}

/** One line naming the directory, what the system said and the fix. */
export function storageProblem(dir: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const what =
    code === 'EROFS'
      ? 'is on a read-only file system'
      : code === 'EACCES' || code === 'EPERM'
        ? 'is not writable by this user'
        : code === 'ENOENT' || code === 'ENOTDIR'
          ? 'does not exist and cannot be created'
          : code === 'ENOSPC' || code === 'EDQUOT'
            ? 'is full'
            : 'cannot be written';
  const detail = (e instanceof StorageWriteError ? e.detail : (e as Error).message).split('\n')[0];
  return `buffer directory ${dir} ${what} (${detail}): alerts are kept in memory and telemetry is not stored until it is fixed; give the component a writable buffer.dir or --state-dir`;
}
