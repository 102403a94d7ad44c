import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Clock } from '../../cloud/functions/shared/types.js';
import type { ArchiveTable } from '../../protocol/index.js';
import type { CheckpointStore } from '../aws/esm/index.js';

export interface ArchiverOptions {
  /** The archive folder: `<table>/dt=YYYY-MM-DD/*.parquet`, `errors/`, and `.staging/`. */
  dir: string;
  kinesis: KinesisClient;
  streamName: string;
  streamArn: string;
  /** A partition's buffer is written when its staged rows reach this many MB (default ARCHIVE_BUFFERING). */
  sizeMb?: number;
  /** …or when its oldest staged row is this old (default ARCHIVE_BUFFERING). */
  intervalSeconds?: number;
  clock?: Clock;
  /** Where the stream position is kept across restarts (default: in memory). */
  checkpoints?: CheckpointStore;
  /** Real-time period of the interval check (default 1 s). */
  tickMs?: number;
  pollIntervalMs?: number;
}

/** One Parquet file just written. */
export interface ArchivedFile {
  table: ArchiveTable;
  dt: string;
  path: string;
  rows: number;
  bytes: number;
}

export interface ArchiverStats {
  /** Stream records read and handled (staged, skipped or sent to the error output). */
  recordsRead: number;
  rowsArchived: number;
  filesWritten: number;
  bytesWritten: number;
  rowsStaged: number;
  recordsFailed: number;
  recordsSkipped: number;
}

export interface Archiver {
  readonly dir: string;
  stats(): ArchiverStats;
  /** Writes every staged partition now; resolves with the files written. */
  flush(): Promise<ArchivedFile[]>;
  /** Called after each flush with the files it wrote (rollups are recomputed there). */
  onFlushed(listener: (files: ArchivedFile[]) => void | Promise<void>): void;
  /**
   * Stops reading, writes what is staged, closes DuckDB. `flush: false` leaves the staged rows on
   * disk for the next start (what a crash leaves; tests use it).
   */
  stop(options?: { flush?: boolean }): Promise<void>;
}
