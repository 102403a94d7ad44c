import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryReadings } from '../../../cloud/data/index.js';
import { ENV } from '../../../cloud/data/tables.js';
import { startStreamConsumersInWorker } from '../../../local/aws/consumers-worker.js';
import { type LocalAws, startLocalAws } from '../../../local/aws/index.js';
import { startSplitConsumers } from '../../../local/aws/split-consumers.js';
import { alert, batch, put, T0, telemetryPut } from '../../cloud/functions/fixtures.js';
import { putRecords, waitFor } from './helpers.js';

const STREAM = 'towerwatch-worker-test';
const SENSORS = ['temp-cabinet', 'rh-cabinet', 'wind-speed'];
let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws({});
  await aws.createResources({ streamName: STREAM, shardCount: 2 });
});
afterAll(async () => {
  await aws?.stop();
});

const endpoints = () => ({
  kinesis: aws.kinesisEndpoint,
  dynamodb: aws.dynamodbEndpoint,
  sns: aws.snsEndpoint,
});
const fast = { maxBatchingWindowMs: 0, pollIntervalMs: 10, retryDelayMs: 1 };

describe('stream consumers in a worker thread', () => {
  it('stores every reading exactly once, reports it, and stops cleanly', async () => {
    const errors: Error[] = [];
    const consumers = await startStreamConsumersInWorker({
      endpoints: endpoints(),
      streamName: STREAM,
      mapping: fast,
      logLevel: 'SILENT',
      niceness: 5,
      onError: (e) => errors.push(e),
    });
    expect(Object.keys(consumers.stats().mappings).sort()).toEqual(['alert-notifier', 'telemetry-writer']);
    // Every batch twice, as at-least-once delivery would: the readings must still be stored once.
    const batches = Array.from({ length: 40 }, (_, i) =>
      batch(`w${i % 4}`, i + 1, T0 + i * 10_000, SENSORS, 5),
    );
    await putRecords(
      aws,
      STREAM,
      [...batches, ...batches].map((b) => telemetryPut(b)),
    );
    const expected = batches.length * SENSORS.length * 5;
    await waitFor(
      () => consumers.stats().mappings['telemetry-writer']!.recordsCompleted >= batches.length * 2,
      'the writer to complete both copies',
    );
    let stored = 0;
    for (let t = 0; t < 4; t++) {
      stored += (
        await queryReadings(aws.clients.doc, 'towerwatch', { towerId: `w${t}`, from: T0, to: T0 + 1e6 })
      ).length;
    }
    expect(stored).toBe(expected);
    expect(consumers.stats().metrics['telemetry-writer']!.ReadingsWritten).toBeGreaterThanOrEqual(expected);

    await consumers.setMappingEnabled('telemetry-writer', false);
    await expect(consumers.setMappingEnabled('no-such-function', false)).rejects.toThrow(
      /no event source mapping for no-such-function/,
    );
    await consumers.stop();
    await consumers.stop();
    expect(errors).toEqual([]);
  });

  it('runs the archive too: a flush resolves after the listeners here handled its files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'towerwatch-worker-archive-'));
    const consumers = await startStreamConsumersInWorker({
      endpoints: endpoints(),
      streamName: STREAM,
      mapping: fast,
      logLevel: 'SILENT',
      archive: { dir, intervalSeconds: 3600 },
    });
    try {
      const archive = consumers.archive!;
      const handled: string[] = [];
      archive.onFlushed(async (files) => {
        await new Promise((r) => setTimeout(r, 50));
        handled.push(...files.map((f) => f.path));
      });
      const read = archive.stats().recordsRead;
      await putRecords(aws, STREAM, [telemetryPut(batch('arch', 1, Date.now(), SENSORS, 4))]);
      await waitFor(() => archive.stats().recordsRead > read, 'the archive to read the record');
      const files = await archive.flush();
      expect(files.length).toBeGreaterThan(0);
      expect(handled).toEqual(files.map((f) => f.path));
      expect(files.every((f) => existsSync(f.path))).toBe(true);
      await archive.stop();
      await archive.stop();
    } finally {
      await consumers.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails to start with the worker's reason when its resources cannot be made", async () => {
    await expect(
      startStreamConsumersInWorker({
        endpoints: endpoints(),
        streamName: STREAM,
        mapping: fast,
        logLevel: 'SILENT',
        tableName: 'bad name!',
      }),
    ).rejects.toThrow(/stream consumers: .*/);
  });

  it('split: the direct invoke notifies on this thread, and metrics add up across both paths', async () => {
    const consumers = await startSplitConsumers({
      aws,
      streamName: STREAM,
      mapping: fast,
      sweepIntervalMs: 0,
      logLevel: 'SILENT',
      env: { [ENV.suppressionWindowMs]: '0' },
    });
    try {
      await consumers.setMappingEnabled('alert-notifier', false);
      const raise = alert('w9', 'a-split', 'raise', Date.now());
      const output = put(raise, 'alert', 'w9', Date.now()).data;
      consumers.invokeAsync('alert-notifier', Buffer.from(JSON.stringify(output)));
      await consumers.asyncIdle();
      expect(aws.sns.published.filter((m) => m.attributes.towerId === 'w9')).toHaveLength(1);
      await consumers.setMappingEnabled('alert-notifier', true);
      await putRecords(aws, STREAM, [put(raise, 'alert', 'w9', Date.now())]);
      await waitFor(
        () => (consumers.stats().metrics['alert-notifier']?.AlertDuplicates ?? 0) >= 1,
        "the stream copy to be the direct path's duplicate",
      );
      expect(aws.sns.published.filter((m) => m.attributes.towerId === 'w9')).toHaveLength(1);
      expect(consumers.stats().asyncInvokes['alert-notifier']).toMatchObject({
        succeeded: 1,
        functionErrors: 0,
      });
      expect(consumers.stats().metrics['alert-notifier']!['AlertCount{severity=critical}']).toBe(1);
    } finally {
      await consumers.stop();
    }
  });
});
