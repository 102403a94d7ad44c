import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KinesisStreamEvent } from 'aws-lambda';
import { processArchiveRecords } from '../../cloud/functions/archive-processor/core.js';
import { type Clock, systemClock } from '../../cloud/functions/shared/types.js';
import {
  ARCHIVE_BUFFERING,
  type ArchiveTable,
  archiveDay,
  archivePartitionPath,
} from '../../protocol/index.js';
import { memoryDestination, startEventSourceMapping } from '../aws/esm/index.js';
import { counterMetrics } from '../aws/metrics.js';
import { ParquetWriter } from './parquet.js';
import { Staging } from './staging.js';
import type { ArchivedFile, Archiver, ArchiverOptions, ArchiverStats } from './types.js';

const MB = 1024 * 1024;
const quietLog = { warn: () => {}, error: () => {}, info: () => {}, debug: () => {} } as never;

/** Firehose's error output record for a record the processor could not read. */
function errorRecord(data: string, arrivedAt: number, now: number) {
  return {
    attemptsMade: 1,
    arrivalTimestamp: arrivedAt,
    errorCode: 'Lambda.ProcessingFailed',
    errorMessage:
      'The archive processor marked the record ProcessingFailed: it is not a readable rule output',
    attemptEndingTimestamp: now,
    rawData: data,
    lambdaArn: 'arn:aws:lambda:local:000000000000:function:archive-processor',
  };
}

/**
 * The local stack's Firehose: reads the stream through an event source mapping, runs the archive
 * processor's core, stages rows on disk, and writes a partition's Parquet file when its buffer is
 * full or old enough (Firehose's buffering hints), and at stop.
 */
export async function startArchiver(options: ArchiverOptions): Promise<Archiver> {
  const clock: Clock = options.clock ?? systemClock;
  const sizeBytes = (options.sizeMb ?? ARCHIVE_BUFFERING.sizeMb) * MB;
  const intervalMs = (options.intervalSeconds ?? ARCHIVE_BUFFERING.intervalSeconds) * 1000;
  const staging = new Staging(join(options.dir, '.staging'));
  const writer = await ParquetWriter.open();
  const listeners: ((files: ArchivedFile[]) => void | Promise<void>)[] = [];
  const stats: Omit<ArchiverStats, 'recordsRead'> = {
    rowsArchived: 0,
    filesWritten: 0,
    bytesWritten: 0,
    rowsStaged: 0,
    recordsFailed: 0,
    recordsSkipped: 0,
  };
  const metrics = counterMetrics();
  let sealed = staging.leftovers();

  // Flushes run one at a time; a flush writes what was sealed before it and what is due.
  let queue: Promise<unknown> = Promise.resolve();
  function flushWhere(due: (since: number, bytes: number) => boolean): Promise<ArchivedFile[]> {
    const work = async (): Promise<ArchivedFile[]> => {
      const now = clock.now();
      for (const p of staging.list()) {
        if (due(p.since, p.bytes)) sealed.push({ keys: p.keys, file: await staging.seal(p.keys) });
      }
      const todo = sealed;
      sealed = [];
      const files: ArchivedFile[] = [];
      for (const [i, { keys, file }] of todo.entries()) {
        const dir = join(options.dir, archivePartitionPath(keys));
        mkdirSync(dir, { recursive: true });
        const path = join(dir, `${now}-${randomBytes(4).toString('hex')}.parquet`);
        try {
          const { rows, bytes } = await writer.write(keys.table as ArchiveTable, file, path);
          rmSync(file, { force: true });
          files.push({ table: keys.table as ArchiveTable, dt: keys.dt, path, rows, bytes });
          stats.rowsArchived += rows;
          stats.filesWritten++;
          stats.bytesWritten += bytes;
        } catch (e) {
          // Keep this and the remaining staged files for the next flush (Firehose retries delivery too).
          sealed.push(...todo.slice(i));
          throw e;
        }
      }
      stats.rowsStaged = staging.rowsStaged();
      if (files.length > 0) for (const l of listeners) await l(files);
      return files;
    };
    const next = queue.then(work, work);
    queue = next.catch(() => {});
    return next;
  }

  async function handler(event: KinesisStreamEvent) {
    const records = event.Records.map((r) => ({ recordId: r.kinesis.sequenceNumber, data: r.kinesis.data }));
    const results = processArchiveRecords(records, { metrics, log: quietLog });
    const now = clock.now();
    const failed: string[] = [];
    // One append (one fsync) per partition per batch, not per record.
    const staged = new Map<string, { keys: { table: ArchiveTable; dt: string }; texts: string[] }>();
    results.forEach((result, i) => {
      if (result.result === 'Ok') {
        const keys = result.metadata!.partitionKeys as { table: ArchiveTable; dt: string };
        const id = `${keys.table}__${keys.dt}`;
        const entry = staged.get(id) ?? { keys, texts: [] };
        entry.texts.push(Buffer.from(result.data!, 'base64').toString('utf8'));
        staged.set(id, entry);
      } else if (result.result === 'Dropped') {
        stats.recordsSkipped++;
      } else {
        const arrived = (event.Records[i]!.kinesis.approximateArrivalTimestamp ?? now / 1000) * 1000;
        failed.push(JSON.stringify(errorRecord(records[i]!.data, arrived, now)));
      }
    });
    // Awaited: the stream position moves past these records only once their rows are on disk.
    await Promise.all(
      [...staged.values()].map(({ keys, texts }) => {
        const text = texts.join('');
        return staging.append(keys, text, text.split('\n').length - 1, now);
      }),
    );
    if (failed.length > 0) {
      const dir = join(options.dir, 'errors', 'processing-failed', `dt=${archiveDay(now)}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${now}-${randomBytes(4).toString('hex')}.json`), `${failed.join('\n')}\n`);
      stats.recordsFailed += failed.length;
    }
    stats.rowsStaged = staging.rowsStaged();
    if (staging.list().some((p) => p.bytes >= sizeBytes)) {
      flushWhere((_since, bytes) => bytes >= sizeBytes).catch(() => {});
    }
    return { batchItemFailures: [] };
  }

  const mapping = await startEventSourceMapping({
    kinesis: options.kinesis,
    streamName: options.streamName,
    streamArn: options.streamArn,
    functionName: 'archive-delivery',
    handler,
    clock,
    onFailure: memoryDestination(),
    batchSize: 500,
    maxBatchingWindowMs: 0,
    startingPosition: 'TRIM_HORIZON',
    ...(options.checkpoints && { checkpoints: options.checkpoints }),
    ...(options.pollIntervalMs !== undefined && { pollIntervalMs: options.pollIntervalMs }),
  });

  const timer = setInterval(() => {
    const now = clock.now();
    if (
      sealed.length > 0 ||
      staging.list().some((p) => now - p.since >= intervalMs || p.bytes >= sizeBytes)
    ) {
      flushWhere((since, bytes) => now - since >= intervalMs || bytes >= sizeBytes).catch(() => {});
    }
  }, options.tickMs ?? 1000);
  timer.unref();

  return {
    dir: options.dir,
    stats: () => ({ ...stats, recordsRead: mapping.stats().recordsCompleted }),
    flush: () => flushWhere(() => true),
    onFlushed(listener) {
      listeners.push(listener);
    },
    async stop({ flush = true } = {}) {
      clearInterval(timer);
      await mapping.stop();
      try {
        await queue;
        if (flush) await flushWhere(() => true);
      } finally {
        writer.close();
      }
    },
  };
}
