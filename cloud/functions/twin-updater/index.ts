import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { powertools } from '../shared/powertools.js';
import { systemClock } from '../shared/types.js';
import { readTwinConfig } from './config.js';
import { createTwinHandler } from './handler.js';
import { CONSUMER } from './types.js';

const { logger, metrics, traced } = powertools(CONSUMER);
const config = readTwinConfig(process.env);

/** Kinesis → the named shadow `twin` of each tower, coalesced and rate-limited. */
export const handler = createTwinHandler({
  ...config,
  iot: traced(new IoTDataPlaneClient(config.iotDataEndpoint ? { endpoint: config.iotDataEndpoint } : {})),
  doc: DynamoDBDocumentClient.from(traced(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  }),
  clock: systemClock,
  metrics,
  log: logger,
  cache: new Map(),
});
