import { describe, expect, it } from 'vitest';
import { createArchiveProcessorHandler } from '../../../cloud/functions/archive-processor/handler.js';
import { archiveRecordOfData, readingRows } from '../../../cloud/functions/archive-processor/rows.js';
import { counterMetrics } from '../../../local/aws/metrics.js';
import {
  ARCHIVE_PARTITION,
  ARCHIVE_PROCESSOR_BUFFERING,
  ARCHIVE_TABLES,
  ARCHIVE_UNION_COLUMNS,
  archiveDay,
  archivePartitionPath,
  dtRangeFor,
  FIREHOSE,
  type ReadingRow,
} from '../../../protocol/index.js';
import { alert, batch, lifecycle, ruleOutput, silentLog, status, T0 } from './fixtures.js';

const SENSORS = ['temp-cabinet', 'voltage-dc'];
let id = 0;
const record = (output: object | string) => ({
  recordId: `r${++id}`,
  data: Buffer.from(typeof output === 'string' ? output : JSON.stringify(output)).toString('base64'),
});
const decodeRows = (data: string) =>
  Buffer.from(data, 'base64')
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function processor() {
  const metrics = counterMetrics();
  return { handler: createArchiveProcessorHandler({ metrics, log: silentLog }), metrics };
}

describe('archive rows (protocol/archive.ts)', () => {
  it('the union schema holds every column of both tables once, with one type each', () => {
    const names = ARCHIVE_UNION_COLUMNS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const table of Object.values(ARCHIVE_TABLES)) {
      for (const c of table.columns) expect(ARCHIVE_UNION_COLUMNS).toContainEqual(c);
      for (const key of table.identity) expect(table.columns.map((c) => c.name)).toContain(key);
    }
  });

  it('partitions by UTC day and reads one day of slack before a range', () => {
    expect(archiveDay(Date.UTC(2026, 0, 31, 23, 59, 59, 999))).toBe('2026-01-31');
    expect(archivePartitionPath({ table: 'readings', dt: '2026-02-01' })).toBe('readings/dt=2026-02-01');
    expect(dtRangeFor(Date.UTC(2026, 1, 1, 0, 30), Date.UTC(2026, 1, 3, 12))).toEqual({
      from: '2026-01-31',
      to: '2026-02-03',
    });
    expect(ARCHIVE_PARTITION.lowerSlackDays).toBeGreaterThanOrEqual(1);
  });

  it('processor buffering returns under the Lambda response limit at ten times the input', () => {
    const responseBytes = ARCHIVE_PROCESSOR_BUFFERING.sizeMb * 1024 * 1024 * 10 * (4 / 3);
    expect(responseBytes).toBeLessThan(FIREHOSE.maxLambdaResponseBytes);
    expect(ARCHIVE_PROCESSOR_BUFFERING.sizeMb).toBeGreaterThanOrEqual(FIREHOSE.minProcessorBufferMb);
  });
});

describe('archive-processor (Firehose transformation)', () => {
  it('flattens a batch into one row per reading, from the device data alone', () => {
    const b = batch('tw-001', 7, T0, SENSORS, 3);
    b.readings[1] = [1, 0, null, 2];
    const rows = readingRows(b);
    expect(rows).toHaveLength(6);
    expect(rows[0]).toEqual({
      tower_id: 'tw-001',
      sensor_id: 'temp-cabinet',
      ts: T0,
      value: b.readings[0]![2],
      quality: 'good',
      seq: 7,
      reading_index: 0,
    } satisfies ReadingRow);
    expect(rows[1]).toMatchObject({ sensor_id: 'voltage-dc', value: null, quality: 'bad', reading_index: 1 });
    expect(rows.map((r) => r.reading_index)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('answers every record with its recordId: Ok rows with partition keys, Dropped, ProcessingFailed', async () => {
    const { handler, metrics } = processor();
    const b = batch('tw-001', 1, T0, SENSORS, 2);
    const records = [
      record(ruleOutput(b, 'telemetry', 'tw-001', T0 + 5000)),
      record(ruleOutput(alert('tw-001', 'tw-001-a1', 'raise', T0), 'alert', 'tw-001', T0)),
      record(ruleOutput(status('tw-001', T0), 'status', 'tw-001', T0)),
      record(ruleOutput(lifecycle('tw-001', 'connected', T0), 'lifecycle', 'tw-001', T0)),
      record('not json'),
      record(ruleOutput({ schema: 1, towerId: 'tw-001' }, 'telemetry', 'tw-001', T0)),
    ];
    const { records: out } = await handler({
      invocationId: 'i',
      deliveryStreamArn: 'arn:aws:firehose:eu-west-1:0:deliverystream/x',
      region: 'eu-west-1',
      records: records.map((r) => ({ ...r, approximateArrivalTimestamp: T0 })),
    });
    expect(out.map((r) => r.recordId)).toEqual(records.map((r) => r.recordId));
    expect(out.map((r) => r.result)).toEqual([
      'Ok',
      'Ok',
      'Dropped',
      'Dropped',
      'ProcessingFailed',
      'ProcessingFailed',
    ]);
    expect(out[0]!.metadata?.partitionKeys).toEqual({ table: 'readings', dt: archiveDay(T0) });
    expect(decodeRows(out[0]!.data!)).toHaveLength(4);
    expect(out[1]!.metadata?.partitionKeys).toEqual({ table: 'alerts', dt: archiveDay(T0) });
    expect(decodeRows(out[1]!.data!)).toEqual([
      expect.objectContaining({ tower_id: 'tw-001', alert_id: 'tw-001-a1', state: 'raise', threshold: 45 }),
    ]);
    // A failed record goes to the error prefix untouched, so redrive can replay it.
    expect(out[4]!.data).toBe(records[4]!.data);
    expect(metrics.totals).toMatchObject({ RowsArchived: 5, RecordsFailed: 2 });
  });

  it('a redelivered batch (later, through another rule invocation) yields identical rows', async () => {
    const { handler } = processor();
    const b = batch('tw-002', 42, T0, SENSORS, 5);
    const first = record(ruleOutput(b, 'telemetry', 'tw-002', T0 + 1000));
    const again = record(ruleOutput(b, 'telemetry', 'tw-002', T0 + 3_600_000));
    const { records: out } = await handler({
      invocationId: 'i',
      deliveryStreamArn: 'a',
      region: 'r',
      records: [first, again].map((r) => ({ ...r, approximateArrivalTimestamp: T0 })),
    });
    expect(out[1]!.data).toBe(out[0]!.data);
    expect(out[1]!.metadata).toEqual(out[0]!.metadata);
  });

  it('a backlog bundle goes to the day of its earliest reading, every batch in it', () => {
    const late = batch('tw-003', 11, Date.UTC(2026, 10, 24, 0, 0, 30), SENSORS, 1);
    const early = batch('tw-003', 10, Date.UTC(2026, 10, 23, 23, 59, 50), SENSORS, 1);
    const bundle = { schema: 1, towerId: 'tw-003', sentAt: late.sentAt, batches: [late, early] };
    const archived = archiveRecordOfData(
      Buffer.from(JSON.stringify(ruleOutput(bundle, 'telemetry', 'tw-003', T0))),
    );
    expect(archived).toMatchObject({ kind: 'rows', partition: { table: 'readings', dt: '2026-11-23' } });
    if (archived.kind !== 'rows') throw new Error('expected rows');
    expect(archived.rows.map((r) => [(r as ReadingRow).seq, (r as ReadingRow).reading_index])).toEqual([
      [11, 0],
      [11, 1],
      [10, 0],
      [10, 1],
    ]);
  });

  it('a payload naming another tower than its topic is refused, not archived under either', () => {
    const b = batch('tw-victim', 1, T0, SENSORS, 1);
    expect(() =>
      archiveRecordOfData(Buffer.from(JSON.stringify(ruleOutput(b, 'telemetry', 'tw-rogue', T0)))),
    ).toThrow(/tw-rogue|tw-victim/);
  });
});
