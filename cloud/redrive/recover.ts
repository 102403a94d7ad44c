import { ruleOutputDocument, TOPIC_RULES } from '../../protocol/index.js';
import { PoisonRecordError } from '../functions/shared/errors.js';
import { ruleOutputOf } from '../functions/shared/records.js';
import type { FailureDocument, RecoveredRecord } from './types.js';

/** What a failure document yields. */
export type Recovery =
  | { kind: 'records'; records: RecoveredRecord[] }
  | { kind: 'range'; shardId: string; startSequenceNumber: string; endSequenceNumber: string }
  | { kind: 'skip'; reason: string }
  | { kind: 'unrecoverable'; reason: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Actions whose failure means the message never reached the stream. */
const STREAM_LOST = new Set(['KinesisAction', 'SqlEvaluation']);

/**
 * The IoT receive time of a rule error: the error action's key starts its file name with
 * `${timestamp()}` (cloud/lib/ingest.ts; the local stack names its files the same way), else the
 * object's write time, else now. It only feeds the consumers' clock-drift flag.
 */
function receivedAtOf(doc: FailureDocument, now: number): number {
  const name = doc.key.slice(doc.key.lastIndexOf('/') + 1);
  const stamp = /^(\d{12,14})-/.exec(name);
  if (stamp) return Number(stamp[1]);
  return doc.lastModifiedMs ?? now;
}

/** IoT's error-action document: rebuilds the rule output from the original payload, as the rule's SQL would. */
function fromRuleError(doc: FailureDocument, value: Json, now: number): Recovery {
  const failures = Array.isArray(value.failures) ? (value.failures as Json[]) : [];
  const lost = failures.some((f) => STREAM_LOST.has(String(f.failedAction)));
  if (!lost) {
    const failed = failures.map((f) => String(f.failedAction)).join(', ') || 'none';
    return { kind: 'skip', reason: `the stream copy was written (failed: ${failed})` };
  }
  const rule = TOPIC_RULES.find((r) => r.name === value.ruleName);
  if (!rule)
    return { kind: 'unrecoverable', reason: `rule ${JSON.stringify(value.ruleName)} is not deployed` };
  if (typeof value.topic !== 'string' || typeof value.base64OriginalPayload !== 'string') {
    return { kind: 'unrecoverable', reason: 'the error document lacks topic or base64OriginalPayload' };
  }
  let output: ReturnType<typeof ruleOutputDocument>;
  try {
    output = ruleOutputDocument(
      rule,
      value.topic,
      Buffer.from(value.base64OriginalPayload, 'base64'),
      receivedAtOf(doc, now),
    );
  } catch (e) {
    return { kind: 'unrecoverable', reason: (e as Error).message };
  }
  return {
    kind: 'records',
    records: [
      {
        // One message, one rule: the document itself is the identity.
        id: `rule-error:${doc.key}`,
        partitionKey: output.towerId,
        data: Buffer.from(JSON.stringify(output), 'utf8'),
      },
    ],
  };
}

/** An event source mapping's on-failure document: its records when it carries them, else their range. */
function fromBatchFailure(value: Json): Recovery {
  const info = value.KinesisBatchInfo as Json;
  const shardId = String(info.shardId);
  if (Array.isArray(value.records)) {
    const records: RecoveredRecord[] = [];
    for (const r of value.records as Json[]) {
      const k = isObject(r) ? (r.kinesis as Json | undefined) : undefined;
      if (!isObject(k) || typeof k.data !== 'string' || typeof k.partitionKey !== 'string') {
        return { kind: 'unrecoverable', reason: 'a record of the batch lacks kinesis.data or partitionKey' };
      }
      records.push({
        id: `${shardId}/${String(k.sequenceNumber)}`,
        partitionKey: k.partitionKey,
        data: Buffer.from(k.data, 'base64'),
      });
    }
    return { kind: 'records', records };
  }
  if (typeof info.startSequenceNumber !== 'string' || typeof info.endSequenceNumber !== 'string') {
    return { kind: 'unrecoverable', reason: 'KinesisBatchInfo names no sequence range' };
  }
  return {
    kind: 'range',
    shardId,
    startSequenceNumber: info.startSequenceNumber,
    endSequenceNumber: info.endSequenceNumber,
  };
}

/** An asynchronous invoke's on-failure document: its event is the rule output itself. */
function fromAsyncFailure(doc: FailureDocument, value: Json): Recovery {
  try {
    // Validated as the consumers would read it; what goes back is the event as IoT produced it.
    ruleOutputOf(value.requestPayload);
    const event = value.requestPayload as Json;
    return {
      kind: 'records',
      records: [
        {
          id: `async:${doc.key}`,
          partitionKey: String(event.towerId),
          data: Buffer.from(JSON.stringify(event), 'utf8'),
        },
      ],
    };
  } catch (e) {
    if (!(e instanceof PoisonRecordError)) throw e;
    return { kind: 'unrecoverable', reason: `requestPayload is not a rule output: ${e.message}` };
  }
}

/** Classifies one failure document by its shape (the three kinds the stack writes) and recovers its records. */
export function recover(doc: FailureDocument, now: number): Recovery {
  let value: unknown;
  try {
    value = JSON.parse(doc.body);
  } catch (e) {
    return { kind: 'unrecoverable', reason: `not JSON: ${(e as Error).message}` };
  }
  if (!isObject(value)) return { kind: 'unrecoverable', reason: 'not a JSON object' };
  if ('base64OriginalPayload' in value) return fromRuleError(doc, value, now);
  if (isObject(value.KinesisBatchInfo)) return fromBatchFailure(value);
  if (isObject(value.requestContext) && 'requestPayload' in value) return fromAsyncFailure(doc, value);
  return {
    kind: 'unrecoverable',
    reason: 'not a rule error, batch failure or async failure document',
  };
}
