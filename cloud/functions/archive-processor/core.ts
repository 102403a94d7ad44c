import { PoisonRecordError } from '../shared/errors.js';
import { archiveRecordOfData, encodeRows } from './rows.js';
import type { FirehoseInputRecord, FirehoseOutputRecord, ProcessorDeps } from './types.js';

/**
 * Firehose's transformation contract: exactly one result per input record, same `recordId`.
 * Telemetry and alerts become rows with their partition keys (`Ok`); status and lifecycle are
 * `Dropped` (the twin keeps them); a record that can never be read is `ProcessingFailed`, which
 * Firehose writes, untouched, under the error prefix, where `towerwatch redrive` finds it.
 */
export function processArchiveRecords(
  records: readonly FirehoseInputRecord[],
  deps: ProcessorDeps,
): FirehoseOutputRecord[] {
  let rows = 0;
  const results = records.map((record): FirehoseOutputRecord => {
    try {
      const archived = archiveRecordOfData(Buffer.from(record.data, 'base64'));
      if (archived.kind === 'skip') return { recordId: record.recordId, result: 'Dropped' };
      rows += archived.rows.length;
      return {
        recordId: record.recordId,
        result: 'Ok',
        data: Buffer.from(encodeRows(archived.rows)).toString('base64'),
        metadata: { partitionKeys: { ...archived.partition } },
      };
    } catch (e) {
      if (!(e instanceof PoisonRecordError)) throw e;
      deps.metrics.count('RecordsFailed');
      deps.log.warn('record not archivable', {
        reason: e.message,
        field: e.field,
        recordId: record.recordId,
      });
      return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    }
  });
  deps.metrics.count('RowsArchived', rows);
  return results;
}
