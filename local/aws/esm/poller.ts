import { GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { CheckpointStore } from './types.js';
import { type DeliverContext, deliverBatch } from './deliver.js';
import { toEventRecord } from './event.js';

export interface PollerContext extends DeliverContext {
  kinesis: KinesisClient;
  streamName: string;
  region: string;
  checkpoints: CheckpointStore;
  pollIntervalMs: number;
  /** False while the mapping is disabled: the shard is not read (records wait on the stream). */
  enabled(): boolean;
  /** Called each time the poller finds the mapping disabled, between batches. */
  parked(shardId: string): void;
}

async function shardIterator(ctx: PollerContext): Promise<string | undefined> {
  const checkpoint = ctx.checkpoints.get(ctx.shardId);
  const out = await ctx.kinesis.send(
    new GetShardIteratorCommand({
      StreamName: ctx.streamName,
      ShardId: ctx.shardId,
      ...(checkpoint
        ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: checkpoint }
        : { ShardIteratorType: ctx.settings.startingPosition }),
    }),
  );
  return out.ShardIterator;
}

/**
 * One shard's poller: reads in order, gathers up to BatchSize records or until the batching window
 * (from the first gathered record) has passed, delivers the batch, and checkpoints only after the
 * whole batch is done — the next batch of this shard never starts before.
 */
export async function pollShard(ctx: PollerContext): Promise<void> {
  const { batchSize, maxBatchingWindowMs } = ctx.settings;
  let iterator: string | undefined;
  let buffer: _Record[] = [];
  let gatheringSince: number | undefined;
  while (!ctx.stopped()) {
    if (!ctx.enabled()) {
      ctx.parked(ctx.shardId);
      await ctx.sleep(ctx.pollIntervalMs);
      continue;
    }
    let fetched = 0;
    if (buffer.length < batchSize) {
      try {
        iterator ??= await shardIterator(ctx);
        if (!iterator) return;
        const out = await ctx.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        ctx.stats.polls++;
        iterator = out.NextShardIterator;
        fetched = out.Records?.length ?? 0;
        if (fetched) {
          buffer.push(...out.Records!);
          ctx.stats.recordsInFlight += fetched;
          gatheringSince ??= ctx.clock.now();
        }
      } catch (e) {
        if (ctx.stopped()) return;
        // An expired iterator (or a transient error) restarts from the checkpoint; the buffer is refetched.
        ctx.stats.recordsInFlight -= buffer.length;
        buffer = [];
        gatheringSince = undefined;
        iterator = undefined;
        if ((e as Error).name !== 'ExpiredIteratorException') await ctx.sleep(ctx.pollIntervalMs);
        continue;
      }
    }
    const due = gatheringSince !== undefined && ctx.clock.now() - gatheringSince >= maxBatchingWindowMs;
    if (buffer.length >= batchSize || (buffer.length > 0 && due)) {
      const batch = buffer.splice(0, batchSize);
      gatheringSince = buffer.length ? ctx.clock.now() : undefined;
      const events = batch.map((r) => toEventRecord(r, ctx.shardId, ctx.streamArn, ctx.region));
      // Lambda's IteratorAge: the age of the batch's last record when the function is invoked.
      const newest = batch[batch.length - 1]!.ApproximateArrivalTimestamp?.getTime();
      ctx.stats.iteratorAgeMs = newest === undefined ? 0 : Math.max(0, ctx.clock.now() - newest);
      let done: boolean;
      try {
        done = await deliverBatch(ctx, events);
      } catch {
        // The on-failure destination itself failed: nothing is checkpointed, the batch is fetched again.
        ctx.stats.recordsInFlight -= batch.length + buffer.length;
        buffer = [];
        gatheringSince = undefined;
        iterator = undefined;
        await ctx.sleep(ctx.retryDelayMs);
        continue;
      }
      ctx.stats.recordsInFlight -= batch.length;
      if (!done) return;
      ctx.checkpoints.set(ctx.shardId, batch[batch.length - 1]!.SequenceNumber!);
    } else if (fetched === 0) {
      if (buffer.length === 0) ctx.stats.iteratorAgeMs = 0;
      await ctx.sleep(ctx.pollIntervalMs);
    }
  }
}
