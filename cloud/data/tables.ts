import { type RuleTargetFunction, STORED_ACK } from '../../protocol/index.js';

/**
 * The DynamoDB table and the Lambda wiring of the three consumers, as plain data: the CDK app
 * deploys from these and `local/aws` creates the same table from them, so the two cannot drift.
 *
 * One table (`TOWERWATCH_TABLE`), on-demand, `pk`/`sk` strings, TTL on `expiresAt` (epoch seconds).
 * Single-table because every access is by tower or by alert id and the consumers share it; item
 * layout (padded numbers keep string sort = numeric sort):
 *
 * | item              | pk                                   | sk                                  |
 * |-------------------|--------------------------------------|-------------------------------------|
 * | telemetry batch   | `TOWER#<towerId>#<yyyy-mm-dd>`       | `<firstReadingMs:13>#<seq:16>`      |
 * | latest values     | `TOWER#<towerId>`                    | `LATEST`                            |
 * | presence          | `TOWER#<towerId>`                    | `PRESENCE`                          |
 * | alert claim       | `ALERT#<towerId>#<alertId>`          | `STATE#<raise|clear>`, `SWEPT#clear` |
 * | suppression       | `SUPPRESS#<towerId>#<sensorId>#<rule>` | `STATE`                           |
 * | quarantine        | `QUARANTINE#<yyyy-mm-dd>`            | `<receivedAt:13>#<consumer>#<shardId>#<sequenceNumber>` |
 *
 * A telemetry item holds one batch's readings of one UTC day (a batch crossing midnight becomes one
 * item per day): `s` the sensor ids, `r` the compact readings `[sensorIndex, offsetMs, value, quality?]`
 * as JSON text relative to `t0`, `ix` the batch indexes only when the item is not the whole batch,
 * `tFrom`/`tTo` the time span (what range queries filter on). Keys come from the batch alone, so a
 * redelivery overwrites the same items; a drifted device clock is an attribute (`drift`), not a key.
 * Storage is priced per 1 KB written, so one item per batch costs ~6 write units per ~330 readings
 * where one item per reading costs 330.
 *
 * The quarantine store is an item in this table (not S3) so the local stack needs nothing more and
 * a poison record stays next to the data it failed to become; it keeps the Kinesis record whole.
 *
 * The sparse GSI `sweep` holds only items with something due (a disconnect waiting out its grace
 * period, a deferred "cleared" notification): the scheduled sweep queries it instead of scanning.
 */

export const TABLE = {
  /** Logical id in the CDK app; the physical name reaches the functions through `ENV.tableName`. */
  id: 'TowerwatchTable',
  /** Name the local stack uses. */
  localName: 'towerwatch',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
  billingMode: 'PAY_PER_REQUEST',
  globalSecondaryIndexes: [
    {
      indexName: 'sweep',
      partitionKey: { name: 'sweepKey', type: 'S' },
      sortKey: { name: 'dueAt', type: 'N' },
      projection: 'ALL',
    },
  ],
} as const;

export type AttributeType = 'S' | 'N' | 'B';
export interface KeyDefinition {
  readonly name: string;
  readonly type: AttributeType;
}

/** Environment variables the functions read. */
export const ENV = {
  tableName: 'TOWERWATCH_TABLE',
  /** Days a telemetry item lives before TTL removes it. */
  retentionDays: 'TELEMETRY_RETENTION_DAYS',
  /** The FIFO alert topic (de-duplicated by `towerId#alertId#state`): exactly once to its SQS FIFO subscribers. */
  alertTopicArn: 'ALERT_TOPIC_ARN',
  /** Optional standard topic for email/SMS subscribers (FIFO topics cannot deliver to them). */
  alertFanoutTopicArn: 'ALERT_FANOUT_TOPIC_ARN',
  /** Data-plane endpoint (`https://<id>-ats.iot.<region>.amazonaws.com`); empty = the SDK default. */
  iotDataEndpoint: 'IOT_DATA_ENDPOINT',
  /** Twin refresh period when only values changed. */
  twinMinIntervalMs: 'TWIN_MIN_INTERVAL_MS',
  /** How long a tower may stay disconnected before tower-offline is raised. */
  offlineGraceMs: 'OFFLINE_GRACE_MS',
  /** Per (tower, sensor, rule): one raise per window, one clear after the window stays quiet. */
  suppressionWindowMs: 'ALERT_SUPPRESSION_WINDOW_MS',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;
export type EnvName = (typeof ENV)[keyof typeof ENV];

export const DEFAULTS = {
  retentionDays: 400,
  twinMinIntervalMs: 5 * 60_000,
  offlineGraceMs: 5 * 60_000,
  suppressionWindowMs: 10 * 60_000,
  metricsNamespace: 'towerwatch',
} as const;

/** Clock drift beyond which a batch is flagged and bucketed by the IoT receive time. */
export const MAX_CLOCK_DRIFT_MS = 15 * 60_000;

/** Kinesis event source mapping settings (the local runner uses the same). */
export interface EventSourceSettings {
  readonly batchSize: number;
  readonly maxBatchingWindowMs: number;
  readonly bisectBatchOnFunctionError: boolean;
  readonly maximumRetryAttempts: number;
  readonly maximumRecordAgeSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
}

const KINESIS_MAPPING = {
  batchSize: 100,
  maxBatchingWindowMs: 1000,
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: 10,
  /** Below the 24 h stream retention so a stuck record reaches the on-failure destination before it expires. */
  maximumRecordAgeSeconds: 6 * 3600,
  reportBatchItemFailures: true,
  startingPosition: 'TRIM_HORIZON',
} as const satisfies EventSourceSettings;

/**
 * Asynchronous invocation (what an IoT rule's Lambda action makes), as Lambda's EventInvokeConfig:
 * retries after a function error, the oldest event still worth running, then the on-failure destination.
 */
export interface AsyncInvokeSettings {
  /** 0-2; Lambda waits about 1 min before the first retry and 2 min before the second. */
  readonly maximumRetryAttempts: number;
  /** 60-21600 s. */
  readonly maximumEventAgeSeconds: number;
}

export interface FunctionDefinition {
  /** Handler file relative to the package root. */
  readonly entry: string;
  readonly handler: string;
  readonly env: readonly EnvName[];
  readonly eventSource?: EventSourceSettings;
  /** Least-privilege grants: DynamoDB actions on the table (and its indexes when `indexes`). */
  readonly dynamodb: readonly string[];
  readonly dynamodbIndexes?: boolean;
  /** IoT data-plane actions on `thing/*\/twin` (the named shadow). */
  readonly iotData?: readonly string[];
  readonly snsPublish?: boolean;
  /** Topic patterns the function may publish to through the IoT data plane. */
  readonly iotPublishTopics?: readonly string[];
  /** Schedule for scheduled entries (EventBridge rate expression). */
  readonly schedule?: string;
  /** Set for a function an IoT rule invokes directly (`protocol/rules.ts`). */
  readonly asyncInvoke?: AsyncInvokeSettings;
}

const COMMON_ENV = [ENV.tableName, ENV.serviceName, ENV.metricsNamespace] as const;

export const FUNCTIONS = {
  telemetryWriter: {
    entry: 'cloud/functions/telemetry-writer/index.ts',
    handler: 'handler',
    env: [...COMMON_ENV, ENV.retentionDays, ENV.iotDataEndpoint],
    eventSource: KINESIS_MAPPING,
    dynamodb: ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
    // The stored acknowledgement to each tower (`protocol/schemas/stored-ack.ts`).
    iotPublishTopics: [`cmd/towerwatch/*/${STORED_ACK.command}`],
  },
  twinUpdater: {
    entry: 'cloud/functions/twin-updater/index.ts',
    handler: 'handler',
    env: [...COMMON_ENV, ENV.iotDataEndpoint, ENV.twinMinIntervalMs],
    eventSource: KINESIS_MAPPING,
    dynamodb: ['dynamodb:PutItem'],
    iotData: ['iot:GetThingShadow', 'iot:UpdateThingShadow'],
  },
  alertNotifier: {
    entry: 'cloud/functions/alert-notifier/index.ts',
    handler: 'handler',
    env: [
      ...COMMON_ENV,
      ENV.alertTopicArn,
      ENV.alertFanoutTopicArn,
      ENV.offlineGraceMs,
      ENV.suppressionWindowMs,
    ],
    // Alerts are few and urgent: a batching window would add its whole length to every alert's latency.
    eventSource: { ...KINESIS_MAPPING, maxBatchingWindowMs: 0 },
    // The alert rule also invokes it directly. Both retries fit in the event age; past it the stream
    // has long delivered the same alert, so an older direct event is not worth running.
    asyncInvoke: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 300 },
    dynamodb: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    snsPublish: true,
  },
  alertSweep: {
    entry: 'cloud/functions/alert-notifier/index.ts',
    handler: 'sweepHandler',
    env: [
      ...COMMON_ENV,
      ENV.alertTopicArn,
      ENV.alertFanoutTopicArn,
      ENV.offlineGraceMs,
      ENV.suppressionWindowMs,
    ],
    dynamodb: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
    dynamodbIndexes: true,
    snsPublish: true,
    schedule: 'rate(1 minute)',
  },
} as const satisfies Record<string, FunctionDefinition>;
export type FunctionName = keyof typeof FUNCTIONS;

/** The function behind each name an IoT rule's Lambda action uses in `protocol/rules.ts`. */
export const RULE_TARGETS = {
  'alert-notifier': 'alertNotifier',
} as const satisfies Record<RuleTargetFunction, FunctionName>;

/**
 * The Firehose transformation Lambda of the archive (`protocol/archive.ts`). Not in FUNCTIONS: no
 * table, no event source mapping; the delivery stream invokes it synchronously with its buffered records.
 */
export const ARCHIVE_PROCESSOR = {
  entry: 'cloud/functions/archive-processor/index.ts',
  handler: 'handler',
  env: [ENV.serviceName, ENV.metricsNamespace],
  /** Well above a 0.25 MB buffer's flattening (milliseconds); Firehose retries a timed-out invoke. */
  timeoutSeconds: 60,
  memoryMb: 512,
} as const;
