import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Clock } from '../../cloud/functions/shared/types.js';
import { type ArchivedFile, type Archiver, type ArchiverStats, startArchiver } from '../archive/index.js';
import { fileCheckpoints } from './esm/index.js';

/** The local Firehose as the stream consumers' worker runs it (see consumers-worker.ts). */
export interface WorkerArchiveOptions {
  dir: string;
  intervalSeconds?: number;
  /** The stream position across restarts (a JSON file); in memory when absent. */
  checkpointsFile?: string;
}

/** Worker side: the archiver, whose flushes wait until the calling thread has handled their files. */
export async function startWorkerArchive(
  options: WorkerArchiveOptions,
  stream: { kinesis: KinesisClient; streamName: string; streamArn: string; clock: Clock },
  flushed: (files: ArchivedFile[]) => Promise<void>,
): Promise<Archiver> {
  const archive = await startArchiver({
    dir: options.dir,
    ...stream,
    ...(options.intervalSeconds !== undefined && { intervalSeconds: options.intervalSeconds }),
    ...(options.checkpointsFile && { checkpoints: fileCheckpoints(options.checkpointsFile) }),
  });
  archive.onFlushed(flushed);
  return archive;
}

/**
 * Calling-thread side: an `Archiver` over the worker's. `stats()` is the worker's last report;
 * `onFlushed` listeners run here (the rollups live beside the status page), and the worker's flush
 * resolves only after they did, as it would in one thread.
 */
export class ArchiverProxy implements Archiver {
  latest: ArchiverStats = {
    recordsRead: 0,
    rowsArchived: 0,
    filesWritten: 0,
    bytesWritten: 0,
    rowsStaged: 0,
    recordsFailed: 0,
    recordsSkipped: 0,
  };
  private readonly listeners: ((files: ArchivedFile[]) => void | Promise<void>)[] = [];
  private stopped = false;

  constructor(
    readonly dir: string,
    private readonly request: (
      message: { type: 'archive-flush' } | { type: 'archive-stop'; flush: boolean },
    ) => Promise<unknown>,
  ) {}

  stats(): ArchiverStats {
    return { ...this.latest };
  }

  async flush(): Promise<ArchivedFile[]> {
    return (await this.request({ type: 'archive-flush' })) as ArchivedFile[];
  }

  onFlushed(listener: (files: ArchivedFile[]) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Runs the listeners for files the worker wrote; the worker waits for this before its flush resolves. */
  async handleFlushed(files: ArchivedFile[]): Promise<void> {
    for (const l of this.listeners) await l(files);
  }

  async stop(options: { flush?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.request({ type: 'archive-stop', flush: options.flush ?? true });
  }
}
