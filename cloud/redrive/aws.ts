import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { GetObjectCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type {
  FailureDocument,
  FailureStore,
  RecoveredRecord,
  RedriveNote,
  StreamReader,
  StreamRecordData,
  StreamWriter,
} from './types.js';

/** Where a re-driven object's note goes: the same bucket, under this prefix and the object's key. */
export const REDRIVEN_PREFIX = 'redriven/';

const S3_KEY = /^s3:\/\/([^/]+)\/(.+)$/;

/**
 * The rule-error and stream-failure buckets. Marking writes `redriven/<key>` beside the object
 * instead of deleting it: the failure stays as evidence (the bucket's lifecycle expires both), and
 * the operator needs only s3:ListBucket, s3:GetObject and s3:PutObject.
 */
export class S3FailureStore implements FailureStore {
  constructor(
    private readonly client: S3Client,
    private readonly buckets: readonly string[],
  ) {}

  async pending(): Promise<FailureDocument[]> {
    const docs: FailureDocument[] = [];
    for (const bucket of this.buckets) {
      const objects: { key: string; lastModifiedMs?: number }[] = [];
      const marked = new Set<string>();
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: bucket })) {
        for (const o of page.Contents ?? []) {
          if (!o.Key) continue;
          if (o.Key.startsWith(REDRIVEN_PREFIX)) marked.add(o.Key.slice(REDRIVEN_PREFIX.length));
          else
            objects.push({ key: o.Key, ...(o.LastModified && { lastModifiedMs: o.LastModified.getTime() }) });
        }
      }
      for (const o of objects) {
        if (marked.has(o.key)) continue;
        const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: o.key }));
        const body = (await out.Body?.transformToString('utf8')) ?? '';
        docs.push({
          key: `s3://${bucket}/${o.key}`,
          body,
          ...(o.lastModifiedMs !== undefined && { lastModifiedMs: o.lastModifiedMs }),
        });
      }
    }
    return docs;
  }

  async markRedriven(key: string, note: RedriveNote): Promise<void> {
    const m = S3_KEY.exec(key);
    if (!m) throw new Error(`not an s3:// key: ${key}`);
    await this.client.send(
      new PutObjectCommand({
        Bucket: m[1],
        Key: `${REDRIVEN_PREFIX}${m[2]}`,
        Body: JSON.stringify(note),
        ContentType: 'application/json',
      }),
    );
  }
}

export class KinesisStreamWriter implements StreamWriter {
  constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
  ) {}

  async putRecords(records: StreamRecordData[]): Promise<number[]> {
    const out = await this.client.send(
      new PutRecordsCommand({
        StreamName: this.streamName,
        Records: records.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
      }),
    );
    const failed: number[] = [];
    (out.Records ?? []).forEach((r, i) => {
      if (r.ErrorCode) failed.push(i);
    });
    return failed;
  }
}

/** Errors that mean the range cannot be read from this stream any more. */
const GONE = new Set(['ResourceNotFoundException', 'InvalidArgumentException', 'ExpiredIteratorException']);

/** Reads a batch's range back from its shard while the stream still retains it. */
export class KinesisStreamReader implements StreamReader {
  constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
    /** GetRecords calls that return nothing before giving up on reaching the end of the range. */
    private readonly maxEmptyReads = 5,
  ) {}

  async readRange(shardId: string, start: string, end: string): Promise<RecoveredRecord[] | undefined> {
    try {
      return await this.read(shardId, start, end);
    } catch (e) {
      if (GONE.has((e as Error).name)) return undefined;
      throw e;
    }
  }

  private async read(shardId: string, start: string, end: string): Promise<RecoveredRecord[] | undefined> {
    const last = BigInt(end);
    const it = await this.client.send(
      new GetShardIteratorCommand({
        StreamName: this.streamName,
        ShardId: shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: start,
      }),
    );
    let iterator = it.ShardIterator;
    const records: RecoveredRecord[] = [];
    let empty = 0;
    while (iterator && empty < this.maxEmptyReads) {
      const out = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator }));
      const got = out.Records ?? [];
      if (got.length === 0) empty++;
      for (const r of got) {
        const seq = r.SequenceNumber ?? '';
        // The range's first record trimmed away: what follows cannot be vouched for as the batch.
        if (records.length === 0 && seq !== start) return undefined;
        if (BigInt(seq) > last) return records;
        records.push({
          id: `${shardId}/${seq}`,
          partitionKey: r.PartitionKey ?? '',
          data: r.Data ?? new Uint8Array(),
        });
        if (BigInt(seq) === last) return records;
      }
      if (got.length === 0 && out.MillisBehindLatest === 0) break;
      iterator = out.NextShardIterator;
    }
    return records.length > 0 ? records : undefined;
  }
}
