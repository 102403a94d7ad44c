import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  type EventSourceMapping,
  type EventSourceMappingOptions,
  startEventSourceMapping,
} from '../../../local/aws/esm/index.js';
import { type LocalAws, type LocalAwsOptions, startLocalAws } from '../../../local/aws/index.js';

/** Polls `condition` until it holds; fails with `what` after the deadline (no fixed sleeps). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface PutItem {
  partitionKey: string;
  data: string | object;
}

export async function putRecords(aws: LocalAws, streamName: string, items: PutItem[]): Promise<string[]> {
  const seqs: string[] = [];
  for (let i = 0; i < items.length; i += 500) {
    const out = await aws.clients.kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: items.slice(i, i + 500).map((it) => ({
          PartitionKey: it.partitionKey,
          Data: Buffer.from(typeof it.data === 'string' ? it.data : JSON.stringify(it.data)),
        })),
      }),
    );
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed to put`);
    seqs.push(...out.Records!.map((r) => r.SequenceNumber!));
  }
  return seqs;
}

/** Puts `items` and waits until `mapping` has completed that many more records. */
export async function deliverAndWait(
  aws: LocalAws,
  mapping: EventSourceMapping,
  streamName: string,
  items: PutItem[],
): Promise<void> {
  const target = mapping.stats().recordsCompleted + items.length;
  await putRecords(aws, streamName, items);
  await waitFor(() => mapping.stats().recordsCompleted >= target, `${items.length} records processed`);
}

/** Every item of a table, ordered by `pk|sk` so a test can compare whole tables. */
export async function scanSorted(doc: DynamoDBDocumentClient, tableName: string) {
  const items = (await doc.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
  return items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}

export interface LocalAwsWithMapping {
  /** The local AWS of this test file (started before its first test). */
  readonly aws: LocalAws;
  /**
   * Starts this test's event source mapping on the local Kinesis (stopped when the test ends), with
   * no batching window, a 10 ms poll and a 1 ms retry delay unless `options` says otherwise.
   */
  startMapping(options: Omit<EventSourceMappingOptions, 'kinesis'>): Promise<EventSourceMapping>;
}

/** Registers the hooks that start local AWS for the whole file and stop each test's mapping after it. */
export function useLocalAwsWithMapping(options: LocalAwsOptions = {}): LocalAwsWithMapping {
  let aws: LocalAws | undefined;
  let mapping: EventSourceMapping | undefined;
  beforeAll(async () => {
    aws = await startLocalAws(options);
  });
  afterEach(async () => {
    await mapping?.stop();
    mapping = undefined;
  });
  afterAll(async () => {
    await aws?.stop();
  });
  const started = (): LocalAws => {
    if (!aws) throw new Error('local AWS is not started: use it inside a test');
    return aws;
  };
  return {
    get aws() {
      return started();
    },
    async startMapping(mappingOptions) {
      mapping = await startEventSourceMapping({
        kinesis: started().clients.kinesis,
        maxBatchingWindowMs: 0,
        pollIntervalMs: 10,
        retryDelayMs: 1,
        ...mappingOptions,
      });
      return mapping;
    },
  };
}

export const dataOf = (r: KinesisStreamRecord) => Buffer.from(r.kinesis.data, 'base64').toString('utf8');

/** A clock the test moves by hand. */
export function manualClock(start = Date.now()) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(t: number) {
      now = t;
    },
  };
}
