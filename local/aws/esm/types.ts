import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { EventSourceSettings } from '../../../cloud/data/tables.js';
import type { Clock } from '../../../cloud/functions/shared/types.js';

export type KinesisFunction = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>;

export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** What Lambda sends an on-failure destination for a Kinesis batch; with the records, as the S3 destination does. */
export interface FailureRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: { functionError?: string; errorMessage?: string };
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
  records: KinesisStreamRecord[];
}

export interface FailureDestination {
  send(failure: FailureRecord): Promise<void>;
}

export interface CheckpointStore {
  get(shardId: string): string | undefined;
  set(shardId: string, sequenceNumber: string): void;
}

export interface EventSourceMappingOptions extends Partial<EventSourceSettings> {
  kinesis: KinesisClient;
  streamName: string;
  streamArn: string;
  functionName: string;
  handler: KinesisFunction;
  onFailure?: FailureDestination;
  /** Record age and the batching window are measured on this clock. */
  clock?: Clock;
  /** Idle wait between empty GetRecords calls (real time). */
  pollIntervalMs?: number;
  /** Wait before retrying a failed batch (real time). */
  retryDelayMs?: number;
  checkpoints?: CheckpointStore;
}

export interface MappingStats {
  invocations: number;
  functionErrors: number;
  partialFailures: number;
  /** Records checkpointed past: processed, or handed to the on-failure destination. */
  recordsCompleted: number;
  recordsToDestination: number;
  /** GetRecords calls made (the mapping is alive and polling). */
  polls: number;
  /** Records fetched from the shards and not yet completed. */
  recordsInFlight: number;
  /** Age of the newest record of the last batch at invocation (Lambda's IteratorAge); 0 when caught up. */
  iteratorAgeMs: number;
}

/** Outcome of one invocation as the mapping sees it. */
export type InvokeOutcome =
  | { kind: 'success' }
  | { kind: 'partial'; firstFailedIndex: number }
  | { kind: 'error'; error: Error };
