import type { KinesisStreamRecord } from 'aws-lambda';
import type {
  Alert,
  LifecycleEvent,
  MessageType,
  RuleOutputDocument,
  Status,
  TelemetryBatch,
} from '../../../protocol/index.js';

export const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

/**
 * The IoT rule output for a device payload, as the rule's SQL makes it: the rule's fields, the
 * payload's JSON bytes nested base64 (`towerId` is the topic level: a tower id, or a client id).
 */
export function ruleOutput(payload: object, messageType: MessageType, towerId: string, receivedAt: number) {
  return {
    payload: Buffer.from(JSON.stringify(payload), 'utf8').toString('base64'),
    towerId,
    messageType,
    receivedAt,
  } satisfies RuleOutputDocument;
}

/** The device payload's text inside a Kinesis record's data (base64 rule output, its payload base64 again). */
export function devicePayloadText(kinesisData: string): string {
  const output = JSON.parse(Buffer.from(kinesisData, 'base64').toString('utf8')) as { payload: string };
  return Buffer.from(output.payload, 'base64').toString('utf8');
}

/** A Kinesis put for the payload, partitioned by tower as the rules do. */
export function put(payload: object, messageType: MessageType, towerId: string, receivedAt: number) {
  return { partitionKey: towerId, data: ruleOutput(payload, messageType, towerId, receivedAt) };
}

export function batch(
  towerId: string,
  seq: number,
  t0: number,
  sensors: string[],
  perSensor: number,
  stepMs = 1000,
): TelemetryBatch {
  const readings: TelemetryBatch['readings'] = [];
  for (let i = 0; i < perSensor; i++) {
    sensors.forEach((_, s) => {
      readings.push([s, i * stepMs, Math.round((20 + seq + s + i / 10) * 100) / 100]);
    });
  }
  return { schema: 1, towerId, seq, sentAt: t0 + perSensor * stepMs, t0, sensors, readings };
}

export function telemetryPut(b: TelemetryBatch, receivedAt = b.sentAt + 200) {
  return put(b, 'telemetry', b.towerId, receivedAt);
}

export function alert(
  towerId: string,
  alertId: string,
  state: Alert['state'],
  time: number,
  extra: Partial<Alert> = {},
): Alert {
  return {
    schema: 1,
    towerId,
    alertId,
    state,
    severity: 'critical',
    rule: 'threshold-high',
    sensorId: 'temp-cabinet',
    value: state === 'raise' ? 47.5 : 43,
    threshold: 45,
    time,
    ...extra,
  };
}

export function status(towerId: string, time: number, depthMessages = 0): Status {
  return {
    schema: 1,
    towerId,
    time,
    uptimeS: 100,
    buffer: { depthBytes: depthMessages * 5000, depthMessages, oldestAgeMs: null },
    drops: { readings: 0, corruptRecords: 0 },
    connectivity: { connected: true, reconnects: 0, lastConnectedAt: time },
  };
}

export function lifecycle(
  clientId: string,
  eventType: LifecycleEvent['eventType'],
  timestamp: number,
): LifecycleEvent {
  return {
    clientId,
    eventType,
    timestamp,
    ...(eventType === 'disconnected' && { disconnectReason: 'CONNECTION_LOST' }),
  };
}

export function lifecyclePut(event: LifecycleEvent, receivedAt = event.timestamp) {
  return put(event, 'lifecycle', event.clientId, receivedAt);
}

let seq = 0;
/** A Lambda Kinesis record for direct core/handler calls (no stream). */
export function kinesisRecord(data: object | string, partitionKey = 'p'): KinesisStreamRecord {
  const sequenceNumber = String(1_000_000 + ++seq);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey,
      sequenceNumber,
      data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64'),
      approximateArrivalTimestamp: T0 / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/test',
    awsRegion: 'local',
    eventSourceARN: 'arn:aws:kinesis:local:000000000000:stream/test',
  };
}

export const silentLog = { warn: () => {}, error: () => {} } as never;
