import { PublishCommand } from '@aws-sdk/client-iot-data-plane';
import {
  decodeTelemetry,
  type StoredAck,
  storedAckTopic,
  type TelemetryBatch,
} from '../../../protocol/index.js';
import { batchToItems, latestOfBatch } from '../../data/telemetry-items.js';
import type { LatestValue, TelemetryItem } from '../../data/types.js';
import { batchWriteAll, itemKey } from '../shared/batch-write.js';
import { PoisonRecordError } from '../shared/errors.js';
import { quarantineRecord } from '../shared/quarantine.js';
import { asPoison, assertSameTower, decodeRuleRecord } from '../shared/records.js';
import type { BatchOutcome, RuleRecord } from '../shared/types.js';
import { updateLatest } from './latest.js';
import { CONSUMER, type WriterDeps } from './types.js';
import type { KinesisStreamRecord } from 'aws-lambda';

interface Decoded {
  record: RuleRecord;
  batches: TelemetryBatch[];
  items: TelemetryItem[];
}

function decodeRecord(kinesisRecord: KinesisStreamRecord, retentionDays: number): Decoded | null {
  const record = decodeRuleRecord(kinesisRecord);
  if (record.messageType !== 'telemetry') return null;
  const batches = asPoison(() => decodeTelemetry(record.payload, true));
  assertSameTower(record, record.payload.towerId);
  for (const batch of batches) assertSameTower(record, batch.towerId, 'batches.towerId');
  const sentAt = record.payload.sentAt as number;
  const items = batches.flatMap((batch) =>
    batchToItems(batch, { receivedAt: record.receivedAt, sentAt, retentionDays }),
  );
  return { record, batches, items };
}

/**
 * Writes a Lambda batch of Kinesis records: poison records are quarantined and acknowledged;
 * telemetry items go out through BatchWriteItem (25 per request, unprocessed items retried);
 * each tower's latest-state item is updated once for the whole batch. A record is reported failed
 * only when one of its writes did not land, so a retry rewrites the same keys (idempotent).
 */
export async function writeTelemetry(
  records: readonly KinesisStreamRecord[],
  deps: WriterDeps,
): Promise<BatchOutcome> {
  const failures = new Map<string, Error>();
  const now = deps.clock.now();
  const decoded: Decoded[] = [];
  for (const kinesisRecord of records) {
    const id = kinesisRecord.kinesis.sequenceNumber;
    try {
      const d = decodeRecord(kinesisRecord, deps.retentionDays);
      if (d) decoded.push(d);
    } catch (e) {
      if (!(e instanceof PoisonRecordError)) {
        failures.set(id, e as Error);
        continue;
      }
      try {
        await quarantineRecord(
          { doc: deps.doc, tableName: deps.tableName, consumer: CONSUMER, now },
          kinesisRecord,
          e,
        );
        deps.metrics.count('RecordsQuarantined');
        deps.log.warn('record quarantined', { reason: e.message, field: e.field, sequenceNumber: id });
      } catch (qe) {
        failures.set(id, qe as Error);
      }
    }
  }

  const write = await batchWriteAll(
    deps.doc,
    deps.tableName,
    decoded.flatMap((d) => d.items),
    deps.retry,
  );
  let wcu = write.consumedWcu;
  for (const d of decoded) {
    if (d.items.some((item) => write.failedKeys.has(itemKey(item)))) {
      failures.set(
        d.record.id,
        write.lastError ?? new Error('telemetry items left unprocessed after retries'),
      );
    }
  }

  const latestByTower = new Map<
    string,
    { values: Record<string, LatestValue>; ids: string[]; seqs: number[] }
  >();
  for (const d of decoded) {
    if (failures.has(d.record.id)) continue;
    const entry = latestByTower.get(d.record.towerId) ?? { values: {}, ids: [], seqs: [] };
    // Every stored batch is acknowledged (drifted ones and duplicates too); only in-time ones move latest values.
    for (const batch of d.batches) entry.seqs.push(batch.seq);
    if (!d.items.some((item) => item.drift)) {
      for (const batch of d.batches) {
        for (const [sensorId, v] of Object.entries(latestOfBatch(batch))) {
          const have = entry.values[sensorId];
          if (!have || v.t >= have.t) entry.values[sensorId] = v;
        }
      }
    }
    entry.ids.push(d.record.id);
    latestByTower.set(d.record.towerId, entry);
  }
  const acks: StoredAck[] = [];
  await Promise.all(
    [...latestByTower].map(async ([towerId, { values, ids, seqs }]) => {
      try {
        const update = await updateLatest(deps.doc, deps.tableName, towerId, values, now, seqs);
        wcu += update.wcu;
        if (update.ack) acks.push(update.ack);
      } catch (e) {
        for (const id of ids) failures.set(id, e as Error);
      }
    }),
  );
  if (deps.iot) await Promise.all(acks.map((ack) => sendStoredAck(deps, ack)));

  const landed = decoded.filter((d) => !failures.has(d.record.id));
  deps.metrics.count(
    'ReadingsWritten',
    landed.reduce((n, d) => n + d.batches.reduce((m, b) => m + b.readings.length, 0), 0),
  );
  deps.metrics.count(
    'ItemsWritten',
    landed.reduce((n, d) => n + d.items.length, 0),
  );
  const drifted = landed.flatMap((d) => d.items.filter((i) => i.drift));
  if (drifted.length) deps.metrics.count('BatchesClockDrift', drifted.length);
  deps.metrics.count('WriteCapacityUnits', wcu);
  if (failures.size) deps.metrics.count('RecordsFailed', failures.size);
  return { failures };
}

/**
 * After the writes it names have landed. A failed publish never fails the batch: the tower sends
 * the batch again after its timeout, and that redelivery brings the next acknowledgement.
 */
async function sendStoredAck(deps: WriterDeps, ack: StoredAck): Promise<void> {
  try {
    await deps.iot!.send(
      new PublishCommand({
        topic: storedAckTopic(ack.towerId),
        qos: 1,
        payload: Buffer.from(JSON.stringify(ack)),
      }),
    );
    deps.metrics.count('StoredAcksSent');
  } catch (e) {
    deps.metrics.count('StoredAcksFailed');
    deps.log.warn('stored acknowledgement not sent', { towerId: ack.towerId, error: (e as Error).message });
  }
}
