import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { KEYS, padSeq, padTime, queryReadings, type TelemetryItem, utcDay } from '../cloud/data/index.js';
import { decodeRuleRecord } from '../cloud/functions/shared/records.js';
import { createWriterHandler } from '../cloud/functions/telemetry-writer/handler.js';
import {
  decodeTelemetry,
  deviceTopic,
  packReadings,
  type Reading,
  ruleOutputDocument,
  TOPIC_RULES,
} from '../protocol/index.js';
import {
  type EventSourceMapping,
  type KinesisFunction,
  startEventSourceMapping,
} from '../local/aws/esm/index.js';
import { type LocalAws, startLocalAws } from '../local/aws/index.js';
import { counterMetrics } from '../local/aws/metrics.js';
import type { BenchResult } from './lib/types.js';

const TELEMETRY_RULE = TOPIC_RULES.find((r) => r.messageType === 'telemetry')!;

const TOWERS = 10;
const SENSORS = [
  'temp-cabinet',
  'temp-ambient',
  'rh-cabinet',
  'voltage-dc',
  'current-dc',
  'power-rect',
  'door-main',
  'vibration-mast',
];
const SECONDS = 1250; // 10 towers x 8 sensors x 1250 s = 100,000 readings
const T0 = Date.UTC(2026, 10, 23, 6);
/** Concurrent PutItems per invocation in the baseline: a fair baseline, not a strawman serial loop. */
const BASELINE_CONCURRENCY = 16;

function towerRecords(towerId: string, seqBase: number) {
  const readings: Reading[] = [];
  for (let s = 0; s < SECONDS; s++) {
    SENSORS.forEach((sensorId, i) => {
      readings.push({
        sensorId,
        time: T0 + s * 1000,
        value: Math.round((20 + i + Math.sin(s / 7 + i)) * 100) / 100,
      });
    });
  }
  const sentAt = T0 + SECONDS * 1000;
  return packReadings(readings, { towerId, firstSeq: seqBase, sentAt }).map((b) => ({
    PartitionKey: towerId,
    Data: Buffer.from(
      JSON.stringify(
        ruleOutputDocument(
          TELEMETRY_RULE,
          deviceTopic(towerId, 'telemetry'),
          Buffer.from(JSON.stringify(b)),
          sentAt + 50,
        ),
      ),
    ),
  }));
}

async function putAll(
  aws: LocalAws,
  streamName: string,
  records: { PartitionKey: string; Data: Uint8Array }[],
) {
  for (let i = 0; i < records.length; i += 500) {
    await aws.clients.kinesis.send(
      new PutRecordsCommand({ StreamName: streamName, Records: records.slice(i, i + 500) }),
    );
  }
}

/** The common tutorial consumer: one PutItem per reading (stored in a shape the same query module reads). */
function putItemPerReading(
  doc: DynamoDBDocumentClient,
  tableName: string,
  wcu: { units: number },
): KinesisFunction {
  return async (event: KinesisStreamEvent) => {
    for (const record of event.Records) {
      const batches = decodeTelemetry(decodeRuleRecord(record).payload, true);
      for (const b of batches) {
        const items: TelemetryItem[] = b.readings.map((r, index) => {
          const time = b.t0 + r[1];
          return {
            pk: KEYS.telemetryPartition(b.towerId, utcDay(time)),
            sk: `${padTime(time)}#${padSeq(b.seq)}#${index}`,
            kind: 'telemetry',
            towerId: b.towerId,
            seq: b.seq,
            t0: time,
            tFrom: time,
            tTo: time,
            s: [b.sensors[r[0]]!],
            r: JSON.stringify([[0, 0, r[2]]]),
            ix: [index],
            receivedAt: b.sentAt,
            expiresAt: 0,
          };
        });
        for (let i = 0; i < items.length; i += BASELINE_CONCURRENCY) {
          await Promise.all(
            items.slice(i, i + BASELINE_CONCURRENCY).map(async (Item) => {
              const out = await doc.send(
                new PutCommand({ TableName: tableName, Item, ReturnConsumedCapacity: 'TOTAL' }),
              );
              wcu.units += out.ConsumedCapacity?.CapacityUnits ?? 0;
            }),
          );
        }
      }
    }
    return { batchItemFailures: [] };
  };
}

async function runSide(
  aws: LocalAws,
  name: string,
  handler: KinesisFunction,
  records: ReturnType<typeof towerRecords>,
) {
  const { streamName, streamArn, tableName } = await aws.createResources({
    streamName: name,
    shardCount: 2,
    tableName: name,
  });
  await putAll(aws, streamName, records);
  const started = process.hrtime.bigint();
  const mapping: EventSourceMapping = await startEventSourceMapping({
    kinesis: aws.clients.kinesis,
    streamName,
    streamArn,
    functionName: name,
    handler,
    batchSize: 100,
    maxBatchingWindowMs: 0,
    pollIntervalMs: 5,
    maximumRetryAttempts: 0,
  });
  while (mapping.stats().recordsCompleted < records.length) await new Promise((r) => setTimeout(r, 5));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = mapping.stats();
  await mapping.stop();
  if (stats.recordsToDestination > 0)
    throw new Error(`${name}: ${stats.recordsToDestination} records failed`);
  return { seconds, tableName };
}

/** Reads every reading back through the query module; the layout is only worth its WCUs if this is exact. */
async function readBack(aws: LocalAws, tableName: string, expected: number) {
  let total = 0;
  for (let t = 0; t < TOWERS; t++) {
    const readings = await queryReadings(aws.clients.doc, tableName, {
      towerId: `tower-${t}`,
      from: T0,
      to: T0 + SECONDS * 1000,
    });
    const ids = new Set(readings.map((r) => `${r.seq}/${r.index}/${r.sensorId}/${r.time}`));
    if (ids.size !== readings.length) throw new Error(`${tableName}: duplicate readings for tower-${t}`);
    total += readings.length;
  }
  if (total !== expected) throw new Error(`${tableName}: read back ${total} readings, wrote ${expected}`);
}

export async function run(): Promise<BenchResult> {
  const aws = await startLocalAws();
  try {
    const records = Array.from({ length: TOWERS }, (_, t) => towerRecords(`tower-${t}`, 1)).flat();
    const readings = TOWERS * SENSORS.length * SECONDS;

    const writerMetrics = counterMetrics();
    const writer = createWriterHandler({
      tableName: 'bench-writer',
      retentionDays: 30,
      doc: aws.clients.doc,
      clock: { now: () => Date.now() },
      metrics: writerMetrics,
      log: { warn: () => {}, error: () => {} } as never,
    });
    const w = await runSide(aws, 'bench-writer', writer, records);
    await readBack(aws, w.tableName, readings);

    const baselineWcu = { units: 0 };
    const p = await runSide(
      aws,
      'bench-putitem',
      putItemPerReading(aws.clients.doc, 'bench-putitem', baselineWcu),
      records,
    );
    await readBack(aws, p.tableName, readings);

    const writerRate = readings / w.seconds;
    const putItemRate = readings / p.seconds;
    const writerWcu = ((writerMetrics.totals.WriteCapacityUnits ?? 0) / readings) * 1000;
    const putItemWcu = (baselineWcu.units / readings) * 1000;
    return {
      name: 'consumers',
      metrics: {
        writerReadingsPerSec: { value: writerRate, unit: 'readings/s', better: 'higher' },
        putItemReadingsPerSec: { value: putItemRate, unit: 'readings/s', better: 'higher' },
        speedupVsPutItem: { value: writerRate / putItemRate, unit: 'x', target: 20, better: 'higher' },
        writerWcuPer1k: {
          value: writerWcu,
          unit: 'WCU/1k readings',
          target: putItemWcu / 20,
          better: 'lower',
        },
        putItemWcuPer1k: { value: putItemWcu, unit: 'WCU/1k readings', better: 'lower' },
      },
      notes: [
        `${readings.toLocaleString('en-US')} readings of ${TOWERS} 8-sensor towers in ${records.length} Kinesis records (5 KB batches), 2 shards, batch size 100, dynalite`,
        `telemetry-writer ${w.seconds.toFixed(2)} s (one item per batch via BatchWriteItem + latest-state item); PutItem per reading ${p.seconds.toFixed(2)} s (${BASELINE_CONCURRENCY} concurrent puts)`,
        `write units: ${Math.round(writerMetrics.totals.WriteCapacityUnits ?? 0)} vs ${Math.round(baselineWcu.units)} (${(putItemWcu / writerWcu).toFixed(1)}x fewer); both read back all readings through the query module`,
      ],
    };
  } finally {
    await aws.stop();
  }
}
