import { join } from 'node:path';

export { startArchiver } from './archiver.js';
export { type ParquetLayout, ParquetWriter, rowsSelect } from './parquet.js';
export type { ArchivedFile, Archiver, ArchiverOptions, ArchiverStats } from './types.js';

/** The archive folder of a local stack's state directory. */
export function archiveDir(stateDir: string): string {
  return join(stateDir, 'archive');
}
