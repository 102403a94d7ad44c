import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TABLE } from '../../cloud/data/tables.js';
import { systemClock } from '../../cloud/functions/shared/types.js';
import { ALERT_TOPIC_NAME, createLocalClients, LOCAL_REGION } from './clients.js';
import { ensureStream, ensureTable } from './resources.js';
import { startEmulatorsInProcess, startEmulatorsInWorker } from './emulators.js';
import { startLocalSns } from './sns.js';
import type { LocalAws, LocalAwsOptions } from './types.js';

/**
 * Kinesis (kinesalite) and DynamoDB (dynalite) on loopback ports (in this thread, or with `isolate` in a
 * worker thread), plus the SNS sink.
 * In memory unless `stateDir` is given (then LevelDB files under `<stateDir>/kinesis` and `/dynamodb`).
 */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const clock = options.clock ?? systemClock;
  const dir = (name: string) => {
    if (!options.stateDir) return undefined;
    const path = join(options.stateDir, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const kinesisPath = dir('kinesis');
  const dynamoPath = dir('dynamodb');
  const paths = {
    ...(kinesisPath && { kinesisPath }),
    ...(dynamoPath && { dynamoPath }),
  };
  const emulators = await (options.isolate ? startEmulatorsInWorker : startEmulatorsInProcess)(paths);
  const { kinesisEndpoint, dynamodbEndpoint } = emulators;
  const sns = await startLocalSns({
    print: options.printSns ?? false,
    ...(options.snsForwardUrl && { forwardUrl: options.snsForwardUrl }),
    now: () => clock.now(),
  });
  const clients = createLocalClients({
    kinesis: kinesisEndpoint,
    dynamodb: dynamodbEndpoint,
    sns: sns.endpoint,
  });

  return {
    region: LOCAL_REGION,
    kinesisEndpoint,
    dynamodbEndpoint,
    snsEndpoint: sns.endpoint,
    clients,
    sns,
    clock,
    ...(options.stateDir && { stateDir: options.stateDir }),
    async createResources({ streamName, shardCount, tableName = TABLE.localName }) {
      const [streamArn] = await Promise.all([
        ensureStream(clients.kinesis, streamName, shardCount),
        ensureTable(clients.dynamodb, tableName),
      ]);
      return { streamName, streamArn, tableName, topicArn: sns.topicArn(ALERT_TOPIC_NAME) };
    },
    async stop() {
      for (const c of Object.values(clients)) c.destroy();
      await Promise.all([emulators.stop(), sns.stop()]);
    },
  };
}

export type { LocalAws, LocalAwsOptions, LocalResources } from './types.js';
export type { LocalSns, SnsMessage } from './sns.js';
export { ALERT_TOPIC_NAME, LOCAL_REGION } from './clients.js';
export {
  type Consumers,
  type ConsumerStats,
  type StartConsumersOptions,
  startConsumers,
} from './consumers.js';
