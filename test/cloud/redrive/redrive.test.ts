import { describe, expect, it } from 'vitest';
import { decodeRuleRecord } from '../../../cloud/functions/shared/records.js';
import { ruleErrorObjectKey } from '../../../cloud/lib/ingest.js';
import { recover, redrive } from '../../../cloud/redrive/index.js';
import type {
  FailureDocument,
  FailureStore,
  RecoveredRecord,
  StreamReader,
  StreamRecordData,
  StreamWriter,
} from '../../../cloud/redrive/types.js';
import { deviceTopic } from '../../../protocol/index.js';
import { alert, batch, kinesisRecord, ruleOutput, T0 } from '../functions/fixtures.js';

/** A failure folder/bucket in memory: marking moves a document out of `pending`. */
function memoryStore(docs: Record<string, unknown>) {
  const pending = new Map(Object.entries(docs).map(([k, v]) => [k, JSON.stringify(v)]));
  const marked: string[] = [];
  const store: FailureStore = {
    async pending(): Promise<FailureDocument[]> {
      return [...pending].map(([key, body]) => ({ key, body }));
    },
    async markRedriven(key) {
      pending.delete(key);
      marked.push(key);
    },
  };
  return { store, marked };
}

/** A stream that keeps what was put; `refuse` makes the first n entries of the next call fail. */
function memoryStream() {
  const put: StreamRecordData[] = [];
  let refuse = 0;
  const writer: StreamWriter = {
    async putRecords(records) {
      const failed: number[] = [];
      records.forEach((r, i) => {
        if (i < refuse) failed.push(i);
        else put.push(r);
      });
      refuse = 0;
      return failed;
    },
  };
  return {
    writer,
    put,
    refuseNext: (n: number) => {
      refuse = n;
    },
  };
}

const lines: string[] = [];
const deps = (store: FailureStore, writer: StreamWriter, reader?: StreamReader) => ({
  store,
  writer,
  ...(reader && { reader }),
  clock: { now: () => T0 },
  log: (line: string) => void lines.push(line),
  sleep: async () => {},
});

const telemetry = batch('tower-1', 4, T0 - 60_000, ['t'], 2);
const telemetryBytes = Buffer.from(JSON.stringify(telemetry));
const RECEIVED = T0 - 55_000;

/** IoT's error-action document for a message whose named actions failed. */
function ruleError(ruleName: string, topic: string, bytes: Buffer, failedActions: string[]) {
  return {
    ruleName,
    topic,
    cloudwatchTraceId: 'trace-1',
    clientId: 'tower-1',
    base64OriginalPayload: bytes.toString('base64'),
    failures: failedActions.map((a) => ({ failedAction: a, failedResource: 'r', errorMessage: 'boom' })),
  };
}

/** The event source mapping's on-failure document, with the batch's records as the S3 destination keeps them. */
function esmFailure(records: ReturnType<typeof kinesisRecord>[], withRecords = true) {
  return {
    version: '1.0',
    timestamp: new Date(T0).toISOString(),
    requestContext: { functionArn: 'arn:fn', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
    responseContext: { functionError: 'Unhandled' },
    KinesisBatchInfo: {
      shardId: 'shardId-000000000000',
      startSequenceNumber: records[0]!.kinesis.sequenceNumber,
      endSequenceNumber: records.at(-1)!.kinesis.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(T0).toISOString(),
      approximateArrivalOfLastRecord: new Date(T0).toISOString(),
      batchSize: records.length,
      streamArn: 'arn:aws:kinesis:local:000000000000:stream/ingest',
    },
    ...(withRecords && { records }),
  };
}

describe('redrive', () => {
  it('rebuilds the rule output of a message whose Kinesis action failed and puts it under its tower', async () => {
    const { store, marked } = memoryStore({
      [`rule-errors/towerwatch_telemetry/2026/11/23/12/${RECEIVED}-u1.json`]: ruleError(
        'towerwatch_telemetry',
        deviceTopic('tower-1', 'telemetry'),
        telemetryBytes,
        ['KinesisAction'],
      ),
    });
    const stream = memoryStream();
    const summary = await redrive(deps(store, stream.writer), { dryRun: false });

    expect(summary).toMatchObject({ sent: 1, unrecoverable: 0, failed: 0 });
    expect(stream.put).toHaveLength(1);
    expect(stream.put[0]!.partitionKey).toBe('tower-1');
    const record = decodeRuleRecord(kinesisRecord(Buffer.from(stream.put[0]!.data).toString('utf8')));
    expect(record).toMatchObject({ towerId: 'tower-1', messageType: 'telemetry', receivedAt: RECEIVED });
    expect(record.payload).toEqual(telemetry);
    expect(marked).toHaveLength(1);
  });

  it('leaves a rule error alone whose stream copy was written (only the direct invoke failed)', async () => {
    const a = alert('tower-1', 'tower-1:a-1', 'raise', T0);
    const { store, marked } = memoryStore({
      [`rule-errors/towerwatch_alert/x/${T0}-u2.json`]: ruleError(
        'towerwatch_alert',
        deviceTopic('tower-1', 'alert'),
        Buffer.from(JSON.stringify(a)),
        ['LambdaAction'],
      ),
    });
    const stream = memoryStream();
    const summary = await redrive(deps(store, stream.writer), { dryRun: false });
    expect(summary).toMatchObject({ sent: 0, skipped: 1 });
    expect(stream.put).toEqual([]);
    expect(marked).toHaveLength(1);
  });

  it('puts back the records of a failed batch byte for byte, once even when two consumers gave up on it', async () => {
    const records = [1, 2].map((seq) =>
      kinesisRecord(ruleOutput(batch('tower-2', seq, T0, ['t'], 1), 'telemetry', 'tower-2', T0), 'tower-2'),
    );
    const { store, marked } = memoryStore({
      'aws/lambda/writer/a.json': esmFailure(records),
      'aws/lambda/twin/b.json': esmFailure(records),
    });
    const stream = memoryStream();
    const summary = await redrive(deps(store, stream.writer), { dryRun: false });
    expect(summary).toMatchObject({ sent: 2, documents: 2 });
    expect(stream.put.map((r) => [r.partitionKey, Buffer.from(r.data).toString('base64')])).toEqual(
      records.map((r) => [r.kinesis.partitionKey, r.kinesis.data]),
    );
    expect(marked.sort()).toEqual(['aws/lambda/twin/b.json', 'aws/lambda/writer/a.json']);
  });

  it('reads a batch without its records back from the stream, and reports what the stream no longer holds', async () => {
    const kept = [kinesisRecord(ruleOutput(telemetry, 'telemetry', 'tower-1', T0), 'tower-1')];
    const gone = [kinesisRecord(ruleOutput(telemetry, 'telemetry', 'tower-1', T0), 'tower-1')];
    const asked: string[][] = [];
    const reader: StreamReader = {
      async readRange(shardId, start, end) {
        asked.push([shardId, start, end]);
        if (start !== kept[0]!.kinesis.sequenceNumber) return undefined;
        return kept.map(
          (r): RecoveredRecord => ({
            id: `${shardId}/${r.kinesis.sequenceNumber}`,
            partitionKey: r.kinesis.partitionKey,
            data: Buffer.from(r.kinesis.data, 'base64'),
          }),
        );
      },
    };
    const { store, marked } = memoryStore({
      'kept.json': esmFailure(kept, false),
      'gone.json': esmFailure(gone, false),
    });
    const stream = memoryStream();
    const summary = await redrive(deps(store, stream.writer, reader), { dryRun: false });
    expect(asked).toHaveLength(2);
    expect(summary).toMatchObject({ sent: 1, unrecoverable: 1 });
    expect(marked).toEqual(['kept.json']);
    expect(lines.some((l) => l.includes('gone.json') && /no longer/.test(l))).toBe(true);
  });

  it("puts a direct invoke's given-up event back on the stream under its tower", async () => {
    const event = ruleOutput(alert('tower-3', 'tower-3:a-9', 'raise', T0), 'alert', 'tower-3', T0);
    const { store } = memoryStore({
      'async/req-1.json': {
        version: '1.0',
        timestamp: new Date(T0).toISOString(),
        requestContext: { requestId: 'req-1', functionArn: 'arn:fn', condition: 'RetriesExhausted' },
        requestPayload: event,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      },
    });
    const stream = memoryStream();
    await redrive(deps(store, stream.writer), { dryRun: false });
    expect(stream.put).toEqual([{ partitionKey: 'tower-3', data: Buffer.from(JSON.stringify(event)) }]);
  });

  it('a second run sends nothing; a dry run sends and marks nothing', async () => {
    const docs = {
      [`rule-errors/towerwatch_status/${T0}-u3.json`]: ruleError(
        'towerwatch_status',
        deviceTopic('tower-1', 'status'),
        Buffer.from('{"schema":1}'),
        ['KinesisAction'],
      ),
    };
    const { store, marked } = memoryStore(docs);
    const stream = memoryStream();
    expect(await redrive(deps(store, stream.writer), { dryRun: true })).toMatchObject({
      sent: 0,
      wouldSend: 1,
    });
    expect(stream.put).toEqual([]);
    expect(marked).toEqual([]);
    await redrive(deps(store, stream.writer), { dryRun: false });
    expect(await redrive(deps(store, stream.writer), { dryRun: false })).toMatchObject({
      documents: 0,
      sent: 0,
    });
    expect(stream.put).toHaveLength(1);
  });

  it('retries records the stream refused and marks a document only once all of its records landed', async () => {
    const records = [1, 2, 3].map((seq) =>
      kinesisRecord(ruleOutput(batch('tower-1', seq, T0, ['t'], 1), 'telemetry', 'tower-1', T0), 'tower-1'),
    );
    const { store, marked } = memoryStore({ 'f.json': esmFailure(records) });
    const stream = memoryStream();
    stream.refuseNext(2);
    const summary = await redrive(deps(store, stream.writer), { dryRun: false });
    expect(summary).toMatchObject({ sent: 3, failed: 0 });
    expect(stream.put).toHaveLength(3);
    expect(marked).toEqual(['f.json']);
  });

  it('names what it cannot read instead of crashing, and leaves it in place', async () => {
    const { store, marked } = memoryStore({ 'junk.json': { hello: 'world' } });
    const summary = await redrive(deps(store, memoryStream().writer), { dryRun: false });
    expect(summary).toMatchObject({ unrecoverable: 1 });
    expect(marked).toEqual([]);
    expect(lines.some((l) => l.includes('junk.json'))).toBe(true);
  });

  it("reads the receive time from the file name the error action's key template gives the object", () => {
    const key = ruleErrorObjectKey('towerwatch_telemetry')
      .replace('${timestamp()}', String(RECEIVED))
      .replace(/\$\{[^}]+\}/g, 'x');
    const doc = ruleError('towerwatch_telemetry', deviceTopic('tower-1', 'telemetry'), telemetryBytes, [
      'KinesisAction',
    ]);
    const recovery = recover({ key, body: JSON.stringify(doc), lastModifiedMs: T0 }, T0);
    expect(recovery.kind).toBe('records');
    const data = recovery.kind === 'records' ? recovery.records[0]!.data : new Uint8Array();
    expect(JSON.parse(Buffer.from(data).toString('utf8')).receivedAt).toBe(RECEIVED);
  });
});
