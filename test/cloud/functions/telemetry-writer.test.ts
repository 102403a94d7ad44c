import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { getLatest, KEYS, queryReadings, type StoredReading, utcDay } from '../../../cloud/data/index.js';
import { createWriterHandler } from '../../../cloud/functions/telemetry-writer/handler.js';
import type { WriterDeps } from '../../../cloud/functions/telemetry-writer/types.js';
import { memoryDestination } from '../../../local/aws/esm/index.js';
import { counterMetrics } from '../../../local/aws/metrics.js';
import { deliverAndWait, type PutItem, scanSorted, useLocalAwsWithMapping } from '../../local/aws/helpers.js';
import { batch, devicePayloadText, put, silentLog, T0, telemetryPut } from './fixtures.js';

const env = useLocalAwsWithMapping();
let n = 0;

/** A fresh stream and table with the writer behind the event source mapping runner. */
async function setup(
  opts: {
    doc?: DynamoDBDocumentClient;
    wrapHandler?: (h: ReturnType<typeof createWriterHandler>) => ReturnType<typeof createWriterHandler>;
  } = {},
) {
  n++;
  const res = await env.aws.createResources({
    streamName: `writer-${n}`,
    shardCount: 1,
    tableName: `writer-${n}`,
  });
  const metrics = counterMetrics();
  const deps: WriterDeps = {
    tableName: res.tableName,
    retentionDays: 30,
    doc: opts.doc ?? env.aws.clients.doc,
    clock: { now: () => T0 },
    metrics,
    log: silentLog,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
  };
  const handler = createWriterHandler(deps);
  const destination = memoryDestination();
  const m = await env.startMapping({
    streamName: res.streamName,
    streamArn: res.streamArn,
    functionName: 'telemetry-writer',
    handler: opts.wrapHandler ? opts.wrapHandler(handler) : handler,
    batchSize: 50,
    maximumRetryAttempts: 2,
    onFailure: destination,
  });
  const deliver = (items: PutItem[]) => deliverAndWait(env.aws, m, res.streamName, items);
  const scan = () => scanSorted(env.aws.clients.doc, res.tableName);
  const query = (towerId: string, from: number, to: number, sensorId?: string) =>
    queryReadings(env.aws.clients.doc, res.tableName, { towerId, from, to, ...(sensorId && { sensorId }) });
  return { res, deps, metrics, destination, deliver, scan, query, mapping: m };
}

const identity = (r: StoredReading) => `${r.towerId}/${r.seq}/${r.index}`;
const SENSORS = ['temp-cabinet', 'rh-cabinet', 'voltage-dc'];

describe('telemetry-writer through the event source mapping', () => {
  it('quarantines poison records whole, lands the rest of the batch and moves the shard on', async () => {
    const s = await setup();
    const good1 = batch('t1', 1, T0, SENSORS, 10);
    const good2 = batch('t1', 2, T0 + 10_000, SENSORS, 10);
    const foreign = batch('t2', 7, T0, SENSORS, 2);
    await s.deliver([
      telemetryPut(good1),
      { partitionKey: 't1', data: 'not json {' },
      put({ ...good1, seq: 3, schema: 9 }, 'telemetry', 't1', T0),
      put(foreign, 'telemetry', 't1', T0),
      put({ ...good1, seq: 4, readings: [[5, 0, 1]] }, 'telemetry', 't1', T0),
      telemetryPut(good2),
    ]);
    const items = await s.scan();
    const quarantined = items.filter((i) => i.kind === 'quarantine');
    expect(quarantined.map((q) => q.field).sort()).toEqual(['data', 'readings.0.0', 'schema', 'towerId']);
    expect(quarantined.find((q) => q.field === 'towerId')!.reason).toMatch(
      /"t2" differs from topic tower "t1"/,
    );
    const whole = quarantined.find((q) => q.field === 'data')!;
    expect(Buffer.from(whole.data, 'base64').toString()).toBe('not json {');
    expect(s.metrics.totals.RecordsQuarantined).toBe(4);
    expect(s.destination.failures).toEqual([]);
    expect((await s.query('t1', T0, T0 + 60_000)).map(identity)).toHaveLength(60);
    expect(await s.query('t2', T0, T0 + 60_000)).toEqual([]);

    await s.deliver([telemetryPut(batch('t1', 5, T0 + 20_000, SENSORS, 1))]);
    expect(await s.query('t1', T0, T0 + 60_000)).toHaveLength(63);
  });

  it('stores one item per batch with the key layout, and a range query returns each reading once', async () => {
    const s = await setup();
    const b = batch('t1', 42, T0, SENSORS, 20);
    await s.deliver([telemetryPut(b)]);
    const items = (await s.scan()).filter((i) => i.kind === 'telemetry');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      pk: `TOWER#t1#${utcDay(T0)}`,
      sk: `${T0}#${String(42).padStart(16, '0')}`,
      tFrom: T0,
      tTo: T0 + 19_000,
    });
    expect(items[0]!.expiresAt).toBe(Math.floor((b.sentAt + 200) / 1000) + 30 * 86_400);
    const readings = await s.query('t1', T0 + 5_000, T0 + 9_999);
    expect(readings).toHaveLength(15);
    expect(readings.every((r) => r.time >= T0 + 5_000 && r.time <= T0 + 9_999)).toBe(true);
    const volts = await s.query('t1', T0, T0 + 60_000, 'voltage-dc');
    expect(volts.map((r) => r.index)).toEqual(Array.from({ length: 20 }, (_, i) => i * 3 + 2));
    expect(volts[0]!.value).toBe(b.readings[2]![2]);
  });

  it('splits a batch crossing midnight into one item per day and reads it back whole', async () => {
    const s = await setup();
    const midnight = Date.UTC(2026, 10, 24);
    const b = batch('t1', 9, midnight - 3_000, SENSORS, 6);
    await s.deliver([telemetryPut(b)]);
    const items = (await s.scan()).filter((i) => i.kind === 'telemetry');
    expect(items.map((i) => i.pk).sort()).toEqual(['TOWER#t1#2026-11-23', 'TOWER#t1#2026-11-24']);
    const readings = await s.query('t1', midnight - 60_000, midnight + 60_000);
    expect(readings.map((r) => r.index)).toEqual(Array.from({ length: 18 }, (_, i) => i));
  });

  it('redelivery leaves the table identical and every reading appears once', async () => {
    const s = await setup();
    const puts = [0, 1, 2, 3].map((i) => telemetryPut(batch('t1', i, T0 + i * 10_000, SENSORS, 10)));
    await s.deliver(puts);
    const first = await s.scan();
    await s.deliver([...puts].reverse());
    await s.deliver(puts);
    expect(await s.scan()).toEqual(first);
    const readings = await s.query('t1', T0, T0 + 60_000);
    expect(readings).toHaveLength(120);
    expect(new Set(readings.map(identity)).size).toBe(120);
  });

  it('retries throttling and UnprocessedItems until every item lands', async () => {
    let calls = 0;
    let throttled = 0;
    let partial = 0;
    const real = env.aws.clients.doc;
    const flaky = {
      send: async (command: unknown) => {
        if (!(command instanceof BatchWriteCommand)) return real.send(command as never);
        calls++;
        if (calls % 3 === 1) {
          throttled++;
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
            name: 'ProvisionedThroughputExceededException',
          });
        }
        const [table, requests] = Object.entries(command.input.RequestItems!)[0]!;
        if (requests.length > 1) {
          partial++;
          const half = Math.floor(requests.length / 2);
          const out = await real.send(
            new BatchWriteCommand({ RequestItems: { [table]: requests.slice(0, half) } }),
          );
          return { ...out, UnprocessedItems: { [table]: requests.slice(half) } };
        }
        return real.send(command);
      },
    } as unknown as DynamoDBDocumentClient;
    const s = await setup({ doc: flaky });
    const puts = Array.from({ length: 60 }, (_, i) =>
      telemetryPut(batch(`t${i % 3}`, i, T0 + i * 1000, SENSORS, 2)),
    );
    await s.deliver(puts);
    expect(throttled).toBeGreaterThan(0);
    expect(partial).toBeGreaterThan(0);
    expect(s.destination.failures).toEqual([]);
    for (const t of ['t0', 't1', 't2']) expect(await s.query(t, T0, T0 + 120_000)).toHaveLength(20 * 6);
  });

  it('bisects a batch whose record crashes the handler down to that record', async () => {
    const bomb = (r: { kinesis: { data: string } }) =>
      devicePayloadText(r.kinesis.data).includes('"seq":13,');
    const s = await setup({
      wrapHandler: (h) => async (event) => {
        if (event.Records.some(bomb)) throw new Error('handler ran out of memory');
        return h(event);
      },
    });
    const puts = Array.from({ length: 20 }, (_, i) =>
      telemetryPut(batch('t1', i, T0 + i * 1000, SENSORS, 1)),
    );
    await s.deliver(puts);
    expect(s.destination.failures).toHaveLength(1);
    expect(s.destination.failures[0]!.records.filter(bomb)).toHaveLength(1);
    expect(s.destination.failures[0]!.records).toHaveLength(1);
    const seqs = new Set((await s.query('t1', T0, T0 + 60_000)).map((r) => r.seq));
    expect([...seqs].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 13),
    );
  });

  it('flags a batch from a drifted clock and keeps it at its device time', async () => {
    const s = await setup();
    const receivedAt = T0 + 2 * 86_400_000;
    const drifted = batch('t1', 1, T0, SENSORS, 2);
    const fine = batch('t1', 2, receivedAt - 5_000, SENSORS, 2);
    await s.deliver([telemetryPut(drifted, receivedAt), telemetryPut(fine, receivedAt)]);
    const atDeviceTime = await s.query('t1', T0 - 60_000, T0 + 60_000);
    expect(atDeviceTime).toHaveLength(6);
    expect(atDeviceTime.every((r) => r.seq === 1 && r.clockDrift && r.receivedAt === receivedAt)).toBe(true);
    const around = await s.query('t1', receivedAt - 60_000, receivedAt + 60_000);
    expect(around.map((r) => r.seq)).toEqual([2, 2, 2, 2, 2, 2]);
    const item = (await s.scan()).find((i) => i.seq === 1)!;
    expect(item.pk).toBe(`TOWER#t1#${utcDay(T0)}`);
    expect(item.drift).toEqual({ sentAt: drifted.sentAt, receivedAt });
    const latest = await getLatest(env.aws.clients.doc, s.res.tableName, 't1');
    expect(latest!.sensors['temp-cabinet']!.t).toBe(fine.t0 + 1000);
  });

  it('stores a batch once however late it is redelivered, drifted clock or not', async () => {
    const s = await setup();
    const telemetryKeys = async () =>
      (await s.scan()).filter((i) => i.kind === 'telemetry').map((i) => `${i.pk} ${i.sk}`);
    const onTime = batch('t1', 1, T0, SENSORS, 5);
    const behind = batch('t1', 2, T0 - 3 * 3_600_000, SENSORS, 5);
    const receivedAt = onTime.sentAt + 200;
    await s.deliver([telemetryPut(onTime, receivedAt), telemetryPut(behind, receivedAt)]);
    const first = await telemetryKeys();
    expect(first).toHaveLength(2);
    // kill -9 before the edge saw its acknowledgement: the same stored batches again, 20 min later.
    await s.deliver([
      telemetryPut(onTime, receivedAt + 20 * 60_000),
      telemetryPut(behind, receivedAt + 20 * 60_000),
    ]);
    expect(await telemetryKeys()).toEqual(first);
    const readings = await s.query('t1', T0 - 4 * 3_600_000, T0 + 3_600_000);
    expect(readings).toHaveLength(30);
    expect(new Set(readings.map(identity)).size).toBe(30);
  });

  it('quarantines a batch whose reading offset makes no valid date instead of stalling the shard', async () => {
    const s = await setup();
    const bad = batch('t1', 1, T0, SENSORS, 2);
    bad.readings[1] = [1, -9e15, 20];
    await s.deliver([telemetryPut(bad), telemetryPut(batch('t1', 2, T0 + 10_000, SENSORS, 2))]);
    const quarantined = (await s.scan()).filter((i) => i.kind === 'quarantine');
    expect(quarantined.map((q) => q.field)).toEqual(['readings.1.1']);
    expect(s.destination.failures).toEqual([]);
    expect(s.mapping.stats()).toMatchObject({ partialFailures: 0, functionErrors: 0 });
    expect((await s.query('t1', T0, T0 + 60_000)).map((r) => r.seq)).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it('keeps the newest value per sensor whatever order the batches arrive in', async () => {
    const s = await setup();
    const newer = batch('t1', 5, T0 + 60_000, SENSORS, 3);
    const older = batch('t1', 4, T0, SENSORS, 3);
    const partialNewest = { ...batch('t1', 6, T0 + 120_000, ['temp-cabinet'], 1) };
    await s.deliver([telemetryPut(newer)]);
    await s.deliver([telemetryPut(older)]);
    await s.deliver([telemetryPut(partialNewest), telemetryPut(batch('t1', 3, T0 - 60_000, SENSORS, 1))]);
    const latest = await getLatest(env.aws.clients.doc, s.res.tableName, 't1');
    expect(latest!.sensors['temp-cabinet']).toEqual({ v: partialNewest.readings[0]![2], t: T0 + 120_000 });
    expect(latest!.sensors['voltage-dc']).toEqual({ v: newer.readings[8]![2], t: T0 + 62_000 });
    const item = (await s.scan()).find((i) => i.pk === KEYS.latest('t1').pk && i.sk === 'LATEST')!;
    // Three writes: each delivery records its stored seqs for the acknowledgement, though the older
    // batch changes no value.
    expect(item.version).toBe(3);
    expect(item.stored).toEqual([[3, 6]]);
  });
});
