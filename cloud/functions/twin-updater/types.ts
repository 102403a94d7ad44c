import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Alert, LifecycleEvent, Status, TelemetryBatch, TwinState } from '../../../protocol/index.js';
import type { Clock, LogSink, MetricsSink } from '../shared/types.js';

export const CONSUMER = 'twin-updater' as const;

export interface TwinConfig {
  tableName: string;
  /** Refresh period when only values changed. */
  minIntervalMs: number;
  iotDataEndpoint?: string;
}

/** What a record tells the twin. */
export type Observation =
  | { kind: 'telemetry'; receivedAt: number; batches: TelemetryBatch[]; clockDrift: boolean }
  | { kind: 'alert'; receivedAt: number; alert: Alert }
  | { kind: 'status'; receivedAt: number; status: Status }
  | { kind: 'lifecycle'; receivedAt: number; event: LifecycleEvent };

/** Per tower, kept for the life of the Lambda container so most batches need no shadow read. */
export interface CachedTwin {
  /** Every observation applied, published or not. */
  state: TwinState;
  /** What the shadow holds (null: no shadow yet). */
  published: TwinState | null;
  version: number | undefined;
}

export type TwinCache = Map<string, CachedTwin>;

export interface TwinDeps extends TwinConfig {
  iot: IoTDataPlaneClient;
  doc: DynamoDBDocumentClient;
  clock: Clock;
  metrics: MetricsSink;
  log: LogSink;
  cache: TwinCache;
  /** Conflict (409) retries per tower per batch. */
  maxConflictRetries?: number;
}
