import { randomUUID } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { FileError } from './errors.js';

export const KEY_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;

export interface PendingFile {
  path: string;
  content: string;
  mode?: number;
  /** create only: fail with EEXIST instead of replacing (two processes racing to create a CA) */
  exclusive?: boolean;
}

/**
 * Stage every file first, then rename them in order; if staging fails nothing is replaced.
 * Callers list keys before certificates so a reader never sees a new cert with an old key
 * for longer than one rename.
 */
export function writeFilesAtomic(files: PendingFile[]): void {
  const staged: { tmp: string; path: string; exclusive: boolean }[] = [];
  const discard = () => {
    for (const s of staged) rmSync(s.tmp, { force: true });
  };
  for (const f of files) {
    try {
      if (existsSync(f.path) && statSync(f.path).isDirectory()) throw new Error('it is a directory');
      mkdirSync(dirname(f.path), { recursive: true });
      const tmp = `${f.path}.${randomUUID()}.tmp`;
      staged.push({ tmp, path: f.path, exclusive: f.exclusive === true });
      writeFileSync(tmp, f.content, { mode: f.mode ?? PUBLIC_FILE_MODE, flag: 'wx' });
    } catch (e) {
      discard();
      throw new FileError(
        `cannot write ${f.path}: ${(e as Error).message}`,
        'check the path and that its directory is writable',
      );
    }
  }
  let current = '';
  try {
    for (const s of staged) {
      current = s.path;
      if (s.exclusive) {
        linkSync(s.tmp, s.path);
        rmSync(s.tmp);
      } else renameSync(s.tmp, s.path);
    }
  } catch (e) {
    discard();
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new FileError(`${current} already exists`, 'another process created it first');
    }
    throw new FileError(
      `cannot replace ${current}: ${(e as Error).message}`,
      'check the directory is writable',
    );
  }
}

export function readTextFile(path: string, what: string, fix: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : (e as Error).message;
    throw new FileError(`${what} ${path} ${why}`, fix);
  }
}

export function fileExists(path: string): boolean {
  return existsSync(path);
}
