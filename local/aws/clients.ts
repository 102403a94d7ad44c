import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Agent } from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { LocalAwsClients } from './types.js';

export const LOCAL_REGION = 'local' as const;
/** The local SNS topic alerts go to. */
/** FIFO, as in AWS: the local SNS de-duplicates it the same way. */
export const ALERT_TOPIC_NAME = 'towerwatch-alerts.fifo' as const;
/** The local servers accept any signature; the SDK still needs something to sign with. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export function localClientConfig(endpoint: string) {
  return { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 };
}

export function createLocalClients(
  endpoints: {
    kinesis: string;
    dynamodb: string;
    sns: string;
  },
  /** Connections the DynamoDB client opens at most (the SDK's default is 50). */
  options: { dynamodbMaxSockets?: number } = {},
): LocalAwsClients {
  // The Kinesis client defaults to an HTTP/2 handler (for SubscribeToShard) that kinesalite does not speak.
  const kinesis = new KinesisClient({
    ...localClientConfig(endpoints.kinesis),
    requestHandler: new NodeHttpHandler(),
  });
  const dynamodb = new DynamoDBClient({
    ...localClientConfig(endpoints.dynamodb),
    ...(options.dynamodbMaxSockets && {
      requestHandler: new NodeHttpHandler({
        httpAgent: new Agent({ keepAlive: true, maxSockets: options.dynamodbMaxSockets }),
      }),
    }),
  });
  const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const sns = new SNSClient(localClientConfig(endpoints.sns));
  return { kinesis, dynamodb, doc, sns };
}
