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

export interface TopicRuleDefinition {
  /** Deployed rule name (`[a-zA-Z0-9_]+`). */
  readonly name: string;
  readonly messageType: MessageType;
  readonly description: string;
  readonly sql: string;
  readonly sqlVersion: typeof IOT.sqlVersion;
  /** Kinesis partition key substitution template: one tower's records stay ordered on one shard. */
  readonly partitionKey: string;
}

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
  },
  {
    name: 'towerwatch_alert',
    messageType: 'alert',
    description: 'Tower alerts to Kinesis',
    sql: `${enrich('topic(3)', 'alert')} FROM '${TOPIC_FILTERS.alert}'`,
    sqlVersion: IOT.sqlVersion,
    partitionKey: '${topic(3)}',
  },
  {
    name: 'towerwatch_status',
    messageType: 'status',
    description: 'Tower status reports to Kinesis',
    sql: `${enrich('topic(3)', 'status')} FROM '${TOPIC_FILTERS.status}'`,
    sqlVersion: IOT.sqlVersion,
    partitionKey: '${topic(3)}',
  },
  {
    name: 'towerwatch_lifecycle',
    messageType: 'lifecycle',
    description: 'Connect/disconnect lifecycle events to Kinesis',
    sql: `${enrich('topic(5)', 'lifecycle')} FROM '${TOPIC_FILTERS.presence}'`,
    sqlVersion: IOT.sqlVersion,
    partitionKey: '${topic(5)}',
  },
] as const satisfies readonly TopicRuleDefinition[];

/** Fields every rule adds to the payload before it reaches Kinesis. */
export interface RuleEnrichment {
  topicTowerId: string;
  messageType: MessageType;
  receivedAt: number;
}
