import { PublishCommand } from '@aws-sdk/client-sns';
import type { Alert } from '../../../protocol/index.js';
import { formatNotification } from './message.js';
import { type ClaimKey, claim, settleClaim } from './store.js';
import type { NotifierDeps } from './types.js';

export async function publish(deps: NotifierDeps, alert: Alert): Promise<void> {
  const n = formatNotification(alert);
  await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.topicArn,
      Subject: n.subject,
      Message: n.message,
      MessageAttributes: n.attributes,
    }),
  );
  deps.metrics.count('NotificationsSent');
}

/**
 * Exactly one SNS message per notification key, even when the record is redelivered: claim it with a
 * conditional put, publish, then mark it sent. A failed publish marks it failed, which the next
 * attempt may claim again.
 */
export async function notifyOnce(
  deps: NotifierDeps,
  alert: Alert,
  key: ClaimKey,
): Promise<'sent' | 'duplicate'> {
  if ((await claim(deps, alert, key)) === 'done') return 'duplicate';
  try {
    await publish(deps, alert);
  } catch (e) {
    await settleClaim(deps, alert, key, 'failed');
    throw e;
  }
  await settleClaim(deps, alert, key, 'sent');
  return 'sent';
}
