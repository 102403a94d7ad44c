import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import type { BatchOutcome, MetricsSink } from './types.js';

export type KinesisHandler = (
  event: KinesisStreamEvent,
  context?: Context,
) => Promise<KinesisStreamBatchResponse>;

/**
 * The cores work on the whole batch (to chunk writes and coalesce per tower) and return which
 * records failed; Powertools' BatchProcessor turns that into the partial batch response, so the
 * ReportBatchItemFailures contract (and the all-failed case raising) is Powertools', not ours.
 */
export function kinesisPartialBatchHandler(
  core: (records: KinesisStreamRecord[]) => Promise<BatchOutcome>,
  metrics: MetricsSink,
): KinesisHandler {
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  return async (event, context) => {
    try {
      const { failures } = await core(event.Records);
      const failIfListed = async (record: KinesisStreamRecord) => {
        const error = failures.get(record.kinesis.sequenceNumber);
        if (error) throw error;
      };
      return await processPartialResponse(event, failIfListed, processor, context ? { context } : undefined);
    } finally {
      metrics.flush?.();
    }
  };
}
