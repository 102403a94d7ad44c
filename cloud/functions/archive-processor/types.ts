import type { FirehoseTransformationEventRecord, FirehoseTransformationResultRecord } from 'aws-lambda';
import type { ArchivePartitionKeys, ArchiveRow } from '../../../protocol/index.js';
import type { LogSink, MetricsSink } from '../shared/types.js';

export const CONSUMER = 'archive-processor' as const;

/** What one stream record becomes in the archive: its rows, and the partition they go to. */
export type ArchiveRecord =
  | { kind: 'rows'; partition: ArchivePartitionKeys; rows: ArchiveRow[] }
  /** Status and lifecycle messages: kept by the twin, not archived. */
  | { kind: 'skip'; messageType: string };

export interface ProcessorDeps {
  metrics: MetricsSink;
  log: LogSink;
}

export type FirehoseInputRecord = Pick<FirehoseTransformationEventRecord, 'recordId' | 'data'>;
export type FirehoseOutputRecord = FirehoseTransformationResultRecord;
