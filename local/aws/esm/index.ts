import { type KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { FUNCTIONS, type EventSourceSettings } from '../../../cloud/data/tables.js';
import { systemClock } from '../../../cloud/functions/shared/types.js';
import { memoryCheckpoints } from './destinations.js';
import { pollShard } from './poller.js';
import type { EventSourceMappingOptions, MappingStats } from './types.js';

export interface EventSourceMapping {
  readonly functionName: string;
  readonly shardIds: readonly string[];
  stats(): MappingStats;
  /**
   * UpdateEventSourceMapping's `Enabled`: a disabled mapping keeps its position and reads nothing.
   * Disabling resolves once every shard's poller has finished its batch in hand and stopped reading.
   */
  setEnabled(enabled: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** The production mapping settings; tests and the local stack override single fields. */
export const DEFAULT_SETTINGS: EventSourceSettings = FUNCTIONS.telemetryWriter.eventSource;

async function listShardIds(kinesis: KinesisClient, streamName: string): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const out = await kinesis.send(
      new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }),
    );
    ids.push(...(out.Shards ?? []).map((s) => s.ShardId!));
    token = out.NextToken;
  } while (token);
  return ids;
}

/**
 * A Lambda event source mapping for a Kinesis stream, run in this process against kinesalite:
 * one poller per shard, records in order, and the mapping's batching, retry, bisect, record-age and
 * on-failure semantics (see deliver.ts). Why by hand: no maintained package emulates the mapping
 * itself; LocalStack does, but needs Docker and a second runtime.
 */
export async function startEventSourceMapping(
  options: EventSourceMappingOptions,
): Promise<EventSourceMapping> {
  const settings: EventSourceSettings = {
    batchSize: options.batchSize ?? DEFAULT_SETTINGS.batchSize,
    maxBatchingWindowMs: options.maxBatchingWindowMs ?? DEFAULT_SETTINGS.maxBatchingWindowMs,
    bisectBatchOnFunctionError:
      options.bisectBatchOnFunctionError ?? DEFAULT_SETTINGS.bisectBatchOnFunctionError,
    maximumRetryAttempts: options.maximumRetryAttempts ?? DEFAULT_SETTINGS.maximumRetryAttempts,
    maximumRecordAgeSeconds: options.maximumRecordAgeSeconds ?? DEFAULT_SETTINGS.maximumRecordAgeSeconds,
    reportBatchItemFailures: options.reportBatchItemFailures ?? DEFAULT_SETTINGS.reportBatchItemFailures,
    startingPosition: options.startingPosition ?? DEFAULT_SETTINGS.startingPosition,
  };
  const stats: MappingStats = {
    invocations: 0,
    functionErrors: 0,
    partialFailures: 0,
    recordsCompleted: 0,
    recordsToDestination: 0,
    polls: 0,
    recordsInFlight: 0,
    iteratorAgeMs: 0,
  };
  let stopped = false;
  let enabled = true;
  const parked = new Set<string>();
  let onAllParked: (() => void) | undefined;
  const wakers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakers.add(done);
    });
  const region = await options.kinesis.config.region();
  const shardIds = await listShardIds(options.kinesis, options.streamName);
  const checkpoints = options.checkpoints ?? memoryCheckpoints();
  const loops = shardIds.map((shardId) =>
    pollShard({
      kinesis: options.kinesis,
      streamName: options.streamName,
      streamArn: options.streamArn,
      region,
      shardId,
      handler: options.handler,
      settings,
      clock: options.clock ?? systemClock,
      ...(options.onFailure && { destination: options.onFailure }),
      functionArn: `arn:aws:lambda:${region}:000000000000:function:${options.functionName}`,
      stats,
      sleep,
      retryDelayMs: options.retryDelayMs ?? 100,
      pollIntervalMs: options.pollIntervalMs ?? 100,
      checkpoints,
      stopped: () => stopped,
      enabled: () => enabled,
      parked(shardId) {
        parked.add(shardId);
        if (parked.size === shardIds.length) onAllParked?.();
      },
    }),
  );
  return {
    functionName: options.functionName,
    shardIds,
    stats: () => ({ ...stats }),
    setEnabled(value) {
      enabled = value;
      parked.clear();
      if (value || stopped) return Promise.resolve();
      return new Promise<void>((resolve) => {
        onAllParked = resolve;
      });
    },
    async stop() {
      stopped = true;
      onAllParked?.();
      for (const wake of [...wakers]) wake();
      await Promise.allSettled(loops);
    },
  };
}

export * from './destinations.js';
export type * from './types.js';
