import { createHash } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { Alert } from '../../../protocol/index.js';
import { formatNotification } from './message.js';
import { type ClaimKey, claim, settleClaim } from './store.js';
import type { NotifierDeps } from './types.js';

export const isFifoTopic = (topicArn: string) => topicArn.endsWith('.fifo');

/**
 * What SNS FIFO de-duplicates on: one id per transition (`towerId#alertId#state`), hashed to fit the
 * 128-character limit. A publish repeated within the 5-minute window (a crash after publishing, a
 * settle that was throttled, the other path's copy) is accepted and dropped by SNS.
 */
export function deduplicationId(alert: Alert): string {
  return createHash('sha256').update(`${alert.towerId}#${alert.alertId}#${alert.state}`).digest('hex');
}

/**
 * Publishes to the FIFO topic (exactly once to its subscribers within the de-duplication window),
 * then to the standard fan-out topic for email/SMS if there is one (at least once: a repeat after a
 * crash between publish and settle reaches those subscribers twice).
 */
export async function publish(deps: NotifierDeps, alert: Alert): Promise<void> {
  const n = formatNotification(alert);
  const message = { Subject: n.subject, Message: n.message, MessageAttributes: n.attributes };
  await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.topicArn,
      ...message,
      // One group per tower: a tower's transitions stay in order, towers do not wait on each other.
      ...(isFifoTopic(deps.topicArn) && {
        MessageGroupId: alert.towerId,
        MessageDeduplicationId: deduplicationId(alert),
      }),
    }),
  );
  if (deps.fanoutTopicArn)
    await deps.sns.send(new PublishCommand({ TopicArn: deps.fanoutTopicArn, ...message }));
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
