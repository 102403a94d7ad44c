import { IOT } from './limits.js';
import { TOPIC_FILTERS } from './topics.js';

/**
 * The IoT topic rules, written once: the CDK app deploys these and the local rules engine runs
 * these. Every rule adds the same three fields so the consumers can trust where a record came from:
 * `topicTowerId` (from the topic the broker authorised, not the payload), `messageType`, and
 * `receivedAt` (IoT receive time, used for clock-drift checks).
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
  /** Kinesis partition key substitution template: one tower's records stay ordered on one shard. */
  readonly partitionKey: string;
  /** Unset: the Kinesis action only. */
  readonly actions?: readonly TopicRuleAction[];
}

const TO_STREAM = [{ kind: 'kinesis' }] as const satisfies readonly TopicRuleAction[];

const enrich = (towerIdExpr: string, type: MessageType) =>
  `SELECT *, ${towerIdExpr} AS topicTowerId, '${type}' AS messageType, timestamp() AS receivedAt`;

export const TOPIC_RULES = [
  {
    name: 'towerwatch_telemetry',
    messageType: 'telemetry',
    description: 'Tower telemetry batches to Kinesis',
    sql: `${enrich('topic(3)', 'telemetry')} FROM '${TOPIC_FILTERS.telemetry}'`,
    sqlVersion: IOT.sqlVersion,
    partitionKey: '${topic(3)}',
    actions: TO_STREAM,
  },
  {
    name: 'towerwatch_alert',
    messageType: 'alert',
    description: 'Tower alerts to alert-notifier at once, and to Kinesis',
    sql: `${enrich('topic(3)', 'alert')} FROM '${TOPIC_FILTERS.alert}'`,
    sqlVersion: IOT.sqlVersion,
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
    sql: `${enrich('topic(3)', 'status')} FROM '${TOPIC_FILTERS.status}'`,
    sqlVersion: IOT.sqlVersion,
    partitionKey: '${topic(3)}',
    actions: TO_STREAM,
  },
  {
    name: 'towerwatch_lifecycle',
    messageType: 'lifecycle',
    description: 'Connect/disconnect lifecycle events to Kinesis',
    sql: `${enrich('topic(5)', 'lifecycle')} FROM '${TOPIC_FILTERS.presence}'`,
    sqlVersion: IOT.sqlVersion,
    partitionKey: '${topic(5)}',
    actions: TO_STREAM,
  },
] as const satisfies readonly TopicRuleDefinition[];

/** The actions a rule runs, in order (a definition without `actions` only writes to Kinesis). */
export function ruleActions(rule: TopicRuleDefinition): readonly TopicRuleAction[] {
  return rule.actions ?? TO_STREAM;
}

/** Fields every rule adds to the payload before it reaches Kinesis. */
export interface RuleEnrichment {
  topicTowerId: string;
  messageType: MessageType;
  receivedAt: number;
}
