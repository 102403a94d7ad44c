import { CreateTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { KEYS } from '../../cloud/data/keys.js';
import type { NotifierDeps } from '../../cloud/functions/alert-notifier/types.js';
import { type Alert, decodeAlert, SCHEMA_VERSION } from '../../protocol/index.js';

const PRIME_ALERT: Alert = {
  schema: SCHEMA_VERSION,
  towerId: 'tower-prime',
  alertId: 'prime',
  state: 'raise',
  severity: 'warning',
  rule: 'threshold-high',
  sensorId: 'temp-cabinet',
  value: 0,
  threshold: 0,
  time: Date.UTC(2026, 0, 1),
};

/**
 * Lambda's init phase, locally: the calls the first alert makes (a read, a conditional put, a
 * publish) and its decoding, each done once before any alert and each writing nothing: the put's
 * condition fails, the publish lacks the FIFO topic's MessageGroupId and is refused. Measured: the
 * first spike of the e2e bench took 200-300 ms broker → SNS against 15-30 ms for the rest, from
 * the SDK building each operation's serializer and the JIT on first use. Failures are ignored: an
 * unprimed path is only slower.
 */
export async function primeNotifier(
  deps: Pick<NotifierDeps, 'doc' | 'sns' | 'tableName' | 'topicArn'>,
): Promise<void> {
  const key = KEYS.alertClaim(PRIME_ALERT.towerId, PRIME_ALERT.alertId, 'STATE#raise');
  try {
    decodeAlert(JSON.stringify(PRIME_ALERT));
  } catch {
    // A schema the sample no longer fits only leaves the decoder cold.
  }
  await Promise.allSettled([
    deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true })),
    deps.doc.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: { ...key, status: 'prime' },
        ConditionExpression: 'attribute_exists(pk)',
      }),
    ),
    deps.sns.send(new CreateTopicCommand({ Name: deps.topicArn.split(':').pop()! })),
    deps.sns.send(
      new PublishCommand({
        TopicArn: deps.topicArn,
        Subject: 'prime',
        Message: 'prime',
        MessageAttributes: { rule: { DataType: 'String', StringValue: 'prime' } },
      }),
    ),
  ]);
}
