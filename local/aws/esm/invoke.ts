import type { KinesisStreamRecord } from 'aws-lambda';
import type { InvokeOutcome, KinesisFunction } from './types.js';

/**
 * Interprets a handler's result the way the Kinesis event source mapping does with
 * ReportBatchItemFailures: an empty list is success; an empty, null or unknown itemIdentifier makes
 * the whole batch a failure; otherwise the batch resumes at the lowest failed sequence number.
 * Without ReportBatchItemFailures the response is ignored.
 */
export async function invokeFunction(
  handler: KinesisFunction,
  records: KinesisStreamRecord[],
  reportBatchItemFailures: boolean,
): Promise<InvokeOutcome> {
  let response: Awaited<ReturnType<KinesisFunction>>;
  try {
    response = await handler({ Records: records });
  } catch (e) {
    return { kind: 'error', error: e instanceof Error ? e : new Error(String(e)) };
  }
  const failures = reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
  if (failures.length === 0) return { kind: 'success' };
  const position = new Map(records.map((r, i) => [r.kinesis.sequenceNumber, i]));
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const index = failure.itemIdentifier ? position.get(failure.itemIdentifier) : undefined;
    if (index === undefined) {
      return {
        kind: 'error',
        error: new Error(
          `batchItemFailures names ${JSON.stringify(failure.itemIdentifier)}, not a record of this batch`,
        ),
      };
    }
    lowest = Math.min(lowest, index);
  }
  return { kind: 'partial', firstFailedIndex: lowest };
}
