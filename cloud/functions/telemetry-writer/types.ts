import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BatchWriteOptions } from '../shared/batch-write.js';
import type { Clock, LogSink, MetricsSink } from '../shared/types.js';

export interface WriterConfig {
  tableName: string;
  retentionDays: number;
}

export interface WriterDeps extends WriterConfig {
  doc: DynamoDBDocumentClient;
  clock: Clock;
  metrics: MetricsSink;
  log: LogSink;
  retry?: BatchWriteOptions;
}

export const CONSUMER = 'telemetry-writer' as const;
