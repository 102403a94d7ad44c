import { TOPIC_RULES, type TopicRuleDefinition } from '../../protocol/index.js';
import type { LocalTopicRule } from '../iot/index.js';

/**
 * The deployed rules plus one local-only rule that taps device messages for the live view. It only
 * reads (a callback action), so the rules under test are exactly the ones the CDK app deploys.
 */
export function rulesWithLiveView(
  onDeviceMessage: (towerId: string, type: string, payload: unknown) => void,
): (TopicRuleDefinition | LocalTopicRule)[] {
  return [
    ...TOPIC_RULES,
    {
      name: 'towerwatch_local_live_view',
      sql: "SELECT *, topic(3) AS viewTowerId, topic(4) AS viewType FROM 'dt/towerwatch/+/+'",
      actions: [
        {
          kind: 'callback',
          name: 'liveView',
          deliver: (bytes: Uint8Array) => {
            const { viewTowerId, viewType, ...payload } = JSON.parse(
              Buffer.from(bytes).toString('utf8'),
            ) as Record<string, unknown>;
            try {
              onDeviceMessage(String(viewTowerId), String(viewType), payload);
            } catch {
              // A malformed device message is the consumers' to quarantine; the view just skips it.
            }
          },
        },
      ],
    },
  ];
}
