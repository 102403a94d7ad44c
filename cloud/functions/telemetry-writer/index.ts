import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { powertools } from '../shared/powertools.js';
import { systemClock } from '../shared/types.js';
import { readWriterConfig } from './config.js';
import { createWriterHandler } from './handler.js';
import { CONSUMER } from './types.js';

const { logger, metrics } = powertools(CONSUMER);

/** Kinesis → DynamoDB: one item per telemetry batch, latest values per tower, poison quarantined. */
export const handler = createWriterHandler({
  ...readWriterConfig(process.env),
  doc: DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  }),
  clock: systemClock,
  metrics,
  log: logger,
});
