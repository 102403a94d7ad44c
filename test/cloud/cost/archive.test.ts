import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ARCHIVE_ASSUMPTIONS,
  ASSUMPTIONS,
  type CostComparison,
  estimateMonthlyCost,
  lifecycleMonths,
  main,
  PRICES,
} from '../../../cloud/cost/index.js';
import { ARCHIVE_PROCESSOR } from '../../../cloud/data/tables.js';

// Every quantity below is worked out from the fleet profile and the sizes the model states
// (ASSUMPTIONS, protocol/archive.ts), as plain arithmetic, then priced with the named unit prices.
const P = PRICES;
const M = 1e6;
const MB = 1024 ** 2;
const GB = 1024 ** 3;
const TB = 1024 ** 4;
const FIVE_KB = 5 * 1024;
const SECONDS = 730 * 3600; // 2,628,000 s
const DAYS_PER_MONTH = 730 / 24; // 30.42
/** Stream record = base64 of the device payload + the rule's ~80 bytes of own fields. */
const streamBytes = (payload: number) => 4 * Math.ceil(payload / 3) + 80;
const jsonLine = (row: object) => JSON.stringify(row).length + 1;

const line = (c: CostComparison, service: string, item: RegExp) => {
  const found = c.archive.items.filter((i) => i.service === service && item.test(i.item));
  expect(found, `${service} ${item}`).toHaveLength(1);
  return found[0]!;
};

describe('the archive at 1,000 towers × 20 sensors every 60 s', () => {
  const c = estimateMonthlyCost({ towers: 1000, sensorsPerTower: 20, intervalMs: 60_000 });
  const readings = (1000 * 20 * SECONDS) / 60; // 876,000,000
  const batches = (1000 * SECONDS) / 60; // one 20-reading batch per tower per minute
  const statuses = (1000 * SECONDS) / 60;
  const alerts = (1000 * 730) / 24;
  const records = batches + statuses + alerts;
  // 120 + 20 × 15 = 420 bytes of batch, 300 of status, 400 of alert on the device.
  const batchRecord = streamBytes(420); // 640
  const statusRecord = streamBytes(300); // 480
  const alertRecord = streamBytes(400); // 616
  const readingRow = jsonLine(ASSUMPTIONS.archive.readingRow);
  const alertRow = jsonLine(ASSUMPTIONS.archive.alertRow);

  it('reads a reading row as about ten times its compact reading', () => {
    expect(readingRow).toBe(132);
    expect(readingRow / ASSUMPTIONS.batchBytesPerReading).toBeGreaterThan(8);
    expect(readingRow / ASSUMPTIONS.batchBytesPerReading).toBeLessThan(12);
  });

  it('bills Firehose ingestion on every record read, each rounded up to 5 KB', () => {
    expect(Math.max(batchRecord, statusRecord, alertRecord)).toBeLessThan(FIVE_KB);
    const gb = (records * FIVE_KB) / GB; // 417.9 GB
    const l = line(c, 'Firehose', /^ingestion/);
    expect(l.quantity).toBeCloseTo(gb, 6);
    expect(l.usd).toBeCloseTo(gb * 0.029, 6);
    expect(c.archive.usage.firehoseRecordsPerMonth).toBeCloseTo(records, 3);
  });

  it('bills the delivery stream as a fourth reader of the on-demand stream', () => {
    const gb = (records * 1024) / GB; // every record under 1 KB
    expect(line(c, 'Kinesis', /delivery stream/).usd).toBeCloseTo(gb * 0.04, 6);
  });

  it("bills format conversion on the larger reading: here the ingested GB, above the rows'", () => {
    // The rows of a batch (20 × 132 B) and of an alert are one 5 KB increment each.
    const rowsGb = ((batches + alerts) * FIVE_KB) / GB;
    const ingestedGb = (records * FIVE_KB) / GB;
    expect(rowsGb).toBeLessThan(ingestedGb);
    const l = line(c, 'Firehose', /conversion/);
    expect(l.quantity).toBeCloseTo(ingestedGb, 6);
    expect(l.usd).toBeCloseTo(ingestedGb * 0.018, 6);
  });

  it("bills dynamic partitioning on the processor's JSON rows and one object per table per 900 s", () => {
    const gb = (readings * readingRow + alerts * alertRow) / GB; // 107.7 GB
    expect(line(c, 'Firehose', /dynamic partitioning, the processor/).usd).toBeCloseTo(gb * 0.02, 6);
    // 15 minutes of readings is 300,000 rows, 39.6 MB of JSON: the interval flushes before 128 MB.
    expect(((readings / (SECONDS / 900)) * readingRow) / MB).toBeLessThan(128);
    const objects = 2 * (SECONDS / 900); // 5,840
    expect(c.archive.usage.objectsPerMonth).toBeCloseTo(objects, 6);
    expect(line(c, 'Firehose', /objects delivered/).usd).toBeCloseTo((objects / 1000) * 0.005, 9);
    expect(line(c, 'S3', /^PUT/).usd).toBeCloseTo((objects / 1000) * 0.005, 9);
  });

  it('invokes the processor once per 0.25 MB of stream records', () => {
    const input = batches * batchRecord + statuses * statusRecord + alerts * alertRecord;
    const invocations = input / (0.25 * MB); // 187,205: more than one a minute
    expect(invocations).toBeGreaterThan(SECONDS / 60);
    const ms = 20 + 0.02 * ((readings + alerts) / invocations);
    expect(ASSUMPTIONS.archive.processor.memoryMb).toBe(ARCHIVE_PROCESSOR.memoryMb);
    expect(line(c, 'Lambda', /^requests/).usd).toBeCloseTo(invocations * (0.2 / M), 9);
    expect(line(c, 'Lambda', /^duration/).usd).toBeCloseTo(
      invocations * (ms / 1000) * (512 / 1024) * 0.0000133334,
      9,
    );
  });

  it('stores month 12 as 30 days in Standard, 150 in Standard-IA, the rest in Glacier IR', () => {
    const readingsGb = (readings * 1.8) / GB; // a month of readings Parquet, 1.47 GB
    const alertsGb = (alerts * 100) / GB;
    // Alert files (~10 rows each) are under 128 KB: the lifecycle leaves them in Standard.
    expect((alerts * 100) / (SECONDS / 900)).toBeLessThan(128 * 1024);
    expect((readings * 1.8) / (SECONDS / 900)).toBeGreaterThan(128 * 1024);
    const standard = readingsGb * (30 / DAYS_PER_MONTH) + alertsGb * 11.5;
    const ia = readingsGb * (150 / DAYS_PER_MONTH);
    const gir = readingsGb * (11.5 - 180 / DAYS_PER_MONTH);
    expect(line(c, 'S3', /Standard storage/).quantity).toBeCloseTo(standard, 9);
    expect(line(c, 'S3', /Standard-IA storage/).usd).toBeCloseTo(ia * 0.0125, 9);
    expect(line(c, 'S3', /Glacier Instant Retrieval storage/).usd).toBeCloseTo(gir * 0.004, 9);
    expect(c.archive.usage.archiveGb).toBeCloseTo(standard + ia + gir, 9);
    expect(c.archive.usage.archiveGb).toBeCloseTo(11.5 * readingsGb + 11.5 * alertsGb, 9);
    // A month of reading files reaches 30 days, and another 180, in month 12.
    expect(line(c, 'S3', /transitions to Standard-IA/).usd).toBeCloseTo((2920 / 1000) * 0.01, 9);
    expect(line(c, 'S3', /transitions to Glacier/).usd).toBeCloseTo((2920 / 1000) * 0.02, 9);
  });

  it('prices 100 Athena queries over a month of readings, and their GETs', () => {
    const perQueryMb = Math.ceil((readings * 1.8) / MB); // 1,504 MB, above the 10 MB minimum
    expect(line(c, 'Athena', /scanned/).usd).toBeCloseTo(((100 * perQueryMb * MB) / TB) * 5, 9);
    expect(c.archive.usage.athenaScannedGb).toBeCloseTo((100 * perQueryMb) / 1024, 9);
    expect(line(c, 'S3', /^GET/).usd).toBeCloseTo(((100 * 2920 * 2) / 1000) * 0.0004, 9);
  });

  it('prices Glue at its over-allowance rates, alarms at the standard rate, and totals', () => {
    const input = batches * batchRecord + statuses * statusRecord + alerts * alertRecord;
    const invocations = input / (0.25 * MB);
    expect(line(c, 'Glue', /objects/).usd).toBeCloseTo((4 / 100_000) * 1.0, 12);
    expect(line(c, 'Glue', /requests/).usd).toBeCloseTo(((invocations + 100 * 2) / M) * 1.0, 9);
    expect(line(c, 'CloudWatch', /alarm/).usd).toBeCloseTo(ARCHIVE_ASSUMPTIONS.alarms * 0.1, 12);
    const sum = c.archive.items.reduce((s, i) => s + i.usd, 0);
    expect(c.archive.monthlyUsd).toBeCloseTo(sum, 9);
    expect(c.archive.monthlyUsd).toBeGreaterThan(20);
    expect(c.archive.monthlyUsd).toBeLessThan(35);
    expect(c.deployedMonthlyUsd).toBeCloseTo(c.towerwatch.monthlyUsd + c.archive.monthlyUsd, 9);
  });

  it('keeps the ratio to the real-time paths, which both designs have', () => {
    expect(c.ratio).toBeCloseTo(c.tutorial.monthlyUsd / c.towerwatch.monthlyUsd, 12);
    expect(Object.keys(c.towerwatch.byService)).not.toContain('Firehose');
    expect(Object.keys(c.tutorial.byService)).not.toContain('Firehose');
  });
});

describe('the archive scales with the fleet', () => {
  const one = estimateMonthlyCost({ towers: 1000, sensorsPerTower: 20, intervalMs: 60_000 });
  const two = estimateMonthlyCost({ towers: 2000, sensorsPerTower: 20, intervalMs: 60_000 });

  it('doubles the Firehose byte lines, the storage and the scans with twice the towers', () => {
    for (const item of [/^ingestion/, /conversion/, /dynamic partitioning, the processor/]) {
      expect(line(two, 'Firehose', item).usd, String(item)).toBeCloseTo(
        2 * line(one, 'Firehose', item).usd,
        9,
      );
    }
    expect(line(two, 'Kinesis', /delivery stream/).usd).toBeCloseTo(
      2 * line(one, 'Kinesis', /delivery/).usd,
      9,
    );
    expect(two.archive.usage.archiveGb).toBeCloseTo(2 * one.archive.usage.archiveGb, 9);
    expect(two.archive.usage.processorInvocationsPerMonth).toBeCloseTo(
      2 * one.archive.usage.processorInvocationsPerMonth,
      6,
    );
  });

  it('writes the same number of files: the buffer interval, not the bytes, closes them', () => {
    expect(two.archive.usage.objectsPerMonth).toBeCloseTo(one.archive.usage.objectsPerMonth, 9);
  });

  it("bills conversion on the processor's rows when batches are large", () => {
    // 10 towers × 1,000 sensors at 1 Hz: 31 batches per 10 s of 322.6 readings each (4,958.7 B).
    const c = estimateMonthlyCost({ towers: 10, sensorsPerTower: 1000, intervalMs: 1000 });
    const batches = (10 * 31 * SECONDS) / 10;
    const statuses = (10 * SECONDS) / 60;
    const alerts = (10 * 730) / 24;
    const batchPayload = 120 + (10_000 / 31) * 15;
    const ingestedGb = ((batches * 2 + statuses + alerts) * FIVE_KB) / GB; // 6,692 B: two increments
    expect(streamBytes(batchPayload)).toBeGreaterThan(FIVE_KB);
    // A batch's rows: 322.6 × 132 B = 42.6 KB, nine 5 KB increments.
    const rowsBytes = (10_000 / 31) * 132;
    expect(Math.ceil(rowsBytes / FIVE_KB)).toBe(9);
    const rowsGb = ((batches * 9 + alerts) * FIVE_KB) / GB;
    expect(rowsGb).toBeGreaterThan(ingestedGb);
    expect(line(c, 'Firehose', /^ingestion/).quantity).toBeCloseTo(ingestedGb, 6);
    expect(line(c, 'Firehose', /conversion/).quantity).toBeCloseTo(rowsGb, 6);
  });

  it('applies the 10 MB Athena minimum and keeps small files in Standard for a tiny fleet', () => {
    const c = estimateMonthlyCost({ towers: 1, sensorsPerTower: 1, intervalMs: 60_000 });
    const monthBytes = (SECONDS / 60) * 1.8; // 78,840 B of Parquet
    expect(monthBytes).toBeLessThan(10 * MB);
    expect(line(c, 'Athena', /scanned/).usd).toBeCloseTo(((100 * 10 * MB) / TB) * 5, 12);
    // 2,920 reading files of 27 B and 30 alert files: none reaches 128 KB, none moves.
    expect(line(c, 'S3', /transitions to Standard-IA/).quantity).toBe(0);
    expect(line(c, 'S3', /Standard-IA storage/).quantity).toBe(0);
    const alerts = 730 / 24;
    expect(c.archive.usage.objectsPerMonth).toBeCloseTo(SECONDS / 900 + alerts, 9);
    expect(line(c, 'S3', /Standard storage/).quantity).toBeCloseTo(
      (11.5 * (monthBytes + alerts * 100)) / GB,
      12,
    );
  });

  it('adds no Kinesis line for a provisioned stream, whose reads are in its shard-hours', () => {
    const c = estimateMonthlyCost({
      towers: 10,
      sensorsPerTower: 8,
      intervalMs: 60_000,
      kinesis: { mode: 'provisioned', shards: 2 },
    });
    expect(c.archive.items.filter((i) => i.service === 'Kinesis')).toHaveLength(0);
  });

  it('uses the prices of the table', () => {
    const doubled = Object.fromEntries(
      Object.entries(P).map(([k, v]) => [k, { ...v, usd: v.usd * 2 }]),
    ) as unknown as typeof P;
    const c2 = estimateMonthlyCost({ towers: 1000, sensorsPerTower: 20, intervalMs: 60_000 }, doubled);
    expect(c2.archive.monthlyUsd).toBeCloseTo(2 * one.archive.monthlyUsd, 9);
  });
});

describe('lifecycleMonths', () => {
  it('splits the months of data held by the lifecycle days, at the middle of the priced month', () => {
    const m12 = lifecycleMonths(12, 730);
    expect(m12.standard).toBeCloseTo(30 / DAYS_PER_MONTH, 12);
    expect(m12.infrequentAccess).toBeCloseTo(150 / DAYS_PER_MONTH, 12);
    expect(m12.glacierInstantRetrieval).toBeCloseTo(11.5 - 180 / DAYS_PER_MONTH, 12);
    expect(lifecycleMonths(1, 730)).toEqual({
      standard: 0.5,
      infrequentAccess: 0,
      glacierInstantRetrieval: 0,
    });
    const m3 = lifecycleMonths(3, 730);
    expect(m3.standard + m3.infrequentAccess).toBeCloseTo(2.5, 12);
    expect(m3.glacierInstantRetrieval).toBe(0);
  });
});

describe('towerwatch cost prints the archive', () => {
  afterEach(() => vi.restoreAllMocks());

  it('lists its lines, its total and the deployed total', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['--towers', '1000', '--sensors', '20', '--interval', '60s'])).toBe(0);
    const text = out.mock.calls.flat().join('\n');
    const c = estimateMonthlyCost({ towers: 1000, sensorsPerTower: 20, intervalMs: 60_000 });
    expect(text).toMatch(/archive, beside towerwatch and not in the ratio/);
    expect(text).toMatch(/Firehose +ingestion, Kinesis Data Streams source/);
    expect(text).toMatch(/Athena +data scanned/);
    expect(text).toContain(`$${c.archive.monthlyUsd.toFixed(2)}`);
    expect(text).toContain(
      `with its archive, as the CDK app deploys it: $${Math.round(c.deployedMonthlyUsd)}`,
    );
  });

  it('includes the archive in --json', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['--json'])).toBe(0);
    const doc = JSON.parse(String(out.mock.calls[0]![0]));
    expect(doc.archive.usage.pricedMonth).toBe(12);
    expect(doc.archive.usage.archiveGb).toBeGreaterThan(0);
    expect(doc.deployedMonthlyUsd).toBeCloseTo(doc.towerwatch.monthlyUsd + doc.archive.monthlyUsd, 9);
  });
});
