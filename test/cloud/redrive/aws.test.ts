import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { KinesisStreamReader, KinesisStreamWriter, S3FailureStore } from '../../../cloud/redrive/aws.js';

const s3 = mockClient(S3Client);
const kinesis = mockClient(KinesisClient);
afterEach(() => {
  s3.reset();
  kinesis.reset();
});

const body = (text: string) => ({ transformToString: async () => text }) as never;

describe('redrive against AWS', () => {
  it('lists every page of each bucket, skips objects already marked, and marks with a redriven/ object', async () => {
    s3.on(ListObjectsV2Command, { Bucket: 'rule-errors' })
      .resolvesOnce({
        Contents: [{ Key: 'rule-errors/a.json' }],
        NextContinuationToken: 't1',
        IsTruncated: true,
      })
      .resolvesOnce({
        Contents: [{ Key: 'rule-errors/b.json' }, { Key: 'redriven/rule-errors/a.json' }],
        IsTruncated: false,
      });
    s3.on(ListObjectsV2Command, { Bucket: 'failures' }).resolves({
      Contents: [{ Key: 'aws/lambda/x/shard/2026/f', LastModified: new Date(1_000) }],
    });
    s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => ({
      Body: body(`{"from":"${input.Bucket}/${input.Key}"}`),
    }));
    s3.on(PutObjectCommand).resolves({});

    const store = new S3FailureStore(new S3Client({ region: 'eu-west-1' }), ['rule-errors', 'failures']);
    const pending = await store.pending();
    expect(pending).toEqual([
      { key: 's3://rule-errors/rule-errors/b.json', body: '{"from":"rule-errors/rule-errors/b.json"}' },
      {
        key: 's3://failures/aws/lambda/x/shard/2026/f',
        body: '{"from":"failures/aws/lambda/x/shard/2026/f"}',
        lastModifiedMs: 1_000,
      },
    ]);
    expect(s3.commandCalls(ListObjectsV2Command)[1]!.args[0].input).toMatchObject({
      Bucket: 'rule-errors',
      ContinuationToken: 't1',
    });

    await store.markRedriven('s3://failures/aws/lambda/x/shard/2026/f', { redrivenAt: 5, records: 2 });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'failures', Key: 'redriven/aws/lambda/x/shard/2026/f' });
    expect(JSON.parse(String(put.Body))).toEqual({ redrivenAt: 5, records: 2 });
  });

  it('puts records with their partition keys and reports the entries Kinesis refused', async () => {
    kinesis.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [{ SequenceNumber: '1' }, { ErrorCode: 'ProvisionedThroughputExceededException' }],
    });
    const writer = new KinesisStreamWriter(new KinesisClient({ region: 'eu-west-1' }), 'ingest');
    const failed = await writer.putRecords([
      { partitionKey: 'tower-1', data: Buffer.from('a') },
      { partitionKey: 'tower-2', data: Buffer.from('b') },
    ]);
    expect(failed).toEqual([1]);
    expect(kinesis.commandCalls(PutRecordsCommand)[0]!.args[0].input).toEqual({
      StreamName: 'ingest',
      Records: [
        { PartitionKey: 'tower-1', Data: Buffer.from('a') },
        { PartitionKey: 'tower-2', Data: Buffer.from('b') },
      ],
    });
  });

  it('reads a sequence range back from its shard, stopping past the end', async () => {
    kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    kinesis
      .on(GetRecordsCommand, { ShardIterator: 'it-1' })
      .resolves({
        Records: [
          { SequenceNumber: '100', PartitionKey: 'tower-1', Data: Buffer.from('a') },
          { SequenceNumber: '105', PartitionKey: 'tower-2', Data: Buffer.from('b') },
        ],
        NextShardIterator: 'it-2',
        MillisBehindLatest: 10,
      })
      .on(GetRecordsCommand, { ShardIterator: 'it-2' })
      .resolves({
        Records: [{ SequenceNumber: '120', PartitionKey: 'tower-1', Data: Buffer.from('c') }],
        NextShardIterator: 'it-3',
        MillisBehindLatest: 0,
      });
    const reader = new KinesisStreamReader(new KinesisClient({ region: 'eu-west-1' }), 'ingest');
    const records = await reader.readRange('shardId-000000000001', '100', '110');
    expect(records).toEqual([
      { id: 'shardId-000000000001/100', partitionKey: 'tower-1', data: Buffer.from('a') },
      { id: 'shardId-000000000001/105', partitionKey: 'tower-2', data: Buffer.from('b') },
    ]);
    expect(kinesis.commandCalls(GetShardIteratorCommand)[0]!.args[0].input).toEqual({
      StreamName: 'ingest',
      ShardId: 'shardId-000000000001',
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: '100',
    });
  });

  it('reports a range whose first record the stream no longer holds as gone', async () => {
    kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    kinesis.on(GetRecordsCommand).resolves({
      Records: [{ SequenceNumber: '300', PartitionKey: 'tower-1', Data: Buffer.from('z') }],
      MillisBehindLatest: 0,
    });
    const reader = new KinesisStreamReader(new KinesisClient({ region: 'eu-west-1' }), 'ingest');
    expect(await reader.readRange('shardId-000000000001', '100', '110')).toBeUndefined();
  });
});
