import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKinesisClient, startKinesisSinkInWorker } from '../../../local/iot/index.js';

// kinesalite ships no types: it is a factory returning an http.Server.
const kinesalite = createRequire(import.meta.url)('kinesalite') as (opts: {
  createStreamMs: number;
}) => Server;

describe('the Kinesis action in a worker thread', () => {
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    server = kinesalite({ createStreamMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('kinesalite has no address');
    endpoint = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('writes every record in order of acceptance, reports Kinesis errors by name, and fails puts once stopped', async () => {
    const client = localKinesisClient(endpoint);
    await client.send(new CreateStreamCommand({ StreamName: 'rules', ShardCount: 1 }));
    for (;;) {
      const d = await client.send(new DescribeStreamCommand({ StreamName: 'rules' }));
      if (d.StreamDescription?.StreamStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 20));
    }
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

    const shard = await client.send(new DescribeStreamCommand({ StreamName: 'rules' }));
    const iterator = await client.send(
      new GetShardIteratorCommand({
        StreamName: 'rules',
        ShardId: shard.StreamDescription!.Shards![0]!.ShardId!,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const got = await client.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator! }));
    expect(got.Records?.map((r) => Buffer.from(r.Data!).toString())).toEqual(
      Array.from({ length: 20 }, (_, i) => `{"n":${i}}`),
    );
    client.destroy();
  });
});
