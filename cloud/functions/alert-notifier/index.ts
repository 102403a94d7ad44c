import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { powertools } from '../shared/powertools.js';
import { systemClock } from '../shared/types.js';
import { readNotifierConfig } from './config.js';
import { createNotifierHandler, createSweepHandler } from './handler.js';
import { CONSUMER, type NotifierDeps } from './types.js';

const { logger, metrics, traced } = powertools(CONSUMER);
const deps: NotifierDeps = {
  ...readNotifierConfig(process.env),
  doc: DynamoDBDocumentClient.from(traced(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  }),
  sns: traced(new SNSClient({})),
  clock: systemClock,
  metrics,
  log: logger,
};

/**
 * Kinesis batches and the alert rule's direct invokes → SNS: one notification per alert transition
 * whichever delivers it first, flapping suppressed, disconnects recorded.
 */
export const handler = createNotifierHandler(deps);

/** Scheduled every minute: tower-offline after the grace period, held "cleared" messages. */
export const sweepHandler = createSweepHandler(deps);
