import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Archiver, type ArchiverOptions, startArchiver } from '../../../local/archive/index.js';
import { fileCheckpoints } from '../../../local/aws/esm/index.js';
import { type LocalAws, startLocalAws } from '../../../local/aws/index.js';
import { archiveDay, type TelemetryBatch } from '../../../protocol/index.js';
import {
  alert,
  batch,
  lifecycle,
  ruleOutput,
  status,
  T0,
  telemetryPut,
} from '../../cloud/functions/fixtures.js';
import { manualClock, type PutItem, putRecords, waitFor } from '../aws/helpers.js';

let aws: LocalAws;
let n = 0;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws.stop();
});

async function setup(opts: Partial<ArchiverOptions> = {}) {
  n++;
  const res = await aws.createResources({
    streamName: `archive-${n}`,
    shardCount: 1,
    tableName: `archive-${n}`,
  });
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'tw-archive-'));
  const clock = manualClock(T0);
  const start = () =>
    startArchiver({
      dir,
      kinesis: aws.clients.kinesis,
      streamName: res.streamName,
      streamArn: res.streamArn,
      clock,
      pollIntervalMs: 10,
      tickMs: 20,
      ...opts,
    });
  let archiver = await start();
  const put = async (items: PutItem[]) => {
    const target = archiver.stats().recordsRead + items.length;
    await putRecords(aws, res.streamName, items);
    await waitFor(() => archiver.stats().recordsRead >= target, `${items.length} records archived`);
  };
  return {
    dir,
    clock,
    put,
    get archiver(): Archiver {
      return archiver;
    },
    async restart(options: Partial<ArchiverOptions> = {}) {
      archiver = await startArchiver({
        dir,
        kinesis: aws.clients.kinesis,
        streamName: res.streamName,
        streamArn: res.streamArn,
        clock,
        pollIntervalMs: 10,
        tickMs: 20,
        ...opts,
        ...options,
      });
      return archiver;
    },
  };
}

async function sql(query: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    return (await db.runAndReadAll(query)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}
const readingsOf = (dir: string) =>
  sql(
    `SELECT tower_id, sensor_id, epoch_ms(ts) AS ts, value, quality, seq, reading_index, dt FROM read_parquet('${dir}/readings/*/*.parquet', hive_partitioning = true) ORDER BY tower_id, seq, reading_index`,
  );
const expectedRows = (batches: TelemetryBatch[]) =>
  batches.flatMap((b) =>
    b.readings.map((r, i) => ({
      tower_id: b.towerId,
      sensor_id: b.sensors[r[0]],
      ts: String(b.t0 + r[1]),
      value: r[2],
      quality: 'good',
      seq: String(b.seq),
      reading_index: i,
    })),
  );
const strip = (rows: Record<string, unknown>[]) => rows.map(({ dt: _dt, ...r }) => r);

describe('local archiver (Firehose on the local stream)', () => {
  const sensors = ['temp-cabinet', 'voltage-dc', 'humidity'];

  it('writes every reading once, as Parquet in its dt partition, and alerts to the alerts table', async () => {
    const t = await setup();
    const batches = [
      batch('tw-001', 1, T0, sensors, 4),
      batch('tw-002', 1, T0, sensors, 3),
      batch('tw-001', 2, T0 + 4000, sensors, 2),
    ];
    await t.put([
      ...batches.map((b) => telemetryPut(b)),
      {
        partitionKey: 'tw-001',
        data: ruleOutput(alert('tw-001', 'tw-001-a', 'raise', T0), 'alert', 'tw-001', T0),
      },
      { partitionKey: 'tw-001', data: ruleOutput(status('tw-001', T0), 'status', 'tw-001', T0) },
      {
        partitionKey: 'tw-001',
        data: ruleOutput(lifecycle('tw-001', 'connected', T0), 'lifecycle', 'tw-001', T0),
      },
    ]);
    expect(t.archiver.stats().rowsStaged).toBe(28);
    const files = await t.archiver.flush();
    expect(files.map((f) => [f.table, f.dt]).sort()).toEqual([
      ['alerts', archiveDay(T0)],
      ['readings', archiveDay(T0)],
    ]);
    const rows = await readingsOf(t.dir);
    expect(strip(rows)).toEqual(
      expectedRows(batches).sort(
        (a, b) =>
          `${a.tower_id}${a.seq}`.localeCompare(`${b.tower_id}${b.seq}`) || a.reading_index - b.reading_index,
      ),
    );
    expect(new Set(rows.map((r) => r.dt))).toEqual(new Set([archiveDay(T0)]));
    const alerts = await sql(
      `SELECT tower_id, alert_id, state, threshold FROM read_parquet('${t.dir}/alerts/*/*.parquet')`,
    );
    expect(alerts).toEqual([{ tower_id: 'tw-001', alert_id: 'tw-001-a', state: 'raise', threshold: 45 }]);
    expect(t.archiver.stats()).toMatchObject({
      rowsArchived: 28,
      filesWritten: 2,
      recordsSkipped: 2,
      rowsStaged: 0,
    });
    await t.archiver.stop();
  });

  it('a batch that starts before midnight lands in the partition of its first reading', async () => {
    const t = await setup();
    const midnight = Date.UTC(2026, 11, 2);
    const b = batch('tw-003', 5, midnight - 1500, sensors, 3);
    await t.put([telemetryPut(b)]);
    await t.archiver.flush();
    const rows = await readingsOf(t.dir);
    expect(new Set(rows.map((r) => r.dt))).toEqual(new Set(['2026-12-01']));
    expect(rows.some((r) => Number(r.ts) >= midnight)).toBe(true);
    await t.archiver.stop();
  });

  it('writes a partition when its buffer is full, and when its oldest row reaches the interval', async () => {
    const t = await setup({ sizeMb: 0.002, intervalSeconds: 60 });
    await t.put([telemetryPut(batch('tw-001', 1, T0, sensors, 30))]);
    await waitFor(() => t.archiver.stats().filesWritten === 1, 'the size trigger');
    const small = await setup({ sizeMb: 1, intervalSeconds: 60 });
    await small.put([telemetryPut(batch('tw-001', 1, T0, sensors, 1))]);
    small.clock.advance(59_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(small.archiver.stats().filesWritten).toBe(0);
    small.clock.advance(1_000);
    await waitFor(() => small.archiver.stats().filesWritten === 1, 'the interval trigger');
    await t.archiver.stop();
    await small.archiver.stop();
  });

  it('loses nothing in a crash: staged rows survive (half a row dropped) and the next start writes them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-archive-'));
    const t = await setup({
      dir,
      intervalSeconds: 900,
      checkpoints: fileCheckpoints(join(dir, 'position.json')),
    });
    const b = batch('tw-004', 9, T0, sensors, 5);
    await t.put([telemetryPut(b)]);
    await t.archiver.stop({ flush: false });
    // A crash: the process dies with rows staged, in the middle of an append.
    const stagingDir = join(t.dir, '.staging');
    const staged = readdirSync(stagingDir).find((f) => f.endsWith('.jsonl'))!;
    writeFileSync(
      join(stagingDir, staged),
      `${readFileSync(join(stagingDir, staged), 'utf8')}{"tower_id":"tw-004","sen`,
    );
    const again = await t.restart();
    await again.flush();
    expect(strip(await readingsOf(t.dir))).toEqual(expectedRows([b]));
    expect(readdirSync(stagingDir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
    await again.stop();
  });

  it('a redelivered batch gives rows identical in every column, so SQL can drop them', async () => {
    const t = await setup();
    const b = batch('tw-005', 3, T0, sensors, 4);
    await t.put([telemetryPut(b, T0 + 100)]);
    await t.put([telemetryPut(b, T0 + 3_600_000)]);
    await t.archiver.stop();
    const rows = await readingsOf(t.dir);
    expect(rows).toHaveLength(24);
    const distinct = await sql(`SELECT DISTINCT * FROM read_parquet('${t.dir}/readings/*/*.parquet')`);
    expect(distinct).toHaveLength(12);
  });

  it('an unreadable record goes to the error output and the rest is archived', async () => {
    const t = await setup();
    const b = batch('tw-006', 1, T0, sensors, 2);
    await t.put([{ partitionKey: 'x', data: 'not json' }, telemetryPut(b)]);
    await t.archiver.stop();
    expect(await readingsOf(t.dir)).toHaveLength(6);
    const errorsDir = join(t.dir, 'errors', 'processing-failed', `dt=${archiveDay(T0)}`);
    expect(existsSync(errorsDir)).toBe(true);
    const [file] = readdirSync(errorsDir);
    const record = JSON.parse(readFileSync(join(errorsDir, file!), 'utf8').trim()) as {
      rawData: string;
      errorCode: string;
    };
    expect(Buffer.from(record.rawData, 'base64').toString()).toBe('not json');
    expect(record.errorCode).toBe('Lambda.ProcessingFailed');
    expect(t.archiver.stats().recordsFailed).toBe(1);
  });
});
