import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKinesisClient, SdkKinesisSink, startKinesisSinkInWorker } from '../../../local/iot/index.js';

// kinesalite ships no types: it is a factory returning an http.Server.
const kinesalite = createRequire(import.meta.url)('kinesalite') as (opts: {
  createStreamMs: number;
}) => Server;

let server: Server;
let endpoint: string;
let client: KinesisClient;

beforeAll(async () => {
  server = kinesalite({ createStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('kinesalite has no address');
  endpoint = `http://127.0.0.1:${address.port}`;
  client = localKinesisClient(endpoint);
});
afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function activeStream(name: string): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const d = await client.send(new DescribeStreamCommand({ StreamName: name }));
    if (d.StreamDescription?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error('stream never became ACTIVE');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** [partition key, data] of every record in the stream's one shard, oldest first. */
async function recordsOf(name: string): Promise<[string, string][]> {
  const shard = await client.send(new DescribeStreamCommand({ StreamName: name }));
  const iterator = await client.send(
    new GetShardIteratorCommand({
      StreamName: name,
      ShardId: shard.StreamDescription!.Shards![0]!.ShardId!,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  const got = await client.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator! }));
  return (got.Records ?? []).map((r) => [r.PartitionKey!, Buffer.from(r.Data!).toString()]);
}

describe('SdkKinesisSink against kinesalite', () => {
  it('writes a record that GetRecords returns with its partition key and bytes', async () => {
    await activeStream('ingest');
    const sink = new SdkKinesisSink(client);
    await sink.putRecord({ streamName: 'ingest', partitionKey: 'tower-1', data: Buffer.from('{"seq":1}') });
    expect(await recordsOf('ingest')).toEqual([['tower-1', '{"seq":1}']]);
    await expect(
      sink.putRecord({ streamName: 'missing', partitionKey: 'k', data: Buffer.from('x') }),
    ).rejects.toThrow(/missing/);
  });
});

describe('the Kinesis action in a worker thread', () => {
  it('writes every record in order of acceptance, reports Kinesis errors by name, and fails puts once stopped', async () => {
    await activeStream('rules');
    const sink = await startKinesisSinkInWorker({ endpoint, niceness: 5 });
    try {
      for (let i = 0; i < 20; i++) {
        await sink.putRecord({
          streamName: 'rules',
          partitionKey: 'tower-1',
          data: Buffer.from(`{"n":${i}}`),
        });
      }
      const failed = await sink
        .putRecord({ streamName: 'missing', partitionKey: 'k', data: Buffer.from('x') })
        .catch((e: Error) => e);
      expect(failed).toBeInstanceOf(Error);
      expect((failed as Error).name).toBe('ResourceNotFoundException');
      expect((failed as Error).message).toMatch(/missing/);
    } finally {
      await sink.stop();
    }
    await expect(
      sink.putRecord({ streamName: 'rules', partitionKey: 'k', data: Buffer.from('late') }),
    ).rejects.toThrow(/stopped/);
    expect(await recordsOf('rules')).toEqual(Array.from({ length: 20 }, (_, i) => ['tower-1', `{"n":${i}}`]));
  });
});
