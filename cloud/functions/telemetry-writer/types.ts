import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BatchWriteOptions } from '../shared/batch-write.js';
import type { Clock, LogSink, MetricsSink } from '../shared/types.js';

export interface WriterConfig {
  tableName: string;
  retentionDays: number;
  /** Data-plane endpoint for the stored acknowledgements; unset = the SDK default. */
  iotDataEndpoint?: string;
}

export interface WriterDeps extends WriterConfig {
  doc: DynamoDBDocumentClient;
  clock: Clock;
  metrics: MetricsSink;
  log: LogSink;
  retry?: BatchWriteOptions;
  /** Publishes each tower's stored acknowledgement; without it none is sent (towers then run with confirmTimeoutMs 0). */
  iot?: IoTDataPlaneClient;
}

export const CONSUMER = 'telemetry-writer' as const;
