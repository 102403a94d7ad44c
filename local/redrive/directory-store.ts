import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { FailureDocument, FailureStore, RedriveNote } from '../../cloud/redrive/index.js';

/**
 * Where the local stack keeps what AWS keeps in S3 (local/stack/index.ts, local/aws/consumers.ts):
 * the rule error action's documents, and each function's on-failure documents (batches, and
 * `async/` for direct invokes), under the `towerwatch local` state folder.
 */
export const FAILURE_FOLDERS = ['rule-errors', join('aws', 'failures')] as const;

/** Re-driven documents move here, keeping their relative path, with their note beside them. */
export const REDRIVEN_FOLDER = 'redriven';

function jsonFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) files.push(...jsonFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.json')) files.push(path);
  }
  return files;
}

/**
 * The local failure folders as a FailureStore. Marking moves the file under `redriven/` (a rename:
 * it is pending or done, never both), so the failure folders show only what still needs a redrive.
 */
export class DirectoryFailureStore implements FailureStore {
  constructor(private readonly stateDir: string) {}

  async pending(): Promise<FailureDocument[]> {
    const files = FAILURE_FOLDERS.flatMap((f) => jsonFiles(join(this.stateDir, f))).sort();
    return files.map((path) => ({
      key: relative(this.stateDir, path).split(sep).join('/'),
      body: readFileSync(path, 'utf8'),
      lastModifiedMs: statSync(path).mtimeMs,
    }));
  }

  async markRedriven(key: string, note: RedriveNote): Promise<void> {
    const target = join(this.stateDir, REDRIVEN_FOLDER, key);
    mkdirSync(dirname(target), { recursive: true });
    renameSync(join(this.stateDir, key), target);
    writeFileSync(`${target.slice(0, -'.json'.length)}.note`, `${JSON.stringify(note)}\n`);
  }
}
