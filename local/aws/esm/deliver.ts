import type { KinesisStreamRecord } from 'aws-lambda';
import type { EventSourceSettings } from '../../../cloud/data/tables.js';
import type { Clock } from '../../../cloud/functions/shared/types.js';
import { invokeFunction } from './invoke.js';
import type {
  FailureCondition,
  FailureDestination,
  FailureRecord,
  KinesisFunction,
  MappingStats,
} from './types.js';

export interface DeliverContext {
  handler: KinesisFunction;
  settings: EventSourceSettings;
  clock: Clock;
  destination?: FailureDestination;
  functionArn: string;
  streamArn: string;
  shardId: string;
  stats: MappingStats;
  sleep(ms: number): Promise<void>;
  retryDelayMs: number;
  /** True once the mapping is stopping: give up without checkpointing. */
  stopped(): boolean;
}

interface Segment {
  records: KinesisStreamRecord[];
  /** Invocations of this segment's first record that failed (retries so far). */
  retries: number;
}

function failureRecord(
  ctx: DeliverContext,
  records: KinesisStreamRecord[],
  condition: FailureCondition,
  invokes: number,
  error?: Error,
): FailureRecord {
  const first = records[0]!;
  const last = records[records.length - 1]!;
  const iso = (r: KinesisStreamRecord) =>
    new Date(r.kinesis.approximateArrivalTimestamp * 1000).toISOString();
  return {
    version: '1.0',
    timestamp: new Date(ctx.clock.now()).toISOString(),
    requestContext: { functionArn: ctx.functionArn, condition, approximateInvokeCount: invokes },
    responseContext: error ? { functionError: 'Unhandled', errorMessage: error.message } : {},
    KinesisBatchInfo: {
      shardId: ctx.shardId,
      startSequenceNumber: first.kinesis.sequenceNumber,
      endSequenceNumber: last.kinesis.sequenceNumber,
      approximateArrivalOfFirstRecord: iso(first),
      approximateArrivalOfLastRecord: iso(last),
      batchSize: records.length,
      streamArn: ctx.streamArn,
    },
    records,
  };
}

async function discard(
  ctx: DeliverContext,
  records: KinesisStreamRecord[],
  condition: FailureCondition,
  invokes: number,
  error?: Error,
) {
  await ctx.destination?.send(failureRecord(ctx, records, condition, invokes, error));
  ctx.stats.recordsToDestination += records.length;
  ctx.stats.recordsCompleted += records.length;
}

/**
 * Delivers one batch taken from a shard until every record is processed or discarded, in order —
 * the shard does not move on before that. Lambda's Kinesis semantics:
 * - records older than MaximumRecordAgeInSeconds are discarded to the on-failure destination;
 * - a partial batch response resumes at the lowest failed record (everything before it is done);
 * - a function error with BisectBatchOnFunctionError splits the batch in two halves, processed in
 *   order; splitting does not count as a retry;
 * - after MaximumRetryAttempts retries (-1: until the record expires) the batch goes to the
 *   on-failure destination and the shard continues after it.
 * Returns false when the mapping stopped before the batch was done (nothing more is checkpointed).
 */
export async function deliverBatch(ctx: DeliverContext, records: KinesisStreamRecord[]): Promise<boolean> {
  const { settings } = ctx;
  const queue: Segment[] = [{ records, retries: 0 }];
  while (queue.length > 0) {
    if (ctx.stopped()) return false;
    const seg = queue[0]!;
    if (settings.maximumRecordAgeSeconds >= 0) {
      const oldest = ctx.clock.now() - settings.maximumRecordAgeSeconds * 1000;
      const expired = seg.records.filter((r) => r.kinesis.approximateArrivalTimestamp * 1000 < oldest);
      if (expired.length) {
        await discard(ctx, expired, 'RecordAgeExceeded', seg.retries);
        seg.records = seg.records.filter((r) => !expired.includes(r));
      }
      if (seg.records.length === 0) {
        queue.shift();
        continue;
      }
    }
    ctx.stats.invocations++;
    const outcome = await invokeFunction(ctx.handler, seg.records, settings.reportBatchItemFailures);
    if (outcome.kind === 'success') {
      ctx.stats.recordsCompleted += seg.records.length;
      queue.shift();
      continue;
    }
    if (outcome.kind === 'partial') {
      ctx.stats.partialFailures++;
      ctx.stats.recordsCompleted += outcome.firstFailedIndex;
      seg.retries = outcome.firstFailedIndex > 0 ? 1 : seg.retries + 1;
      seg.records = seg.records.slice(outcome.firstFailedIndex);
    } else {
      ctx.stats.functionErrors++;
      if (settings.bisectBatchOnFunctionError && seg.records.length > 1) {
        const half = Math.ceil(seg.records.length / 2);
        queue.splice(
          0,
          1,
          { records: seg.records.slice(0, half), retries: seg.retries },
          { records: seg.records.slice(half), retries: seg.retries },
        );
        continue;
      }
      seg.retries++;
    }
    if (settings.maximumRetryAttempts >= 0 && seg.retries > settings.maximumRetryAttempts) {
      await discard(
        ctx,
        seg.records,
        'RetryAttemptsExhausted',
        seg.retries,
        outcome.kind === 'error' ? outcome.error : undefined,
      );
      queue.shift();
      continue;
    }
    await ctx.sleep(ctx.retryDelayMs);
  }
  return true;
}
