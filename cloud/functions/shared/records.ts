import type { KinesisStreamRecord } from 'aws-lambda';
import {
  isTowerId,
  MESSAGE_TYPES,
  type MessageType,
  ProtocolError,
  type RuleOutputDocument,
} from '../../../protocol/index.js';
import { PoisonRecordError } from './errors.js';
import type { RuleOutput, RuleRecord } from './types.js';

/** Greengrass appends `#<n>` to the thing name for extra MQTT connections of one core. */
export function thingNameOfClientId(clientId: string): string {
  const hash = clientId.indexOf('#');
  return hash === -1 ? clientId : clientId.slice(0, hash);
}

/** Decodes one Kinesis record into the rule output; throws PoisonRecordError when it can never be read. */
export function decodeRuleRecord(record: KinesisStreamRecord): RuleRecord {
  const text = Buffer.from(record.kinesis.data, 'base64').toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PoisonRecordError(`record is not JSON: ${(e as Error).message}`, 'data');
  }
  return { ...ruleOutputOf(value), record, id: record.kinesis.sequenceNumber };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The device's bytes the rule nested (`encode(*, 'base64')`), parsed; anything else is poison. */
function devicePayloadOf(nested: unknown): Record<string, unknown> {
  if (typeof nested !== 'string' || !BASE64.test(nested)) {
    throw new PoisonRecordError(
      "payload must be the device payload base64-encoded by the rule (encode(*, 'base64'))",
      'payload',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(nested, 'base64').toString('utf8'));
  } catch (e) {
    throw new PoisonRecordError(`device payload is not JSON: ${(e as Error).message}`, 'payload');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PoisonRecordError('device payload must be a JSON object', 'payload');
  }
  return value as Record<string, unknown>;
}

/**
 * Reads an already parsed rule output (a Kinesis record's data, or the event an IoT rule's Lambda
 * action sends): the rule's own fields at the top, the device payload nested, so nothing the device
 * sends can stand in for them. Throws PoisonRecordError when it can never be read.
 */
export function ruleOutputOf(value: unknown): RuleOutput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PoisonRecordError('record must be a JSON object (the IoT rule output)', 'data');
  }
  const output = value as Partial<Record<keyof RuleOutputDocument, unknown>>;
  const messageType = output.messageType as MessageType;
  if (!MESSAGE_TYPES.includes(messageType)) {
    throw new PoisonRecordError(
      `messageType ${JSON.stringify(output.messageType)} is not one of ${MESSAGE_TYPES.join(', ')}`,
      'messageType',
    );
  }
  const topicId = typeof output.towerId === 'string' ? thingNameOfClientId(output.towerId) : '';
  if (!isTowerId(topicId)) {
    throw new PoisonRecordError(
      `towerId ${JSON.stringify(output.towerId)} (the rule's topic level) is not a tower id`,
      'towerId',
    );
  }
  const receivedAt = output.receivedAt;
  if (typeof receivedAt !== 'number' || !Number.isFinite(receivedAt)) {
    throw new PoisonRecordError(
      'receivedAt must be the epoch-ms receive time added by the rule',
      'receivedAt',
    );
  }
  return { messageType, towerId: topicId, receivedAt, payload: devicePayloadOf(output.payload) };
}

/** The payload must name the tower of its authorised topic; the topic wins, a mismatch is poison. */
export function assertSameTower(
  record: Pick<RuleOutput, 'towerId'>,
  payloadTowerId: unknown,
  field = 'towerId',
): void {
  if (payloadTowerId !== record.towerId) {
    throw new PoisonRecordError(
      `payload ${field} ${JSON.stringify(payloadTowerId)} differs from topic tower ${JSON.stringify(record.towerId)}`,
      field,
    );
  }
}

/** Runs `decode`; a ProtocolError from the codec becomes poison (it can never succeed on retry). */
export function asPoison<T>(decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof PoisonRecordError) throw e;
    if (e instanceof ProtocolError) throw new PoisonRecordError(e.message, e.field || 'payload');
    throw e;
  }
}
