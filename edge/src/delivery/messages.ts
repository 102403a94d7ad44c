import { deviceTopic, SCHEMA_VERSION } from '../../../protocol/index.js';
import type { LaneName, StoredRecord } from '../buffer/index.js';
import type { OutgoingMessage } from './types.js';

/** The bytes a bundle adds around its batches: `{"schema":1,"towerId":"…","sentAt":<13 digits>,"batches":[]}`. */
export function bundleEnvelopeBytes(towerId: string): number {
  return `{"schema":${SCHEMA_VERSION},"towerId":${JSON.stringify(towerId)},"sentAt":0000000000000,"batches":[]}`
    .length;
}

/**
 * One stored record goes out exactly as stored; several consecutive telemetry batches go out as one
 * TelemetryBundle, spliced from the stored JSON without re-parsing. Each inner batch keeps its seq.
 */
export function buildMessage(
  towerId: string,
  lane: LaneName,
  records: StoredRecord[],
  sentAt: number,
): OutgoingMessage {
  const topic = deviceTopic(towerId, lane === 'alerts' ? 'alert' : 'telemetry');
  const readings = records.reduce((n, r) => n + r.count, 0);
  if (records.length === 1) return { lane, topic, payload: records[0]!.payload, records, readings };
  const parts: Buffer[] = [
    Buffer.from(
      `{"schema":${SCHEMA_VERSION},"towerId":${JSON.stringify(towerId)},"sentAt":${sentAt},"batches":[`,
    ),
  ];
  records.forEach((r, i) => {
    if (i) parts.push(COMMA);
    parts.push(r.payload);
  });
  parts.push(CLOSE);
  return { lane, topic, payload: Buffer.concat(parts), records, readings };
}

const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');
