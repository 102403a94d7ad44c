import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RollupRow } from '../../protocol/index.js';
import { putRecords } from '../local/aws/helpers.js';
import {
  drainFleet,
  readingsStored,
  startTestStack,
  storedReadings,
  type TestStack,
  waitUntil,
} from './support/stack.js';

interface SensorSummary {
  count: number;
  max: number;
  mean: number;
}
const key = (tower: string, sensor: string) => `${tower}/${sensor}`;
const round = (v: number) => Math.round(v * 1e9) / 1e9;

/** Every record in the stream: partition key and data, as a redelivery would put them again. */
async function streamRecords(t: TestStack): Promise<{ partitionKey: string; data: string }[]> {
  const { kinesis } = t.stack.aws.clients;
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: t.stack.streamName }));
  const out: { partitionKey: string; data: string }[] = [];
  for (const shard of shards.Shards ?? []) {
    const it = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: t.stack.streamName,
        ShardId: shard.ShardId!,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    let iterator = it.ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? [])
        out.push({ partitionKey: r.PartitionKey!, data: Buffer.from(r.Data!).toString('utf8') });
      if (!page.Records?.length) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
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

describe('e2e: the archive holds what DynamoDB holds, and a redelivery changes no answer', {
  timeout: 120_000,
}, () => {
  let t: TestStack;
  let stored: Map<string, SensorSummary>;
  let towers: readonly string[];

  beforeAll(async () => {
    t = await startTestStack({ towers: 2, sensors: 4, rate: 4, archiveIntervalSeconds: 1 });
    towers = t.stack.fleet.ids;
    await waitUntil('readings in DynamoDB', () => readingsStored(t.stack) >= 200);
    await drainFleet(t.stack);
    stored = new Map();
    const values = new Map<string, number[]>();
    for (const tower of towers) {
      for (const r of await storedReadings(t.stack, tower)) {
        if (r.value === null) continue;
        values.set(key(tower, r.sensorId), [...(values.get(key(tower, r.sensorId)) ?? []), r.value]);
      }
    }
    for (const [k, v] of values) {
      stored.set(k, {
        count: v.length,
        max: Math.max(...v),
        mean: round(v.reduce((a, b) => a + b, 0) / v.length),
      });
    }
    const records = (await streamRecords(t)).length;
    await waitUntil('the archive to read the stream', () => t.stack.archive!.stats().recordsRead >= records);
    await t.stack.archive!.flush();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const archiveSummary = async () => {
    const rows = await sql(
      `SELECT tower_id, sensor_id, count(value) AS n, max(value) AS max, avg(value) AS mean FROM (SELECT DISTINCT tower_id, seq, reading_index, sensor_id, ts, value FROM read_parquet('${t.stack.archive!.dir}/readings/*/*.parquet', hive_partitioning = true)) GROUP BY ALL`,
    );
    return new Map(
      rows.map((r) => [
        key(String(r.tower_id), String(r.sensor_id)),
        { count: Number(r.n), max: Number(r.max), mean: round(Number(r.mean)) },
      ]),
    );
  };
  const rawRows = async () =>
    Number(
      (
        await sql(`SELECT count(*) AS n FROM read_parquet('${t.stack.archive!.dir}/readings/*/*.parquet')`)
      )[0]!.n,
    );
  const rollups = async (resolution: '1m' | '1h') => {
    const out: RollupRow[] = [];
    for (const towerId of towers) {
      out.push(
        ...(await t.stack.rollups!.read({
          towerId,
          resolution,
          fromMs: Date.now() - 86_400_000,
          toMs: Date.now() + 60_000,
        })),
      );
    }
    return out;
  };
  const rollupSummary = (rows: RollupRow[]) => {
    const by = new Map<string, { count: number; max: number; sum: number }>();
    for (const r of rows) {
      const s = by.get(key(r.towerId, r.sensorId)) ?? { count: 0, max: -Infinity, sum: 0 };
      by.set(key(r.towerId, r.sensorId), {
        count: s.count + r.count,
        max: Math.max(s.max, r.max),
        sum: s.sum + r.mean * r.count,
      });
    }
    return new Map(
      [...by].map(([k, s]) => [k, { count: s.count, max: s.max, mean: round(s.sum / s.count) }]),
    );
  };

  it('counts, max and mean per tower and sensor through SQL and through the rollups equal DynamoDB', async () => {
    expect(stored.size).toBe(towers.length * 4);
    expect(await archiveSummary()).toEqual(stored);
    for (const resolution of ['1m', '1h'] as const) {
      const summary = rollupSummary(await rollups(resolution));
      for (const [k, s] of stored) {
        expect(summary.get(k)!.count, k).toBe(s.count);
        expect(summary.get(k)!.max, k).toBe(s.max);
        expect(summary.get(k)!.mean, k).toBeCloseTo(s.mean, 6);
      }
    }
  });

  it('the whole stream delivered again: twice the rows, the same answers and rollups', async () => {
    const before = {
      raw: await rawRows(),
      sql: await archiveSummary(),
      m: await rollups('1m'),
      h: await rollups('1h'),
    };
    const records = await streamRecords(t);
    const read = t.stack.archive!.stats().recordsRead;
    await putRecords(t.stack.aws, t.stack.streamName, records);
    await waitUntil(
      'the redelivery archived',
      () => t.stack.archive!.stats().recordsRead >= read + records.length,
    );
    await t.stack.archive!.flush();
    expect(await rawRows()).toBe(2 * before.raw);
    expect(await archiveSummary()).toEqual(before.sql);
    expect(await rollups('1m')).toEqual(before.m);
    expect(await rollups('1h')).toEqual(before.h);
  });
});
