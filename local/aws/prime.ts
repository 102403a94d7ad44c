import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { KEYS } from '../../cloud/data/keys.js';
import type { NotifierDeps } from '../../cloud/functions/alert-notifier/types.js';

/**
 * Lambda's init phase, locally: one read of the table and one idempotent CreateTopic of the alert
 * topic before the first alert, so that alert does not pay for the clients' first requests
 * (connections, the SDK's lazily built serializers and endpoint rules, JIT). Measured: the first
 * spike of the e2e bench took 350 ms broker → SNS against 15 ms for the rest. Nothing is written.
 */
export async function primeNotifier(
  deps: Pick<NotifierDeps, 'doc' | 'sns' | 'tableName' | 'topicArn'>,
): Promise<void> {
  const topicName = deps.topicArn.split(':').pop()!;
  await Promise.allSettled([
    deps.doc.send(
      new GetCommand({
        TableName: deps.tableName,
        Key: KEYS.alertClaim('prime', 'prime', 'STATE#raise'),
        ConsistentRead: true,
      }),
    ),
    deps.sns.send(new CreateTopicCommand({ Name: topicName })),
  ]);
}
