import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import { type Alert, SNS } from '../../../protocol/index.js';

export interface Notification {
  subject: string;
  message: string;
  attributes: Record<string, MessageAttributeValue>;
}

const iso = (t: number) => new Date(t).toISOString();

/** A readable subject and body, and the attributes subscription filter policies match on. */
export function formatNotification(alert: Alert): Notification {
  const verb = alert.state === 'raise' ? 'raised' : 'cleared';
  const what = alert.sensorId === 'tower' ? alert.rule : `${alert.sensorId} ${alert.rule}`;
  // SNS subjects: printable ASCII, no line breaks, at most 100 characters.
  const subject = `[${alert.severity.toUpperCase()}] ${alert.towerId} ${what} ${verb}`
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, SNS.maxSubjectChars);
  const lines = [
    `Tower ${alert.towerId}: ${what} (${alert.severity}) ${verb} at ${iso(alert.time)}.`,
    ...(alert.value !== null
      ? [`Value ${alert.value}${alert.threshold !== null ? `, threshold ${alert.threshold}` : ''}.`]
      : []),
    ...(alert.message ? [alert.message] : []),
    `Alert id: ${alert.alertId}`,
  ];
  const str = (StringValue: string): MessageAttributeValue => ({ DataType: 'String', StringValue });
  return {
    subject,
    message: lines.join('\n'),
    attributes: {
      severity: str(alert.severity),
      towerId: str(alert.towerId),
      sensor: str(alert.sensorId),
      rule: str(alert.rule),
      state: str(alert.state),
    },
  };
}

/** The alert raised for a tower that stayed disconnected past the grace period. */
export function towerOfflineAlert(
  towerId: string,
  disconnectedAt: number,
  graceMs: number,
  state: Alert['state'],
): Alert {
  return {
    schema: 1,
    towerId,
    alertId: `tower-offline:${towerId}:${disconnectedAt}`,
    state,
    severity: 'critical',
    rule: 'tower-offline',
    sensorId: 'tower',
    value: null,
    threshold: null,
    time: disconnectedAt,
    message:
      state === 'raise'
        ? `No reconnect within ${Math.round(graceMs / 1000)} s of the disconnect.`
        : 'The tower has reconnected.',
  };
}
