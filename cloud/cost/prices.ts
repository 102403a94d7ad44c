/**
 * Every unit price the cost model uses, in one table: AWS list prices for us-east-1 (N. Virginia),
 * on-demand, no free tier, no savings plans, as published on the AWS pricing pages on the date
 * below. Change a price here and every figure follows.
 */
export const PRICES_AS_OF = '2025-06-01' as const;
export const PRICE_REGION = 'us-east-1' as const;

export interface UnitPrice {
  readonly service: string;
  readonly what: string;
  readonly usd: number;
  /** What one `usd` buys. */
  readonly per: string;
}

export const PRICES = {
  iotMessagingFirstBillion: {
    service: 'IoT Core',
    what: 'messaging, first 1 billion messages/month (metered per 5 KB)',
    usd: 1.0,
    per: '1M messages',
  },
  iotMessagingNextFourBillion: {
    service: 'IoT Core',
    what: 'messaging, next 4 billion messages/month',
    usd: 0.8,
    per: '1M messages',
  },
  iotMessagingOverFiveBillion: {
    service: 'IoT Core',
    what: 'messaging, over 5 billion messages/month',
    usd: 0.7,
    per: '1M messages',
  },
  iotConnectivity: { service: 'IoT Core', what: 'connectivity', usd: 0.08, per: '1M connection-minutes' },
  iotRuleTriggered: { service: 'IoT Core', what: 'rule triggered (per 5 KB)', usd: 0.15, per: '1M rules' },
  iotRuleAction: {
    service: 'IoT Core',
    what: 'rule action executed (per 5 KB)',
    usd: 0.15,
    per: '1M actions',
  },
  iotShadowOperation: {
    service: 'IoT Core',
    what: 'device shadow operation (metered per 1 KB)',
    usd: 1.25,
    per: '1M operations',
  },
  kinesisOnDemandStreamHour: {
    service: 'Kinesis',
    what: 'on-demand stream-hour',
    usd: 0.04,
    per: 'stream-hour',
  },
  kinesisOnDemandIngestGb: {
    service: 'Kinesis',
    what: 'on-demand data in (each record rounded up to 1 KB)',
    usd: 0.08,
    per: 'GB',
  },
  kinesisOnDemandRetrievalGb: { service: 'Kinesis', what: 'on-demand data retrieved', usd: 0.04, per: 'GB' },
  kinesisShardHour: { service: 'Kinesis', what: 'provisioned shard-hour', usd: 0.015, per: 'shard-hour' },
  kinesisPutPayloadUnit: {
    service: 'Kinesis',
    what: 'provisioned PUT payload unit (25 KB)',
    usd: 0.014,
    per: '1M units',
  },
  lambdaRequest: { service: 'Lambda', what: 'requests', usd: 0.2, per: '1M requests' },
  lambdaArmGbSecond: { service: 'Lambda', what: 'duration, arm64', usd: 0.0000133334, per: 'GB-second' },
  dynamoWriteRequestUnit: {
    service: 'DynamoDB',
    what: 'on-demand write request unit (1 KB)',
    usd: 0.625,
    per: '1M WRU',
  },
  dynamoStorageGbMonth: { service: 'DynamoDB', what: 'standard table storage', usd: 0.25, per: 'GB-month' },
  dynamoPitrGbMonth: { service: 'DynamoDB', what: 'point-in-time recovery', usd: 0.2, per: 'GB-month' },
  snsPublish: { service: 'SNS', what: 'publishes (per 64 KB)', usd: 0.5, per: '1M publishes' },
  snsEmail: { service: 'SNS', what: 'e-mail deliveries', usd: 2.0, per: '100K e-mails' },
  xrayTraceRecorded: { service: 'X-Ray', what: 'traces recorded', usd: 5.0, per: '1M traces' },
  cloudwatchAlarm: { service: 'CloudWatch', what: 'standard-resolution alarm', usd: 0.1, per: 'alarm-month' },
  cloudwatchDashboard: { service: 'CloudWatch', what: 'dashboard', usd: 3.0, per: 'dashboard-month' },
  kmsKey: { service: 'KMS', what: 'customer managed key', usd: 1.0, per: 'key-month' },
  // The archive (protocol/archive.ts). Firehose bills a Kinesis Data Streams source like Direct PUT.
  firehoseIngestGb: {
    service: 'Firehose',
    what: 'ingestion, Kinesis Data Streams source, first 500 TB/month (each record rounded up to 5 KB)',
    usd: 0.029,
    per: 'GB',
  },
  firehoseFormatConversionGb: {
    service: 'Firehose',
    what: 'record format conversion to Parquet (5 KB increments)',
    usd: 0.018,
    per: 'GB',
  },
  firehoseDynamicPartitioningGb: {
    service: 'Firehose',
    what: 'dynamic partitioning, data processed',
    usd: 0.02,
    per: 'GB',
  },
  firehoseDynamicPartitioningObjects: {
    service: 'Firehose',
    what: 'dynamic partitioning, S3 objects delivered',
    usd: 0.005,
    per: '1K objects',
  },
  s3StandardGbMonth: { service: 'S3', what: 'S3 Standard storage, first 50 TB', usd: 0.023, per: 'GB-month' },
  s3StandardIaGbMonth: { service: 'S3', what: 'S3 Standard-IA storage', usd: 0.0125, per: 'GB-month' },
  s3GlacierIrGbMonth: {
    service: 'S3',
    what: 'S3 Glacier Instant Retrieval storage',
    usd: 0.004,
    per: 'GB-month',
  },
  s3PutRequest: { service: 'S3', what: 'PUT requests (S3 Standard)', usd: 0.005, per: '1K requests' },
  s3GetRequest: { service: 'S3', what: 'GET requests (S3 Standard)', usd: 0.0004, per: '1K requests' },
  s3TransitionToIa: {
    service: 'S3',
    what: 'lifecycle transitions to Standard-IA',
    usd: 0.01,
    per: '1K requests',
  },
  s3TransitionToGlacierIr: {
    service: 'S3',
    what: 'lifecycle transitions to Glacier Instant Retrieval',
    usd: 0.02,
    per: '1K requests',
  },
  // Glue bills nothing for the first million objects and requests a month; no free tier here either.
  glueCatalogObjects: {
    service: 'Glue',
    what: 'Data Catalog objects stored (over the first million)',
    usd: 1.0,
    per: '100K objects-month',
  },
  glueCatalogRequests: {
    service: 'Glue',
    what: 'Data Catalog requests (over the first million)',
    usd: 1.0,
    per: '1M requests',
  },
  athenaScannedTb: {
    service: 'Athena',
    what: 'data scanned (rounded up to 1 MB, 10 MB minimum per query)',
    usd: 5.0,
    per: 'TB',
  },
} as const satisfies Record<string, UnitPrice>;
export type PriceKey = keyof typeof PRICES;
export type PriceTable = Readonly<Record<PriceKey, UnitPrice>>;
