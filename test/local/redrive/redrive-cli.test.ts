import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeRuleRecord } from '../../../cloud/functions/shared/records.js';
import { startLocalAws } from '../../../local/aws/index.js';
import { main } from '../../../local/cli/redrive.js';
import { STREAM_NAME } from '../../../local/stack/types.js';
import { deviceTopic } from '../../../protocol/index.js';
import { alert, batch, kinesisRecord, ruleOutput, T0 } from '../../cloud/functions/fixtures.js';

let dir: string;
let out: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'towerwatch-redrive-'));
  out = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void out.push(line));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const write = (path: string, value: unknown) => {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), JSON.stringify(value));
};

/** What the local stack's stream holds, decoded as the consumers decode it. */
async function streamContents() {
  const aws = await startLocalAws({ stateDir: join(dir, 'aws') });
  try {
    const k = aws.clients.kinesis;
    const shards = await k.send(new ListShardsCommand({ StreamName: STREAM_NAME }));
    const found = [];
    for (const shard of shards.Shards ?? []) {
      const it = await k.send(
        new GetShardIteratorCommand({
          StreamName: STREAM_NAME,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      const got = await k.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
      for (const r of got.Records ?? []) {
        const record = decodeRuleRecord(kinesisRecord(Buffer.from(r.Data!).toString('utf8'), r.PartitionKey));
        found.push({ partitionKey: r.PartitionKey, towerId: record.towerId, type: record.messageType });
      }
    }
    return found;
  } finally {
    await aws.stop();
  }
}

describe('towerwatch redrive --state-dir', () => {
  it('puts the local failures back on the stream once, and --dry-run only prints', async () => {
    const aws = await startLocalAws({ stateDir: join(dir, 'aws') });
    await aws.createResources({ streamName: STREAM_NAME, shardCount: 1 });
    await aws.stop();

    const telemetry = batch('tower-1', 3, T0, ['t'], 2);
    write(`rule-errors/${T0}-towerwatch_telemetry-trace.json`, {
      ruleName: 'towerwatch_telemetry',
      topic: deviceTopic('tower-1', 'telemetry'),
      cloudwatchTraceId: 'trace',
      clientId: 'tower-1',
      base64OriginalPayload: Buffer.from(JSON.stringify(telemetry)).toString('base64'),
      failures: [{ failedAction: 'KinesisAction', failedResource: STREAM_NAME, errorMessage: 'down' }],
    });
    const failed = kinesisRecord(
      ruleOutput(batch('tower-2', 9, T0, ['t'], 1), 'telemetry', 'tower-2', T0),
      'tower-2',
    );
    write('aws/failures/telemetry-writer/2026-f.json', {
      version: '1.0',
      timestamp: new Date(T0).toISOString(),
      requestContext: { functionArn: 'arn', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: {},
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: failed.kinesis.sequenceNumber,
        endSequenceNumber: failed.kinesis.sequenceNumber,
        approximateArrivalOfFirstRecord: '',
        approximateArrivalOfLastRecord: '',
        batchSize: 1,
        streamArn: 'arn',
      },
      records: [failed],
    });
    write('aws/failures/alert-notifier/async/2026-req.json', {
      version: '1.0',
      timestamp: new Date(T0).toISOString(),
      requestContext: {
        requestId: 'req',
        functionArn: 'arn',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: ruleOutput(alert('tower-3', 'tower-3:a', 'raise', T0), 'alert', 'tower-3', T0),
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    });

    expect(await main(['--state-dir', dir, '--dry-run'])).toBe(0);
    expect(out.filter((l) => l.startsWith('would send'))).toHaveLength(3);
    expect(await streamContents()).toEqual([]);

    out = [];
    expect(await main(['--state-dir', dir])).toBe(0);
    expect(out.filter((l) => l.startsWith('sent'))).toHaveLength(3);
    const stream = await streamContents();
    expect(stream.sort((a, b) => a.towerId.localeCompare(b.towerId))).toEqual([
      { partitionKey: 'tower-1', towerId: 'tower-1', type: 'telemetry' },
      { partitionKey: 'tower-2', towerId: 'tower-2', type: 'telemetry' },
      { partitionKey: 'tower-3', towerId: 'tower-3', type: 'alert' },
    ]);
    expect(readdirSync(join(dir, 'rule-errors'))).toEqual([]);

    out = [];
    expect(await main(['--state-dir', dir])).toBe(0);
    expect(await streamContents()).toHaveLength(3);
    expect(out.at(-1)).toMatch(/0 document/);
  });

  it('refuses a missing state folder and a half-given AWS target with one line each', async () => {
    expect(await main(['--state-dir', join(dir, 'nope')])).toBe(2);
    expect(await main(['--bucket', 'b'])).toBe(2);
    expect(await main([])).toBe(2);
    expect(out).toHaveLength(3);
    expect(out.every((l) => l.startsWith('towerwatch redrive: ') && !l.includes('\n'))).toBe(true);
  });
});
