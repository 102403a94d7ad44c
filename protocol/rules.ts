import { ProtocolError } from './errors.js';
import { IOT } from './limits.js';
import { TOPIC_FILTERS } from './topics.js';

/**
 * The IoT topic rules, written once: the CDK app deploys these and the local rules engine runs
 * these. Every rule outputs the same four fields and nothing else (`RuleOutputDocument`): `towerId`
 * (from the topic the broker authorised, not the payload), `messageType`, `receivedAt` (IoT receive
 * time, used for clock-drift checks) and `payload`, the device's bytes base64-encoded. Nesting the
 * payload is what makes the first three trustworthy: with `SELECT *, topic(3) AS …` a payload field
 * of the same name would collide with the rule's, and which one wins is undocumented.
 */
export const MESSAGE_TYPES = ['telemetry', 'alert', 'status', 'lifecycle'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/**
 * Functions a rule may invoke directly, named as their handler folders under `cloud/functions/`
 * (the CDK app and the local stack each map the name to their deployment of it).
 */
export const RULE_TARGET_FUNCTIONS = ['alert-notifier'] as const;
export type RuleTargetFunction = (typeof RULE_TARGET_FUNCTIONS)[number];

/**
 * What a rule does with its output. `kinesis` puts it on the ingest stream (partition key: the rule's
 * `partitionKey`); `lambda` invokes the function asynchronously (IoT's Lambda action is an `Event`
 * invoke: the rule does not wait for the function, Lambda retries it and keeps what still fails).
 */
export type TopicRuleAction =
  | { readonly kind: 'kinesis' }
  | { readonly kind: 'lambda'; readonly function: RuleTargetFunction };

export interface TopicRuleDefinition {
  /** Deployed rule name (`[a-zA-Z0-9_]+`). */
  readonly name: string;
  readonly messageType: MessageType;
  readonly description: string;
  readonly sql: string;
  readonly sqlVersion: typeof IOT.sqlVersion;
  /** The topic level (1-based, as `topic(n)` counts) that names the tower or its client id. */
  readonly towerIdTopicLevel: number;
  /** Kinesis partition key substitution template: one tower's records stay ordered on one shard. */
  readonly partitionKey: string;
  /** Unset: the Kinesis action only. */
  readonly actions?: readonly TopicRuleAction[];
}

const TO_STREAM = [{ kind: 'kinesis' }] as const satisfies readonly TopicRuleAction[];

/**
 * `encode(*, 'base64')` encodes the whole payload whatever its content ("Working with binary
 * payloads", AWS IoT developer guide: `SELECT encode(*, 'base64') AS data, timestamp() AS ts`), so
 * the output's top level holds only the rule's own fields and no payload field can take their place.
 */
const select = (towerIdTopicLevel: number, type: MessageType) =>
  `SELECT encode(*, 'base64') AS payload, topic(${towerIdTopicLevel}) AS towerId, '${type}' AS messageType, timestamp() AS receivedAt`;

export const TOPIC_RULES = [
  {
    name: 'towerwatch_telemetry',
    messageType: 'telemetry',
    description: 'Tower telemetry batches to Kinesis',
    sql: `${select(3, 'telemetry')} FROM '${TOPIC_FILTERS.telemetry}'`,
    sqlVersion: IOT.sqlVersion,
    towerIdTopicLevel: 3,
    partitionKey: '${topic(3)}',
    actions: TO_STREAM,
  },
  {
    name: 'towerwatch_alert',
    messageType: 'alert',
    description: 'Tower alerts to alert-notifier at once, and to Kinesis',
    sql: `${select(3, 'alert')} FROM '${TOPIC_FILTERS.alert}'`,
    sqlVersion: IOT.sqlVersion,
    towerIdTopicLevel: 3,
    partitionKey: '${topic(3)}',
    // The direct invoke is the fast path (no shard polling between the alert and SNS); the stream
    // stays the durable, ordered backstop the twin and history read, and the notifier reads it too,
    // de-duplicating on (alertId, state), so a failed invoke still ends in exactly one notification.
    actions: [{ kind: 'kinesis' }, { kind: 'lambda', function: 'alert-notifier' }],
  },
  {
    name: 'towerwatch_status',
    messageType: 'status',
    description: 'Tower status reports to Kinesis',
    sql: `${select(3, 'status')} FROM '${TOPIC_FILTERS.status}'`,
    sqlVersion: IOT.sqlVersion,
    towerIdTopicLevel: 3,
    partitionKey: '${topic(3)}',
    actions: TO_STREAM,
  },
  {
    name: 'towerwatch_lifecycle',
    messageType: 'lifecycle',
    description: 'Connect/disconnect lifecycle events to Kinesis',
    sql: `${select(5, 'lifecycle')} FROM '${TOPIC_FILTERS.presence}'`,
    sqlVersion: IOT.sqlVersion,
    towerIdTopicLevel: 5,
    partitionKey: '${topic(5)}',
    actions: TO_STREAM,
  },
] as const satisfies readonly TopicRuleDefinition[];

/** The actions a rule runs, in order (a definition without `actions` only writes to Kinesis). */
export function ruleActions(rule: TopicRuleDefinition): readonly TopicRuleAction[] {
  return rule.actions ?? TO_STREAM;
}

/** What every rule outputs: the Kinesis record's data, and the event of a rule's Lambda action. */
export interface RuleOutputDocument {
  /** The device's payload bytes, base64: opaque to the rule, parsed by the consumer. */
  payload: string;
  /** `topic(towerIdTopicLevel)`: a tower id, or for lifecycle events the MQTT client id. */
  towerId: string;
  messageType: MessageType;
  /** IoT Core's `timestamp()`, epoch ms. */
  receivedAt: number;
}

/**
 * The document `rule`'s SQL makes of one message, for producers that rebuild it outside IoT Core (a
 * redrive of a rule-error payload). The local rules engine's tests hold this equal to the SQL's output.
 */
export function ruleOutputDocument(
  rule: Pick<TopicRuleDefinition, 'messageType' | 'towerIdTopicLevel'>,
  topic: string,
  payload: Uint8Array,
  receivedAt: number,
): RuleOutputDocument {
  const towerId = topic.split('/')[rule.towerIdTopicLevel - 1];
  if (!towerId) {
    throw new ProtocolError(
      `topic ${topic} has no level ${rule.towerIdTopicLevel} naming the tower`,
      'topic',
    );
  }
  return {
    payload: Buffer.from(payload).toString('base64'),
    towerId,
    messageType: rule.messageType,
    receivedAt,
  };
}
