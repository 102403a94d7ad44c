import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKinesisClient, SdkKinesisSink } from '../../../local/iot/index.js';

// kinesalite ships no types: it is a factory returning an http.Server.
const kinesalite = createRequire(import.meta.url)('kinesalite') as (opts: {
  createStreamMs: number;
}) => Server;

describe('SdkKinesisSink against kinesalite', () => {
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

  it('writes a record that GetRecords returns with its partition key and bytes', async () => {
    const client = localKinesisClient(endpoint);
    await client.send(new CreateStreamCommand({ StreamName: 'ingest', ShardCount: 1 }));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const d = await client.send(new DescribeStreamCommand({ StreamName: 'ingest' }));
      if (d.StreamDescription?.StreamStatus === 'ACTIVE') break;
      if (Date.now() > deadline) throw new Error('stream never became ACTIVE');
      await new Promise((r) => setTimeout(r, 20));
    }
    const sink = new SdkKinesisSink(client);
    await sink.putRecord({ streamName: 'ingest', partitionKey: 'tower-1', data: Buffer.from('{"seq":1}') });

    const shard = await client.send(new DescribeStreamCommand({ StreamName: 'ingest' }));
    const iterator = await client.send(
      new GetShardIteratorCommand({
        StreamName: 'ingest',
        ShardId: shard.StreamDescription!.Shards![0]!.ShardId!,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const got = await client.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator! }));
    expect(got.Records?.map((r) => [r.PartitionKey, Buffer.from(r.Data!).toString()])).toEqual([
      ['tower-1', '{"seq":1}'],
    ]);
    await expect(
      sink.putRecord({ streamName: 'missing', partitionKey: 'k', data: Buffer.from('x') }),
    ).rejects.toThrow(/missing/);
    client.destroy();
  });
});
