import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { powertools } from '../shared/powertools.js';
import { systemClock } from '../shared/types.js';
import { readWriterConfig } from './config.js';
import { createWriterHandler } from './handler.js';
import { CONSUMER } from './types.js';

const { logger, metrics, traced } = powertools(CONSUMER);

/** Kinesis → DynamoDB: one item per telemetry batch, latest values per tower, poison quarantined. */
const config = readWriterConfig(process.env);

export const handler = createWriterHandler({
  ...config,
  // The stored acknowledgements go back to the towers through the IoT data plane.
  iot: traced(new IoTDataPlaneClient(config.iotDataEndpoint ? { endpoint: config.iotDataEndpoint } : {})),
  doc: DynamoDBDocumentClient.from(traced(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  }),
  clock: systemClock,
  metrics,
  log: logger,
});
