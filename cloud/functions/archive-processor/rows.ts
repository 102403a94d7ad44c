import {
  type Alert,
  type AlertRow,
  type ArchiveRow,
  archiveDay,
  decodeAlert,
  decodeTelemetry,
  QUALITY_BY_CODE,
  type ReadingRow,
  type TelemetryBatch,
} from '../../../protocol/index.js';
import { PoisonRecordError } from '../shared/errors.js';
import { asPoison, assertSameTower, ruleOutputOf } from '../shared/records.js';
import type { RuleOutput } from '../shared/types.js';
import type { ArchiveRecord } from './types.js';

/**
 * One row per reading. Every column comes from the device's batch, none from the delivery, so a
 * redelivered batch yields rows identical to the first (and `(tower_id, seq, reading_index)` finds them).
 */
export function readingRows(batch: TelemetryBatch): ReadingRow[] {
  return batch.readings.map((r, index) => ({
    tower_id: batch.towerId,
    sensor_id: batch.sensors[r[0]]!,
    ts: batch.t0 + r[1],
    value: r[2],
    quality: QUALITY_BY_CODE[r[3] ?? 0],
    seq: batch.seq,
    reading_index: index,
  }));
}

export function alertRow(alert: Alert): AlertRow {
  return {
    tower_id: alert.towerId,
    sensor_id: alert.sensorId,
    ts: alert.time,
    value: alert.value,
    alert_id: alert.alertId,
    state: alert.state,
    rule: alert.rule,
    severity: alert.severity,
    threshold: alert.threshold,
  };
}

/**
 * What a decoded rule output becomes in the archive. Throws PoisonRecordError for a payload that can
 * never be read (the caller hands it to the error output, as the writer quarantines it).
 */
export function archiveRecordOf(output: RuleOutput): ArchiveRecord {
  switch (output.messageType) {
    case 'telemetry': {
      const batches = asPoison(() => decodeTelemetry(output.payload, true));
      assertSameTower(output, output.payload.towerId);
      for (const batch of batches) assertSameTower(output, batch.towerId, 'batches.towerId');
      const rows: ArchiveRow[] = batches.flatMap(readingRows);
      const earliest = Math.min(...rows.map((r) => r.ts));
      return { kind: 'rows', partition: { table: 'readings', dt: archiveDay(earliest) }, rows };
    }
    case 'alert': {
      const alert = asPoison(() => decodeAlert(output.payload, true));
      assertSameTower(output, alert.towerId);
      return {
        kind: 'rows',
        partition: { table: 'alerts', dt: archiveDay(alert.time) },
        rows: [alertRow(alert)],
      };
    }
    default:
      return { kind: 'skip', messageType: output.messageType };
  }
}

/** The archive record of a stream record's bytes (the IoT rule output JSON). */
export function archiveRecordOfData(data: Uint8Array): ArchiveRecord {
  return archiveRecordOf(ruleOutputOf(parseRuleJson(data)));
}

function parseRuleJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (e) {
    throw new PoisonRecordError(`record is not JSON: ${(e as Error).message}`, 'data');
  }
}

/** Rows as the delivery stream's JSON deserializer reads them: one object per line, no array. */
export function encodeRows(rows: readonly ArchiveRow[]): string {
  let out = '';
  for (const row of rows) out += `${JSON.stringify(row)}\n`;
  return out;
}
