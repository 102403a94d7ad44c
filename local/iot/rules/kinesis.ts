import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { KINESIS } from '../../../protocol/index.js';
import type { KinesisRecord, KinesisSink } from './types.js';

/** Writes through the AWS SDK: real Kinesis, or a local endpoint such as kinesalite. */
export class SdkKinesisSink implements KinesisSink {
  constructor(private readonly client: KinesisClient) {}

  async putRecord(r: KinesisRecord): Promise<void> {
    await this.client.send(
      new PutRecordCommand({ StreamName: r.streamName, PartitionKey: r.partitionKey, Data: r.data }),
    );
  }
}

/**
 * A Kinesis client for a local endpoint. kinesalite speaks HTTP/1.1 only, hence the explicit
 * NodeHttpHandler; the keys are dummies because local endpoints do not check signatures.
 */
export function localKinesisClient(endpoint: string, region = 'local'): KinesisClient {
  return new KinesisClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
  });
}

export interface StoredRecord extends KinesisRecord {
  sequenceNumber: string;
  arrivedAt: number;
}

/** An in-memory stream for tests and benchmarks; enforces the Kinesis record limits it can see. */
export class MemoryKinesisSink implements KinesisSink {
  readonly records: StoredRecord[] = [];
  /** Set to make every write fail, as an unreachable or throttled stream would. */
  failWith: Error | undefined;
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  private readonly listeners: ((r: StoredRecord) => void)[] = [];

  async putRecord(r: KinesisRecord): Promise<void> {
    if (this.failWith) throw this.failWith;
    if (r.partitionKey.length < 1 || r.partitionKey.length > KINESIS.maxPartitionKeyChars) {
      throw new Error(`partition key must be 1-${KINESIS.maxPartitionKeyChars} characters`);
    }
    if (r.data.byteLength > KINESIS.maxRecordBytes) {
      throw new Error(
        `record of ${r.data.byteLength} bytes exceeds the ${KINESIS.maxRecordBytes}-byte limit`,
      );
    }
    const stored = { ...r, sequenceNumber: String(this.records.length + 1), arrivedAt: Date.now() };
    this.records.push(stored);
    for (const l of this.listeners) l(stored);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (this.records.length >= w.count) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  onRecord(listener: (r: StoredRecord) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves once at least `count` records have arrived. */
  waitForCount(count: number): Promise<void> {
    if (this.records.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  json(i: number): unknown {
    const r = this.records[i];
    return r ? JSON.parse(Buffer.from(r.data).toString('utf8')) : undefined;
  }
}
