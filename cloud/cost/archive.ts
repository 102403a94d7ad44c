/**
 * The archive's monthly bill (protocol/archive.ts, cloud/lib/archive.ts): a Firehose delivery stream
 * reads the Kinesis stream, the processor Lambda flattens each record into JSON rows routed by table
 * and day, Firehose converts them to Parquet and writes S3, whose lifecycle moves them colder; Glue
 * holds the tables, Athena queries them. Priced from the same stream traffic as the real-time path.
 */
import {
  ARCHIVE_BUFFERING,
  ARCHIVE_PROCESSOR_BUFFERING,
  ARCHIVE_STORAGE,
  ARCHIVE_TABLE_NAMES,
  type AlertRow,
  type ArchiveRow,
  type ReadingRow,
} from '../../protocol/index.js';
import { ARCHIVE_PROCESSOR } from '../data/tables.js';
import { encodeRows } from '../functions/archive-processor/rows.js';
import { Bill, GB, KB, MB, MILLION, TB } from './bill.js';
import type { PriceTable } from './prices.js';
import type { ArchiveCost } from './types.js';

/** Bytes of one row in the processor's output (the encoder it uses: one JSON object per line). */
export const archiveRowBytes = (row: ArchiveRow) => Buffer.byteLength(encodeRows([row]));

/**
 * What the archive's bill assumes besides prices. The rows are representative, not measured: ids
 * like the bench's (`tower-0001`, `sensor-00`), a 2026 time, two-decimal values, a seq a year of
 * one-minute batches reaches; the processor's JSON of them is what Firehose partitions and converts.
 */
export const ARCHIVE_ASSUMPTIONS = {
  readingRow: {
    tower_id: 'tower-0001',
    sensor_id: 'sensor-00',
    ts: Date.UTC(2026, 10, 1),
    value: 23.45,
    quality: 'good',
    seq: 525_600,
    reading_index: 19,
  } satisfies ReadingRow,
  alertRow: {
    tower_id: 'tower-0001',
    sensor_id: 'sensor-00',
    ts: Date.UTC(2026, 10, 1),
    value: 41.2,
    // The edge's alert id: tower, sensor, rule, severity, raise time.
    alert_id: `tower-0001:sensor-00:threshold-high:warning:${Date.UTC(2026, 10, 1)}`,
    state: 'raise',
    rule: 'threshold-high',
    severity: 'warning',
    threshold: 40,
  } satisfies AlertRow,
  /** Firehose meters ingestion (and format conversion) per record in 5 KB increments. */
  firehoseIncrementBytes: 5 * KB,
  /**
   * `npm run bench -- archive` measures 1.76 B per reading (rows sorted by tower, sensor and time,
   * Snappy) in a file of 15 minutes of 1,000 towers × 20 sensors, the size of one 900 s buffer.
   */
  parquetBytesPerReading: 1.8,
  /** Not measured: a few thousand alert rows a month whose ids do not repeat; 100 B each is generous. */
  parquetBytesPerAlert: 100,
  /**
   * Flattening a 0.25 MB buffer: the bench's 212,781 rows/s on one core is 0.0047 ms a row; 512 MB
   * of Lambda gets 512/1,769 of a vCPU, so ×3.5, rounded up to 0.02 ms; 20 ms for the rest of a call.
   */
  processor: { memoryMb: ARCHIVE_PROCESSOR.memoryMb, baseMs: 20, perRowMs: 0.02 },
  /**
   * Storage grows until something expires, and nothing does: the bill is priced at this month of the
   * archive's life, averaged over the month (its midpoint), so month 12 holds 11.5 months of Parquet:
   * 30 days in Standard, 150 in Standard-IA, the rest in Glacier Instant Retrieval.
   */
  pricedMonth: 12,
  /** S3 lifecycle's default since September 2024: objects under 128 KB stay where they are. */
  transitionMinObjectBytes: 128 * KB,
  /** The database, the two tables and the union schema Firehose converts with. */
  catalogObjects: 1 + ARCHIVE_TABLE_NAMES.length + 1,
  /**
   * How often Firehose reads the conversion schema is not documented; once per processor batch is
   * the upper bound assumed. Athena reads the database and the table per query.
   */
  glueRequestsPerInvocation: 1,
  glueRequestsPerQuery: 2,
  /**
   * 100 queries a month, each over the last month of the readings table, every column (the upper
   * bound: Parquet reads only the columns named). The last month is still in Standard, so no
   * retrieval fee; a query over older months would add $0.01/GB (IA) or $0.03/GB (Glacier IR). The
   * workgroup cancels a query past `athenaScanLimitGb` (cloud/lib/context.ts, 10 GB by default):
   * a fleet whose month is larger cannot run these queries as assumed. Athena reads a Parquet file's
   * footer, then its row group: 2 GETs a file. Listing the ~31 day prefixes of a query costs $0.0002
   * and the result files a PUT or two; both are left out.
   */
  athena: { queriesPerMonth: 100, monthsPerQuery: 1, minBytesPerQuery: 10 * MB, getsPerObject: 2 },
  /** Data freshness and failed conversion on the delivery stream; the processor's errors, throttles and duration. */
  alarms: 5,
} as const;
export type ArchiveAssumptions = typeof ARCHIVE_ASSUMPTIONS;

/** Records a month of one kind and the bytes of one as the stream holds it. */
export interface RecordKind {
  count: number;
  bytes: number;
}

/** The stream traffic the delivery stream reads: every record the real-time consumers read. */
export interface ArchiveTraffic {
  secondsPerMonth: number;
  hoursPerMonth: number;
  readingsPerMonth: number;
  batches: RecordKind;
  /** Status reports: read and billed, then dropped by the processor (the twin keeps them). */
  statuses: RecordKind;
  alerts: RecordKind;
  /** GB one reader of an on-demand stream retrieves; undefined for a provisioned stream. */
  kinesisRetrievalGb: number | undefined;
}

/** Where a month's Parquet sits in the priced month: months of data per storage class. */
export function lifecycleMonths(
  pricedMonth: number,
  hoursPerMonth: number,
): { standard: number; infrequentAccess: number; glacierInstantRetrieval: number } {
  const daysPerMonth = hoursPerMonth / 24;
  const ia = ARCHIVE_STORAGE.infrequentAccessAfterDays / daysPerMonth;
  const gir = ARCHIVE_STORAGE.glacierInstantRetrievalAfterDays / daysPerMonth;
  const held = pricedMonth - 0.5;
  return {
    standard: Math.min(held, ia),
    infrequentAccess: Math.min(Math.max(held - ia, 0), gir - ia),
    glacierInstantRetrieval: Math.max(held - gir, 0),
  };
}

export function archiveDesign(t: ArchiveTraffic, prices: PriceTable, a: ArchiveAssumptions): ArchiveCost {
  const bill = new Bill(prices);
  const kinds = [t.batches, t.statuses, t.alerts];
  const increments = (bytes: number) =>
    Math.ceil(bytes / a.firehoseIncrementBytes) * a.firehoseIncrementBytes;

  const records = kinds.reduce((s, k) => s + k.count, 0);
  const ingestGb = kinds.reduce((s, k) => s + k.count * increments(k.bytes), 0) / GB;
  bill.add('firehoseIngestGb', ingestGb);
  if (t.kinesisRetrievalGb !== undefined) {
    bill.add(
      'kinesisOnDemandRetrievalGb',
      t.kinesisRetrievalGb,
      1,
      'on-demand data retrieved by the delivery stream (a fourth reader)',
    );
  }

  // The processor's output: one Firehose record of JSON rows per batch or alert, nothing for a status.
  const readingRowBytes = archiveRowBytes(a.readingRow);
  const alertRowBytes = archiveRowBytes(a.alertRow);
  const readingsPerBatch = t.batches.count === 0 ? 0 : t.readingsPerMonth / t.batches.count;
  const readingJsonBytes = t.readingsPerMonth * readingRowBytes;
  const alertJsonBytes = t.alerts.count * alertRowBytes;
  const rowJsonGb = (readingJsonBytes + alertJsonBytes) / GB;
  // The pricing page meters conversion on "GBs ingested in 5KB increments"; what it converts is the
  // processor's rows, ~9× the compact readings. Priced on the larger of the two, never the lower guess.
  const convertedRowsGb =
    (t.batches.count * increments(readingsPerBatch * readingRowBytes) +
      t.alerts.count * increments(alertRowBytes)) /
    GB;
  const conversionGb = Math.max(ingestGb, convertedRowsGb);
  bill.add(
    'firehoseFormatConversionGb',
    conversionGb,
    1,
    "format conversion to Parquet: GB ingested or the processor's rows (5 KB increments), the larger",
  );
  // The partitioner routes the processor's rows; were it metered on the Parquet delivered it would be less.
  bill.add('firehoseDynamicPartitioningGb', rowJsonGb, 1, "dynamic partitioning, the processor's JSON rows");

  // One file per buffer flush per partition: the interval, unless the rows fill the size hint first
  // (it applies to the records before conversion), never more files than records. A flush that spans
  // midnight writes both days' partitions: at most one more file per table a day, left out.
  const intervals = t.secondsPerMonth / ARCHIVE_BUFFERING.intervalSeconds;
  const flushes = (recordCount: number, jsonBytes: number) =>
    Math.min(recordCount, Math.max(intervals, jsonBytes / (ARCHIVE_BUFFERING.sizeMb * MB)));
  const tables = [
    {
      objects: flushes(t.batches.count, readingJsonBytes),
      parquetBytes: t.readingsPerMonth * a.parquetBytesPerReading,
    },
    {
      objects: flushes(t.alerts.count, alertJsonBytes),
      parquetBytes: t.alerts.count * a.parquetBytesPerAlert,
    },
  ];
  const readingsTable = tables[0]!;
  const objects = tables.reduce((s, x) => s + x.objects, 0);
  bill.add('firehoseDynamicPartitioningObjects', objects, 1000);

  const inputBytes = kinds.reduce((s, k) => s + k.count * k.bytes, 0);
  const invocations = Math.min(
    records,
    Math.max(
      inputBytes / (ARCHIVE_PROCESSOR_BUFFERING.sizeMb * MB),
      t.secondsPerMonth / ARCHIVE_PROCESSOR_BUFFERING.intervalSeconds,
    ),
  );
  const rows = t.readingsPerMonth + t.alerts.count;
  const rowsPerInvocation = invocations === 0 ? 0 : rows / invocations;
  const seconds = (a.processor.baseMs + a.processor.perRowMs * rowsPerInvocation) / 1000;
  bill.add('lambdaRequest', invocations, MILLION, 'requests, archive processor');
  bill.add(
    'lambdaArmGbSecond',
    invocations * seconds * (a.processor.memoryMb / 1024),
    1,
    'duration, arm64, archive processor',
  );

  const months = lifecycleMonths(a.pricedMonth, t.hoursPerMonth);
  const daysPerMonth = t.hoursPerMonth / 24;
  // Transitions in the priced month: a month of files reaches each age, once the archive is that old.
  const reaching = (days: number) => Math.min(Math.max(a.pricedMonth - days / daysPerMonth, 0), 1);
  let standardGb = 0;
  let iaGb = 0;
  let girGb = 0;
  let toIa = 0;
  let toGir = 0;
  for (const table of tables) {
    const monthGb = table.parquetBytes / GB;
    const moves = table.objects > 0 && table.parquetBytes / table.objects >= a.transitionMinObjectBytes;
    if (!moves) {
      standardGb += monthGb * (a.pricedMonth - 0.5);
      continue;
    }
    standardGb += monthGb * months.standard;
    iaGb += monthGb * months.infrequentAccess;
    girGb += monthGb * months.glacierInstantRetrieval;
    toIa += table.objects * reaching(ARCHIVE_STORAGE.infrequentAccessAfterDays);
    toGir += table.objects * reaching(ARCHIVE_STORAGE.glacierInstantRetrievalAfterDays);
  }
  bill.add('s3StandardGbMonth', standardGb);
  bill.add('s3StandardIaGbMonth', iaGb);
  bill.add('s3GlacierIrGbMonth', girGb);
  bill.add('s3PutRequest', objects, 1000, 'PUT requests, Parquet files Firehose delivers');
  bill.add('s3TransitionToIa', toIa, 1000);
  bill.add('s3TransitionToGlacierIr', toGir, 1000);

  const q = a.athena;
  const queryBytes = q.monthsPerQuery * t.readingsPerMonth * a.parquetBytesPerReading;
  const billedQueryBytes = Math.max(q.minBytesPerQuery, Math.ceil(queryBytes / MB) * MB);
  const scannedBytes = q.queriesPerMonth * billedQueryBytes;
  bill.add(
    's3GetRequest',
    q.queriesPerMonth * q.monthsPerQuery * readingsTable.objects * q.getsPerObject,
    1000,
    'GET requests, Athena reading Parquet files',
  );

  bill.add('glueCatalogObjects', a.catalogObjects, 100_000);
  bill.add(
    'glueCatalogRequests',
    invocations * a.glueRequestsPerInvocation + q.queriesPerMonth * a.glueRequestsPerQuery,
    MILLION,
  );
  bill.add('athenaScannedTb', scannedBytes / TB);
  bill.add('cloudwatchAlarm', a.alarms, 1, 'standard-resolution alarm, archive');

  const parquetGbPerMonth = tables.reduce((s, x) => s + x.parquetBytes, 0) / GB;
  return bill.designCost(
    'archive',
    `Firehose reads the stream → processor Lambda → Parquet by table and day in S3 (Standard, IA after ${ARCHIVE_STORAGE.infrequentAccessAfterDays} days, Glacier IR after ${ARCHIVE_STORAGE.glacierInstantRetrievalAfterDays}) → Glue tables → Athena`,
    {
      firehoseRecordsPerMonth: records,
      firehoseIngestGb: ingestGb,
      rowsPerMonth: rows,
      rowJsonGb,
      conversionGb,
      processorInvocationsPerMonth: invocations,
      objectsPerMonth: objects,
      parquetGbPerMonth,
      pricedMonth: a.pricedMonth,
      archiveGb: standardGb + iaGb + girGb,
      athenaQueriesPerMonth: q.queriesPerMonth,
      athenaScannedGb: scannedBytes / GB,
    },
  );
}
