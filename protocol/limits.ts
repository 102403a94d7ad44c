/** AWS service limits the code must respect, named once. Sources: AWS service quotas pages (IoT Core, Kinesis, DynamoDB). */
export const IOT = {
  /** Largest MQTT payload IoT Core accepts. */
  maxPayloadBytes: 128 * 1024,
  /** IoT Core meters messaging in 5 KB increments. */
  billingUnitBytes: 5 * 1024,
  maxPublishesPerSecondPerConnection: 100,
  maxBytesPerSecondPerConnection: 512 * 1024,
  maxInflightQos1: 100,
  maxTopicBytes: 256,
  /** Slashes allowed in a topic, not counting the first 3 of reserved `$aws/...` topics. */
  maxTopicSlashes: 7,
  maxShadowDocumentBytes: 8 * 1024,
  maxShadowUpdatesPerSecondPerThing: 20,
  maxClientIdBytes: 128,
  ruleNamePattern: /^[a-zA-Z0-9_]+$/,
  sqlVersion: '2016-03-23',
} as const;

export const KINESIS = {
  maxRecordsPerPutRecords: 500,
  maxBytesPerPutRecords: 5 * 1024 * 1024,
  maxRecordBytes: 1024 * 1024,
  maxPartitionKeyChars: 256,
  defaultRetentionHours: 24,
} as const;

export const DYNAMODB = {
  maxItemsPerBatchWrite: 25,
  maxItemBytes: 400 * 1024,
  /** Write capacity is charged per 1 KB of item size, rounded up. */
  writeUnitBytes: 1024,
} as const;

export const SNS = {
  maxSubjectChars: 100,
  maxMessageBytes: 256 * 1024,
  /** FIFO topics drop a message whose MessageDeduplicationId was accepted within this window. */
  fifoDeduplicationWindowMs: 5 * 60_000,
  /** MessageDeduplicationId / MessageGroupId: at most 128 characters. */
  maxDeduplicationIdChars: 128,
} as const;

export const FIREHOSE = {
  /** Record format conversion (Parquet) needs a buffer of at least this many MB. */
  minBufferSizeMbWithConversion: 64,
  maxBufferSizeMb: 128,
  maxBufferIntervalSeconds: 900,
  /** Lambda processor input buffer bounds (MB). */
  minProcessorBufferMb: 0.2,
  maxProcessorBufferMb: 3,
  /** Synchronous Lambda invoke response limit: the processor's whole reply must fit. */
  maxLambdaResponseBytes: 6 * 1024 * 1024,
} as const;
