import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  directoryDestination,
  type EventSourceMappingOptions,
  memoryDestination,
} from '../../../local/aws/esm/index.js';
import { dataOf, manualClock, putRecords, useLocalAwsWithMapping, waitFor } from './helpers.js';

const env = useLocalAwsWithMapping();
let streamCount = 0;

async function stream(shardCount = 1) {
  const name = `esm-${++streamCount}`;
  const { streamArn } = await env.aws.createResources({
    streamName: name,
    shardCount,
    tableName: 'esm-test',
  });
  return { name, streamArn };
}

async function run(
  name: string,
  streamArn: string,
  handler: EventSourceMappingOptions['handler'],
  overrides: Partial<EventSourceMappingOptions> = {},
) {
  return env.startMapping({ streamName: name, streamArn, functionName: 'test-fn', handler, ...overrides });
}

const numbered = (n: number, key: (i: number) => string = () => 'k') =>
  Array.from({ length: n }, (_, i) => ({ partitionKey: key(i), data: { n: i } }));
const ns = (event: KinesisStreamEvent) =>
  event.Records.map((r) => (JSON.parse(dataOf(r)) as { n: number }).n);

describe('event source mapping runner (Lambda Kinesis semantics)', () => {
  it('runs one poller per shard, in order, never two invocations of a shard at once', async () => {
    const { name, streamArn } = await stream(3);
    const seen = new Map<string, number[]>();
    const active = new Map<string, number>();
    let overlap = false;
    const m = await run(
      name,
      streamArn,
      async (event) => {
        const shard = event.Records[0]!.eventID.split(':')[0]!;
        expect(new Set(event.Records.map((r) => r.eventID.split(':')[0])).size).toBe(1);
        active.set(shard, (active.get(shard) ?? 0) + 1);
        if (active.get(shard)! > 1) overlap = true;
        await new Promise((r) => setTimeout(r, 2));
        for (const r of event.Records) {
          const { n } = JSON.parse(dataOf(r)) as { n: number };
          const list = seen.get(r.kinesis.partitionKey) ?? [];
          list.push(n);
          seen.set(r.kinesis.partitionKey, list);
        }
        active.set(shard, active.get(shard)! - 1);
      },
      { batchSize: 7 },
    );
    expect(m.shardIds).toHaveLength(3);
    await putRecords(
      env.aws,
      name,
      numbered(120, (i) => `tower-${i % 6}`),
    );
    await waitFor(() => m.stats().recordsCompleted === 120, '120 records');
    expect(overlap).toBe(false);
    for (let k = 0; k < 6; k++) {
      const expected = Array.from({ length: 20 }, (_, j) => j * 6 + k);
      expect(seen.get(`tower-${k}`)).toEqual(expected);
    }
  });

  it('never invokes with more than BatchSize records', async () => {
    const { name, streamArn } = await stream();
    const sizes: number[] = [];
    const m = await run(name, streamArn, async (event) => void sizes.push(event.Records.length), {
      batchSize: 10,
    });
    await putRecords(env.aws, name, numbered(35));
    await waitFor(() => m.stats().recordsCompleted === 35, '35 records');
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(35);
  });

  it('waits for the batching window (on its clock) before invoking a short batch', async () => {
    const { name, streamArn } = await stream();
    const clock = manualClock();
    const batches: number[][] = [];
    const m = await run(name, streamArn, async (event) => void batches.push(ns(event)), {
      batchSize: 100,
      maxBatchingWindowMs: 5_000,
      clock,
    });
    await putRecords(env.aws, name, numbered(3));
    await waitFor(() => m.stats().recordsInFlight === 3, 'records gathered');
    // Gathered but neither full nor past the window: several poll rounds must pass without an invocation.
    const polls = m.stats().polls;
    await waitFor(() => m.stats().polls >= polls + 5, 'more poll rounds');
    expect(m.stats().invocations).toBe(0);
    expect(batches).toEqual([]);
    clock.advance(5_000);
    await waitFor(() => batches.length === 1, 'window to close');
    expect(batches[0]).toEqual([0, 1, 2]);
  });

  it('ReportBatchItemFailures: checkpoints before the lowest failed record and retries from there', async () => {
    const { name, streamArn } = await stream();
    const batches: number[][] = [];
    let failedOnce = false;
    const m = await run(
      name,
      streamArn,
      async (event) => {
        batches.push(ns(event));
        if (failedOnce) return { batchItemFailures: [] };
        failedOnce = true;
        const ids = event.Records.map((r) => r.kinesis.sequenceNumber);
        return { batchItemFailures: [{ itemIdentifier: ids[4]! }, { itemIdentifier: ids[2]! }] };
      },
      { batchSize: 6 },
    );
    await putRecords(env.aws, name, numbered(6));
    await waitFor(() => m.stats().recordsCompleted === 6, 'all records');
    expect(batches).toEqual([
      [0, 1, 2, 3, 4, 5],
      [2, 3, 4, 5],
    ]);
    expect(m.stats().partialFailures).toBe(1);
  });

  it('treats an unknown itemIdentifier as a failure of the whole batch', async () => {
    const { name, streamArn } = await stream();
    const batches: number[][] = [];
    const m = await run(
      name,
      streamArn,
      async (event) => {
        batches.push(ns(event));
        return batches.length === 1
          ? { batchItemFailures: [{ itemIdentifier: 'no-such-record' }] }
          : undefined;
      },
      { batchSize: 3, bisectBatchOnFunctionError: false },
    );
    await putRecords(env.aws, name, numbered(3));
    await waitFor(() => m.stats().recordsCompleted === 3, 'records');
    expect(batches).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
  });

  it('BisectBatchOnFunctionError isolates the record that crashes the function', async () => {
    const { name, streamArn } = await stream();
    const destination = memoryDestination();
    const processed = new Set<number>();
    const m = await run(
      name,
      streamArn,
      async (event) => {
        const batch = ns(event);
        if (batch.includes(5)) throw new Error('crash on record 5');
        for (const n of batch) processed.add(n);
      },
      { batchSize: 8, bisectBatchOnFunctionError: true, maximumRetryAttempts: 1, onFailure: destination },
    );
    await putRecords(env.aws, name, numbered(8));
    await waitFor(() => m.stats().recordsCompleted === 8, 'records');
    expect(destination.failures).toHaveLength(1);
    expect(ns({ Records: destination.failures[0]!.records })).toEqual([5]);
    expect(destination.failures[0]!.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(destination.failures[0]!.responseContext.errorMessage).toBe('crash on record 5');
    expect([...processed].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 6, 7]);
  });

  it('MaximumRetryAttempts: gives up after the retries, sends the batch to the destination and moves on', async () => {
    const { name, streamArn } = await stream();
    const dir = mkdtempSync(join(tmpdir(), 'towerwatch-esm-'));
    try {
      const calls: number[][] = [];
      const m = await run(
        name,
        streamArn,
        async (event) => {
          calls.push(ns(event));
          if (ns(event).includes(0)) throw new Error('always fails');
        },
        {
          batchSize: 2,
          bisectBatchOnFunctionError: false,
          maximumRetryAttempts: 2,
          onFailure: directoryDestination(dir),
        },
      );
      await putRecords(env.aws, name, numbered(2));
      await waitFor(() => m.stats().recordsCompleted === 2, 'first batch');
      await putRecords(env.aws, name, [{ partitionKey: 'k', data: { n: 9 } }]);
      await waitFor(() => m.stats().recordsCompleted === 3, 'the record after it');
      expect(calls).toEqual([[0, 1], [0, 1], [0, 1], [9]]);
      const files = readdirSync(dir);
      expect(files).toHaveLength(1);
      const failure = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8'));
      expect(failure.requestContext).toMatchObject({
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      });
      expect(failure.KinesisBatchInfo.batchSize).toBe(2);
      expect(
        failure.records.map(
          (r: { kinesis: { data: string } }) =>
            JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString()).n,
        ),
      ).toEqual([0, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('MaximumRecordAgeInSeconds: a record that keeps failing is discarded once it is too old', async () => {
    const { name, streamArn } = await stream();
    const clock = manualClock();
    const destination = memoryDestination();
    let calls = 0;
    const m = await run(
      name,
      streamArn,
      async () => {
        calls++;
        throw new Error('downstream is down');
      },
      {
        maximumRetryAttempts: -1,
        maximumRecordAgeSeconds: 60,
        onFailure: destination,
        clock,
        bisectBatchOnFunctionError: false,
      },
    );
    await putRecords(env.aws, name, numbered(1));
    await waitFor(() => calls >= 3, 'a few retries');
    expect(destination.failures).toEqual([]);
    clock.advance(61_000);
    await waitFor(() => m.stats().recordsCompleted === 1, 'record to expire');
    expect(destination.failures).toHaveLength(1);
    expect(destination.failures[0]!.requestContext.condition).toBe('RecordAgeExceeded');
    expect(ns({ Records: destination.failures[0]!.records })).toEqual([0]);
  });

  it('keeps the batch when the on-failure destination itself fails, and hands it over on the next try', async () => {
    const { name, streamArn } = await stream();
    const delivered = memoryDestination();
    let destinationDown = true;
    let calls = 0;
    const m = await run(
      name,
      streamArn,
      async () => {
        calls++;
        throw new Error('always fails');
      },
      {
        maximumRetryAttempts: 0,
        bisectBatchOnFunctionError: false,
        onFailure: {
          async send(failure) {
            if (destinationDown) {
              destinationDown = false;
              throw new Error('bucket unavailable');
            }
            await delivered.send(failure);
          },
        },
      },
    );
    await putRecords(env.aws, name, numbered(2));
    await waitFor(() => m.stats().recordsCompleted === 2, 'records handed to the destination');
    expect(calls).toBe(2);
    expect(delivered.failures.map((f) => ns({ Records: f.records }))).toEqual([[0, 1]]);
    expect(m.stats().recordsToDestination).toBe(2);
  });
});
