import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../cloud/functions/shared/types.js';
import type { LocalSns } from './sns.js';

export interface LocalAwsOptions {
  /** Kinesis and DynamoDB data live under this directory; in memory when absent. */
  stateDir?: string;
  clock?: Clock;
  /** Run kinesalite and dynalite in a worker thread, off this event loop (the local stack does). */
  isolate?: boolean;
  /** Print every SNS publish to stdout. */
  printSns?: boolean;
  /** POST every SNS publish as JSON to this URL. */
  snsForwardUrl?: string;
}

export interface LocalAwsClients {
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  sns: SNSClient;
}

export interface CreateResourcesOptions {
  streamName: string;
  shardCount: number;
  /** Table name; default `TABLE.localName`. */
  tableName?: string;
}

export interface LocalResources {
  streamName: string;
  streamArn: string;
  tableName: string;
  topicArn: string;
}

export interface LocalAws {
  region: 'local';
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  snsEndpoint: string;
  clients: LocalAwsClients;
  sns: LocalSns;
  clock: Clock;
  stateDir?: string;
  /** Creates (or finds) the stream and the table from `cloud/data/tables.ts`. */
  createResources(options: CreateResourcesOptions): Promise<LocalResources>;
  stop(): Promise<void>;
}
