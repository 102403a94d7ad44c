import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamRecord } from 'aws-lambda';
import { expiresAt, KEYS } from '../../data/keys.js';
import type { PoisonRecordError } from './errors.js';

export const QUARANTINE_RETENTION_DAYS = 30;

export interface QuarantineTarget {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Which consumer refused it (several read the same stream). */
  consumer: string;
  now: number;
}

/**
 * Keeps a poison record whole (its base64 data exactly as Kinesis delivered it) with the reason, so
 * an operator can fix and replay it. Idempotent: redelivery overwrites the same key.
 */
export async function quarantineRecord(
  target: QuarantineTarget,
  record: KinesisStreamRecord,
  error: PoisonRecordError,
): Promise<void> {
  const arrivedAt = Math.round(record.kinesis.approximateArrivalTimestamp * 1000);
  const shardId = record.eventID.split(':')[0] ?? 'unknown';
  await target.doc.send(
    new PutCommand({
      TableName: target.tableName,
      Item: {
        ...KEYS.quarantine(arrivedAt, target.consumer, shardId, record.kinesis.sequenceNumber),
        kind: 'quarantine',
        consumer: target.consumer,
        reason: error.message,
        field: error.field,
        partitionKey: record.kinesis.partitionKey,
        sequenceNumber: record.kinesis.sequenceNumber,
        eventSourceARN: record.eventSourceARN,
        data: record.kinesis.data,
        quarantinedAt: target.now,
        expiresAt: expiresAt(target.now, QUARANTINE_RETENTION_DAYS),
      },
    }),
  );
}
