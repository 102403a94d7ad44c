import { IOT, STORED_ACK } from '../../protocol/index.js';
import { DEFAULTS } from '../data/tables.js';
import { ARCHIVE_ASSUMPTIONS, archiveDesign } from './archive.js';
import { Bill, GB, KB, MILLION } from './bill.js';
import { PRICE_REGION, PRICES, PRICES_AS_OF, type PriceTable } from './prices.js';
import {
  type CostComparison,
  type DesignCost,
  type FleetProfile,
  type FleetProfileInput,
  FleetProfileSchema,
} from './types.js';

/** Bytes of `n` bytes base64-encoded, as the rules nest the device payload (`encode(*, 'base64')`). */
const base64Bytes = (n: number) => 4 * Math.ceil(n / 3);

/**
 * What the model assumes besides prices: sizes and durations measured or chosen in this repo.
 * The figures are deliberately simple so a test can recompute them by hand.
 */
export const ASSUMPTIONS = {
  /** AWS bills a month as 730 hours. */
  hoursPerMonth: 730,
  /** A batch is sealed when it fills one billing unit or its first reading is this old (DEFAULT_BATCHING). */
  batchMaxBytes: IOT.billingUnitBytes,
  batchMaxAgeMs: 10_000,
  /** Compact batch encoding: fixed JSON around the readings, then bytes per `[i, dt, v]` reading. */
  batchHeaderBytes: 120,
  batchBytesPerReading: 15,
  /** The edge's default status report interval. */
  statusIntervalMs: 60_000,
  statusBytes: 300,
  alertBytes: 400,
  /**
   * The rule output's own fields around the nested payload (`{"payload":"…","towerId":…,
   * "messageType":…,"receivedAt":…}`); the payload itself is base64 in it, 4/3 of the device bytes.
   */
  ruleEnrichmentBytes: 80,
  /** DynamoDB's per-item overhead on top of attribute bytes. */
  dynamoItemOverheadBytes: 100,
  /**
   * The telemetry writer's stored acknowledgement (`cmd/towerwatch/<id>/stored`): at most one per
   * tower per interval, published through the IoT data plane. IoT Core bills the publish and the
   * delivery to the subscribed tower, one message each per 5 KB; no rule selects the topic. Even
   * naming all `STORED_ACK.maxRanges` seq ranges an acknowledgement stays under 3 KB (one unit). It
   * rides on the `LATEST` write the batch already makes: no extra DynamoDB write.
   */
  storedAck: { intervalMs: STORED_ACK.minIntervalMs, bytes: 3072, messagesPerAck: 2 },
  /** The telemetry writer also keeps one `LATEST` item per tower: one 1-KB write per batch. */
  latestWritesPerBatch: 1,
  /** The alert notifier's claim and suppression items per alert. */
  writesPerAlert: 2,
  twinUpdateIntervalMs: DEFAULTS.twinMinIntervalMs,
  twinDocumentKb: 2,
  /** Twin updater reads then updates the shadow. */
  shadowOpsPerTwinUpdate: 2,
  /** An on-demand stream starts with 4 MB/s write capacity: 4 shards Lambda polls. */
  onDemandShards: 4,
  /** Lambda polls each shard about once a second; with a 1 s batching window that bounds invocations. */
  pollsPerShardPerSecond: 1,
  functions: {
    telemetryWriter: { memoryMb: 512, baseMs: 20, perRecordMs: 4, batchSize: 100 },
    twinUpdater: { memoryMb: 256, baseMs: 20, perRecordMs: 0.5, batchSize: 100 },
    alertNotifier: { memoryMb: 256, baseMs: 10, perRecordMs: 0.2, batchSize: 100 },
  },
  alertSweep: { memoryMb: 256, durationMs: 100, intervalMs: 60_000 },
  /**
   * Alarms in the deployed stack besides the archive's (stream 2, iterator age 3, errors + throttles +
   * duration near timeout 4×3, table throttles 2, buckets 2, rules 4×2); stack.test.ts counts them.
   */
  alarms: 29,
  dashboards: 1,
  /**
   * X-Ray's default sampling rule, which Lambda active tracing follows: the first request each second,
   * then 5% of the rest (the free 100,000 traces a month are left out, like every free tier here).
   */
  xraySampling: { reservoirPerSecond: 1, fixedRate: 0.05 },
  kmsKeys: 1,
  /** The public tutorials: one JSON message per reading (device_id, timestamp, values, firmware). */
  tutorial: {
    readingBytes: 200,
    itemBytes: 250,
    consumer: { memoryMb: 128, baseMs: 20, perRecordMs: 5, batchSize: 100 },
    alarms: 1,
  },
  archive: ARCHIVE_ASSUMPTIONS,
} as const;
export type Assumptions = typeof ASSUMPTIONS;

/** The line item of the stored acknowledgements (`towerwatch cost` prints it). */
export const STORED_ACK_ITEM = 'messaging, stored acknowledgements (writer publish + delivery to the tower)';

/** IoT Core messaging is tiered by monthly volume. */
export function iotMessagingUsd(messages: number, prices: PriceTable = PRICES): number {
  const first = Math.min(messages, 1e9);
  const next = Math.min(Math.max(messages - 1e9, 0), 4e9);
  const over = Math.max(messages - 5e9, 0);
  return (
    (first * prices.iotMessagingFirstBillion.usd +
      next * prices.iotMessagingNextFourBillion.usd +
      over * prices.iotMessagingOverFiveBillion.usd) /
    MILLION
  );
}

interface ConsumerProfile {
  memoryMb: number;
  baseMs: number;
  perRecordMs: number;
  batchSize: number;
}

/**
 * Invocations of a stream consumer: full batches when traffic is high, otherwise about one per
 * shard per poll (never more than one per record).
 */
export function consumerInvocationsPerSecond(
  recordsPerSecond: number,
  shards: number,
  batchSize: number,
  pollsPerShardPerSecond: number,
): number {
  return Math.min(recordsPerSecond, Math.max(recordsPerSecond / batchSize, shards * pollsPerShardPerSecond));
}

export function estimateMonthlyCost(
  input: FleetProfileInput,
  prices: PriceTable = PRICES,
  a: Assumptions = ASSUMPTIONS,
): CostComparison {
  const fleet = FleetProfileSchema.parse(input);
  const secondsPerMonth = a.hoursPerMonth * 3600;
  const readingsPerSecond = (fleet.towers * fleet.sensorsPerTower * 1000) / fleet.intervalMs;
  const readingsPerMonth = readingsPerSecond * secondsPerMonth;
  const alertsPerMonth = (fleet.towers * fleet.alertsPerTowerPerDay * a.hoursPerMonth) / 24;
  const traffic = streamTraffic(fleet, a, secondsPerMonth, alertsPerMonth);
  const towerwatch = towerwatchDesign(fleet, prices, a, secondsPerMonth, traffic);
  const archive = archiveDesign(
    {
      secondsPerMonth,
      hoursPerMonth: a.hoursPerMonth,
      readingsPerMonth,
      batches: { count: traffic.batches, bytes: traffic.batchRecordBytes },
      statuses: { count: traffic.statuses, bytes: traffic.statusRecordBytes },
      alerts: { count: traffic.alerts, bytes: traffic.alertRecordBytes },
      // A provisioned stream bills shard-hours, not reads: one more reader costs nothing there.
      kinesisRetrievalGb: fleet.kinesis.mode === 'on-demand' ? (traffic.ingestKb * KB) / GB : undefined,
    },
    prices,
    a.archive,
  );
  const tutorial = tutorialDesign(fleet, prices, a, secondsPerMonth, readingsPerSecond, alertsPerMonth);
  return {
    pricesAsOf: PRICES_AS_OF,
    region: PRICE_REGION,
    fleet,
    readingsPerMonth,
    towerwatch,
    archive,
    deployedMonthlyUsd: towerwatch.monthlyUsd + archive.monthlyUsd,
    tutorial,
    // The archive stays out: the tutorial design keeps none, so only the real-time paths compare.
    ratio: tutorial.monthlyUsd / towerwatch.monthlyUsd,
  };
}

/** A month of the stream's records, by kind: what every consumer, the delivery stream included, reads. */
export interface StreamTraffic {
  batchesPerSecond: number;
  batchBytes: number;
  batches: number;
  statuses: number;
  alerts: number;
  /** Bytes of one record of each kind as the stream holds it: the rule output, the payload base64 in it. */
  batchRecordBytes: number;
  statusRecordBytes: number;
  alertRecordBytes: number;
  /** Kinesis data in, each record rounded up to 1 KB. */
  ingestKb: number;
}

export function streamTraffic(
  fleet: FleetProfile,
  a: Assumptions,
  secondsPerMonth: number,
  alertsPerMonth: number,
): StreamTraffic {
  const { batchesPerSecond, batchBytes } = batchProfile(fleet, a);
  const batches = fleet.towers * batchesPerSecond * secondsPerMonth;
  const statuses = (fleet.towers * secondsPerMonth * 1000) / a.statusIntervalMs;
  const recordBytes = (bytes: number) => base64Bytes(bytes) + a.ruleEnrichmentBytes;
  const recordKb = (bytes: number) => Math.ceil(recordBytes(bytes) / KB);
  return {
    batchesPerSecond,
    batchBytes,
    batches,
    statuses,
    alerts: alertsPerMonth,
    batchRecordBytes: recordBytes(batchBytes),
    statusRecordBytes: recordBytes(a.statusBytes),
    alertRecordBytes: recordBytes(a.alertBytes),
    ingestKb:
      batches * recordKb(batchBytes) +
      statuses * recordKb(a.statusBytes) +
      alertsPerMonth * recordKb(a.alertBytes),
  };
}

/** One tower's telemetry batches per second and the size of each (≤ one 5 KB billing unit). */
export function batchProfile(
  fleet: FleetProfile,
  a: Assumptions,
): { batchesPerSecond: number; batchBytes: number } {
  // A batch is sealed every max(interval, maxAge): all sensors read in that window go into it,
  // split into as many full billing units as they need.
  const flushPeriodMs = Math.max(fleet.intervalMs, a.batchMaxAgeMs);
  const readingsPerFlush = (fleet.sensorsPerTower * flushPeriodMs) / fleet.intervalMs;
  const perBatch = Math.floor((a.batchMaxBytes - a.batchHeaderBytes) / a.batchBytesPerReading);
  const batchesPerFlush = Math.ceil(readingsPerFlush / perBatch);
  const readingsPerBatch = readingsPerFlush / batchesPerFlush;
  return {
    batchesPerSecond: (batchesPerFlush * 1000) / flushPeriodMs,
    batchBytes: a.batchHeaderBytes + readingsPerBatch * a.batchBytesPerReading,
  };
}

/**
 * Stored acknowledgements per tower per month: the writer acknowledges when it stores a batch, at
 * most once per `storedAck.intervalMs`, so one per batch when batches are further apart, else one
 * per interval.
 */
export function storedAcksPerTowerPerMonth(
  batchesPerSecond: number,
  secondsPerMonth: number,
  a: { storedAck: { intervalMs: number } } = ASSUMPTIONS,
): number {
  return Math.min(batchesPerSecond * secondsPerMonth, (secondsPerMonth * 1000) / a.storedAck.intervalMs);
}

function towerwatchDesign(
  fleet: FleetProfile,
  prices: PriceTable,
  a: Assumptions,
  secondsPerMonth: number,
  traffic: StreamTraffic,
): DesignCost {
  const bill = new Bill(prices);
  const { batchesPerSecond, batchBytes, batches, statuses, alerts: alertsPerMonth, ingestKb } = traffic;
  const units = (bytes: number) => Math.ceil(bytes / IOT.billingUnitBytes);
  const messages =
    batches * units(batchBytes) + statuses * units(a.statusBytes) + alertsPerMonth * units(a.alertBytes);
  const storedAcks = fleet.towers * storedAcksPerTowerPerMonth(batchesPerSecond, secondsPerMonth, a);
  const ackMessages = storedAcks * a.storedAck.messagesPerAck * units(a.storedAck.bytes);

  iotCoreItems(
    bill,
    prices,
    fleet,
    secondsPerMonth,
    messages,
    'messaging (tiered, per 5 KB), batches + status + alerts',
  );
  // Priced at the tiers the device messages leave off at; not rule input.
  bill.addUsd(
    'IoT Core',
    STORED_ACK_ITEM,
    ackMessages,
    'messages',
    iotMessagingUsd(messages + ackMessages, prices) - iotMessagingUsd(messages, prices),
  );
  const twinUpdates = (fleet.towers * secondsPerMonth * 1000) / a.twinUpdateIntervalMs + alertsPerMonth;
  bill.add('iotShadowOperation', twinUpdates * a.shadowOpsPerTwinUpdate * a.twinDocumentKb, MILLION);

  const records = batches + statuses + alertsPerMonth;
  const consumers = Object.keys(a.functions).length;
  const shards = kinesisItems(bill, fleet, a, records, ingestKb, consumers);

  const recordsPerSecond = records / secondsPerMonth;
  let invocations = 0;
  for (const fn of Object.values(a.functions)) {
    invocations += lambdaItems(bill, fn, recordsPerSecond, shards, a, secondsPerMonth);
  }
  const sweeps = (secondsPerMonth * 1000) / a.alertSweep.intervalMs;
  bill.add('lambdaRequest', sweeps, MILLION);
  bill.add('lambdaArmGbSecond', sweeps * (a.alertSweep.durationMs / 1000) * (a.alertSweep.memoryMb / 1024));
  invocations += sweeps;
  bill.add('xrayTraceRecorded', tracesRecorded(invocations, secondsPerMonth, a.xraySampling), MILLION);

  const telemetryItemKb = Math.ceil((batchBytes + a.dynamoItemOverheadBytes) / KB);
  const wru =
    batches * (telemetryItemKb + a.latestWritesPerBatch) +
    (fleet.towers * secondsPerMonth * 1000) / a.twinUpdateIntervalMs +
    alertsPerMonth * a.writesPerAlert;
  bill.add('dynamoWriteRequestUnit', wru, MILLION);
  const storageGb =
    (fleet.towers *
      batchesPerSecond *
      86_400 *
      fleet.retentionDays *
      (batchBytes + a.dynamoItemOverheadBytes)) /
    GB;
  bill.add('dynamoStorageGbMonth', storageGb);
  bill.add('dynamoPitrGbMonth', storageGb);

  snsItems(bill, alertsPerMonth, fleet);
  bill.add('cloudwatchAlarm', a.alarms);
  bill.add('cloudwatchDashboard', a.dashboards);
  bill.add('kmsKey', a.kmsKeys);

  return bill.designCost(
    'towerwatch',
    'batched telemetry (one 5 KB unit per batch) → IoT rules → Kinesis → 3 consumers, one item per batch',
    {
      iotMessagesPerMonth: messages + ackMessages,
      storedAcksPerMonth: storedAcks,
      kinesisRecordsPerMonth: records,
      dynamoWriteUnitsPerMonth: wru,
      storageGb,
      lambdaInvocationsPerMonth: invocations,
    },
  );
}

function tutorialDesign(
  fleet: FleetProfile,
  prices: PriceTable,
  a: Assumptions,
  secondsPerMonth: number,
  readingsPerSecond: number,
  alertsPerMonth: number,
): DesignCost {
  const bill = new Bill(prices);
  const t = a.tutorial;
  const readings = readingsPerSecond * secondsPerMonth;
  const messages = readings + alertsPerMonth;
  iotCoreItems(bill, prices, fleet, secondsPerMonth, messages, 'messaging (tiered), one message per reading');
  const ingestKb = messages * Math.ceil(t.readingBytes / KB);
  const shards = kinesisItems(bill, fleet, a, messages, ingestKb, 1);
  const invocations = lambdaItems(bill, t.consumer, messages / secondsPerMonth, shards, a, secondsPerMonth);
  const wru = readings * Math.ceil((t.itemBytes + a.dynamoItemOverheadBytes) / KB) + alertsPerMonth;
  bill.add('dynamoWriteRequestUnit', wru, MILLION);
  const storageGb =
    (readingsPerSecond * 86_400 * fleet.retentionDays * (t.itemBytes + a.dynamoItemOverheadBytes)) / GB;
  bill.add('dynamoStorageGbMonth', storageGb);
  snsItems(bill, alertsPerMonth, fleet);
  bill.add('cloudwatchAlarm', t.alarms);
  return bill.designCost(
    'one message per reading',
    'the public tutorials: one message per reading → Kinesis → one Lambda consumer → one PutItem per reading',
    {
      iotMessagesPerMonth: messages,
      storedAcksPerMonth: 0,
      kinesisRecordsPerMonth: messages,
      dynamoWriteUnitsPerMonth: wru,
      storageGb,
      lambdaInvocationsPerMonth: invocations,
    },
  );
}

/** Adds IoT Core's line items for the fleet's monthly messages: messaging, connectivity, rules. */
function iotCoreItems(
  bill: Bill,
  prices: PriceTable,
  fleet: FleetProfile,
  secondsPerMonth: number,
  messages: number,
  what: string,
): void {
  bill.addUsd('IoT Core', what, messages, 'messages', iotMessagingUsd(messages, prices));
  bill.add('iotConnectivity', (fleet.towers * secondsPerMonth) / 60, MILLION);
  bill.add('iotRuleTriggered', messages, MILLION);
  bill.add('iotRuleAction', messages, MILLION);
}

/** Adds the stream's line items; returns the shard count consumers poll. */
function kinesisItems(
  bill: Bill,
  fleet: FleetProfile,
  a: Assumptions,
  records: number,
  ingestKb: number,
  consumers: number,
): number {
  if (fleet.kinesis.mode === 'provisioned') {
    bill.add('kinesisShardHour', fleet.kinesis.shards * a.hoursPerMonth);
    // Every record here is under 25 KB: one PUT payload unit each.
    bill.add('kinesisPutPayloadUnit', records, MILLION);
    return fleet.kinesis.shards;
  }
  bill.add('kinesisOnDemandStreamHour', a.hoursPerMonth);
  const ingestGb = (ingestKb * KB) / GB;
  bill.add('kinesisOnDemandIngestGb', ingestGb);
  bill.add('kinesisOnDemandRetrievalGb', ingestGb * consumers);
  return a.onDemandShards;
}

function lambdaItems(
  bill: Bill,
  fn: ConsumerProfile,
  recordsPerSecond: number,
  shards: number,
  a: Assumptions,
  secondsPerMonth: number,
): number {
  const perSecond = consumerInvocationsPerSecond(
    recordsPerSecond,
    shards,
    fn.batchSize,
    a.pollsPerShardPerSecond,
  );
  const invocations = perSecond * secondsPerMonth;
  const recordsPerInvocation = perSecond === 0 ? 0 : recordsPerSecond / perSecond;
  const seconds = (fn.baseMs + fn.perRecordMs * recordsPerInvocation) / 1000;
  bill.add('lambdaRequest', invocations, MILLION);
  bill.add('lambdaArmGbSecond', invocations * seconds * (fn.memoryMb / 1024));
  return invocations;
}

function snsItems(bill: Bill, alertsPerMonth: number, fleet: FleetProfile): void {
  bill.add('snsPublish', alertsPerMonth, MILLION);
  bill.add('snsEmail', alertsPerMonth * fleet.alertEmailSubscribers, 100_000);
}

/** Traces X-Ray records of `invocations` spread evenly over the month, under a reservoir + rate rule. */
export function tracesRecorded(
  invocations: number,
  secondsPerMonth: number,
  rule: { reservoirPerSecond: number; fixedRate: number },
): number {
  const reservoir = Math.min(invocations, rule.reservoirPerSecond * secondsPerMonth);
  return reservoir + (invocations - reservoir) * rule.fixedRate;
}
