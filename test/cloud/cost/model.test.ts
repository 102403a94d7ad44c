import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ASSUMPTIONS,
  tracesRecorded,
  estimateMonthlyCost,
  iotMessagingUsd,
  main,
  PRICES,
  PRICES_AS_OF,
  parseInterval,
  STORED_ACK_ITEM,
  storedAcksPerTowerPerMonth,
} from '../../../cloud/cost/index.js';
import { STORED_ACK } from '../../../protocol/index.js';

// Hand-computed cases: every figure below is worked out from the named unit prices in
// cloud/cost/prices.ts and the sizes in ASSUMPTIONS, written as plain arithmetic.
const P = PRICES;
const M = 1e6;
const GB = 1024 ** 3;
const SECONDS = 730 * 3600; // 2,628,000 s in AWS's 730-hour month
/** The writer acknowledges at most once per tower per STORED_ACK.minIntervalMs. */
const ACK_INTERVALS = (SECONDS * 1000) / STORED_ACK.minIntervalMs;
/** Each acknowledgement is the writer's data-plane publish and its delivery to the tower (≤ 5 KB each). */
const MESSAGES_PER_ACK = 2;

describe('tracesRecorded (X-Ray default sampling)', () => {
  it('traces every invocation under the reservoir, then 5% of the rest', () => {
    const rule = ASSUMPTIONS.xraySampling;
    expect(tracesRecorded(500, 1000, rule)).toBe(500);
    expect(tracesRecorded(21_000, 1000, rule)).toBeCloseTo(1000 + 20_000 * 0.05, 9);
  });
});

describe('iotMessagingUsd', () => {
  it('applies the volume tiers', () => {
    expect(iotMessagingUsd(1e6)).toBeCloseTo(1.0, 10);
    expect(iotMessagingUsd(2e9)).toBeCloseTo(1000 * 1.0 + 1000 * 0.8, 6);
    expect(iotMessagingUsd(6e9)).toBeCloseTo(1000 * 1.0 + 4000 * 0.8 + 1000 * 0.7, 6);
  });
});

describe('10 towers × 8 sensors every 60 s, on-demand, 1 alert/tower/day, 30 days', () => {
  const c = estimateMonthlyCost({ towers: 10, sensorsPerTower: 8, intervalMs: 60_000 });
  const alerts = (10 * 730) / 24; // 304.1667
  // One batch per tower per minute (8 readings, 120 + 8×15 = 240 bytes), one status per minute.
  const batches = (10 * SECONDS) / 60; // 438,000
  const statuses = (10 * SECONDS) / 60; // 438,000
  const messages = batches + statuses + alerts;
  // A batch a minute is further apart than the acknowledgement interval: one acknowledgement per batch.
  const acks = Math.min(batches, 10 * ACK_INTERVALS);
  const ackMessages = acks * MESSAGES_PER_ACK;

  it('counts readings and messages', () => {
    expect(c.readingsPerMonth).toBeCloseTo((10 * 8 * SECONDS) / 60, 6); // 3,504,000
    expect(c.towerwatch.usage.iotMessagesPerMonth).toBeCloseTo(876_304.1667 + ackMessages, 3);
    expect(c.towerwatch.usage.storedAcksPerMonth).toBeCloseTo(acks, 6);
    expect(c.tutorial.usage.iotMessagesPerMonth).toBeCloseTo(3_504_000 + alerts, 3);
  });

  it('prices towerwatch service by service', () => {
    const s = c.towerwatch.byService;
    const twinUpdates = (10 * SECONDS) / 300 + alerts; // one per 5 min per tower, plus one per alert
    const iot =
      messages * (1.0 / M) + // messaging
      ackMessages * (1.0 / M) + // stored acknowledgements: messaging only, no rule reads them
      10 * 43_800 * (0.08 / M) + // connection minutes
      2 * messages * (0.15 / M) + // rule triggered + action
      twinUpdates * 2 * 2 * (1.25 / M); // get + update of a 2 KB twin
    expect(s['IoT Core']).toBeCloseTo(iot, 9);

    const ingestGb = messages / 1024 ** 2; // every record < 1 KB, rounded up to 1 KB
    expect(s.Kinesis).toBeCloseTo(730 * 0.04 + ingestGb * 0.08 + 3 * ingestGb * 0.04, 9);

    // 0.33 records/s: each consumer is invoked once per record (4 shards polled each second).
    const lambda =
      3 * messages * (0.2 / M) +
      messages * (0.024 * 0.5 + 0.0205 * 0.25 + 0.0102 * 0.25) * 0.0000133334 +
      43_800 * (0.2 / M) +
      43_800 * 0.1 * 0.25 * 0.0000133334;
    expect(s.Lambda).toBeCloseTo(lambda, 9);

    const wru = batches * 2 + (10 * SECONDS) / 300 + alerts * 2; // item + LATEST per batch, twin, alert items
    const storageGb = (10 * 1440 * 30 * 340) / GB; // 1440 batch items/tower/day of 240 + 100 bytes
    expect(s.DynamoDB).toBeCloseTo(wru * (0.625 / M) + storageGb * 0.25 + storageGb * 0.2, 9);

    expect(s.SNS).toBeCloseTo(alerts * (0.5 / M) + alerts * (2.0 / 100_000), 12);
    expect(s.CloudWatch).toBeCloseTo(ASSUMPTIONS.alarms * 0.1 + 3.0, 9);
    expect(s.KMS).toBeCloseTo(1.0, 9);
    // The 1/s reservoir traces one invocation in each second of the 730 h month, then 5% of the rest.
    const invocations = 3 * messages + 43_800;
    const traces = 730 * 3600 + (invocations - 730 * 3600) * 0.05;
    expect(s['X-Ray']).toBeCloseTo(traces * (5.0 / M), 9);
    expect(c.towerwatch.monthlyUsd).toBeCloseTo(
      iot + s.Kinesis! + lambda + s.DynamoDB! + s.SNS! + s['X-Ray']! + ASSUMPTIONS.alarms * 0.1 + 3 + 1,
      9,
    );
  });

  it('prices the one-message-per-reading design service by service', () => {
    const s = c.tutorial.byService;
    const msgs = 3_504_000 + alerts;
    expect(s['IoT Core']).toBeCloseTo(msgs * (1.0 / M) + 438_000 * (0.08 / M) + 2 * msgs * (0.15 / M), 9);
    const ingestGb = msgs / 1024 ** 2;
    expect(s.Kinesis).toBeCloseTo(29.2 + ingestGb * 0.08 + ingestGb * 0.04, 9);
    // 1.33 records/s: one invocation per record, 20 + 5 ms at 128 MB.
    expect(s.Lambda).toBeCloseTo(msgs * (0.2 / M) + msgs * 0.025 * 0.125 * 0.0000133334, 9);
    const storageGb = ((3_504_000 / SECONDS) * 86_400 * 30 * 350) / GB;
    expect(s.DynamoDB).toBeCloseTo((3_504_000 + alerts) * (0.625 / M) + storageGb * 0.25, 9);
    expect(s.CloudWatch).toBeCloseTo(0.1, 9);
    expect(c.ratio).toBeCloseTo(c.tutorial.monthlyUsd / c.towerwatch.monthlyUsd, 12);
  });

  it('uses the prices of the table', () => {
    const doubled = Object.fromEntries(
      Object.entries(P).map(([k, v]) => [k, { ...v, usd: v.usd * 2 }]),
    ) as unknown as typeof P;
    const c2 = estimateMonthlyCost({ towers: 10, sensorsPerTower: 8, intervalMs: 60_000 }, doubled);
    expect(c2.towerwatch.monthlyUsd).toBeCloseTo(2 * c.towerwatch.monthlyUsd, 9);
    expect(c2.tutorial.monthlyUsd).toBeCloseTo(2 * c.tutorial.monthlyUsd, 9);
  });
});

describe('fast sampling fills whole billing units', () => {
  it('splits a 10 s window of 1,000 sensors at 1 Hz into 31 batches of ≤ 333 readings', () => {
    const c = estimateMonthlyCost({
      towers: 1,
      sensorsPerTower: 1000,
      intervalMs: 1000,
      alertsPerTowerPerDay: 0,
    });
    // flush every 10 s: 10,000 readings, floor((5120 − 120) / 15) = 333 per batch → 31 batches
    const batches = (31 * SECONDS) / 10;
    const statuses = SECONDS / 60;
    // 3.1 batches/s per tower: the writer's interval, not the batches, bounds the acknowledgements.
    const acks = ACK_INTERVALS;
    expect(acks).toBeLessThan(batches);
    expect(c.towerwatch.usage.storedAcksPerMonth).toBeCloseTo(acks, 6);
    expect(c.towerwatch.usage.iotMessagesPerMonth).toBeCloseTo(
      batches + statuses + acks * MESSAGES_PER_ACK,
      3,
    );
    expect(c.tutorial.usage.iotMessagesPerMonth).toBeCloseTo(1000 * SECONDS, 3);
    // 10,000 / 31 = 322.58 readings per batch → 120 + 4838.7 bytes, still one 5 KB unit each
    const batchBytes = 120 + (10_000 / 31) * 15;
    expect(batchBytes).toBeLessThanOrEqual(5120);
    const itemKb = Math.ceil((batchBytes + 100) / 1024); // 5 WRU per batch item
    expect(c.towerwatch.usage.dynamoWriteUnitsPerMonth).toBeCloseTo(
      batches * (itemKb + 1) + SECONDS / 300,
      3,
    );
  });
});

describe('stored acknowledgements', () => {
  const item = (c: ReturnType<typeof estimateMonthlyCost>) =>
    c.towerwatch.items.find((i) => i.service === 'IoT Core' && i.item === STORED_ACK_ITEM)!;

  it('prices one acknowledgement per batch, or one per interval when batches come faster', () => {
    expect(ASSUMPTIONS.storedAck.intervalMs).toBe(STORED_ACK.minIntervalMs);
    expect(ASSUMPTIONS.storedAck.messagesPerAck).toBe(MESSAGES_PER_ACK);
    expect(ASSUMPTIONS.storedAck.bytes).toBeLessThanOrEqual(5 * 1024);
    for (const intervalMs of [1000, STORED_ACK.minIntervalMs, 60_000, 300_000]) {
      const c = estimateMonthlyCost({ towers: 7, sensorsPerTower: 3, intervalMs, alertsPerTowerPerDay: 0 });
      // 3 sensors: one batch per flush, sealed every max(interval, the 10 s batch age).
      const batchesPerTower = (SECONDS * 1000) / Math.max(intervalMs, ASSUMPTIONS.batchMaxAgeMs);
      const acks = 7 * Math.min(batchesPerTower, ACK_INTERVALS);
      expect(c.towerwatch.usage.storedAcksPerMonth, `${intervalMs} ms`).toBeCloseTo(acks, 6);
      expect(item(c).quantity).toBeCloseTo(acks * MESSAGES_PER_ACK, 6);
      expect(item(c).usd).toBeCloseTo(acks * MESSAGES_PER_ACK * (P.iotMessagingFirstBillion.usd / M), 9);
    }
  });

  it('are priced at the messaging tier the device messages leave off at', () => {
    // 400 towers × 1,000 sensors at 1 Hz: 31 batches per 10 s per tower, about 3.3 billion device
    // messages, so the acknowledgements fall in the second tier.
    const c = estimateMonthlyCost({ towers: 400, sensorsPerTower: 1000, intervalMs: 1000 });
    const device = c.towerwatch.usage.iotMessagesPerMonth - item(c).quantity;
    expect(device).toBeGreaterThan(1e9);
    expect(device + item(c).quantity).toBeLessThan(5e9);
    expect(item(c).quantity).toBeCloseTo(400 * ACK_INTERVALS * MESSAGES_PER_ACK, 3);
    expect(item(c).usd).toBeCloseTo(item(c).quantity * (P.iotMessagingNextFourBillion.usd / M), 6);
    expect(item(c).usd).toBeCloseTo(iotMessagingUsd(device + item(c).quantity) - iotMessagingUsd(device), 6);
  });

  it('follow the throttle, not a fixed figure', () => {
    expect(storedAcksPerTowerPerMonth(1, SECONDS)).toBeCloseTo(ACK_INTERVALS, 9);
    expect(storedAcksPerTowerPerMonth(1 / 60, SECONDS)).toBeCloseTo(SECONDS / 60, 9);
    expect(
      storedAcksPerTowerPerMonth(1, SECONDS, { storedAck: { intervalMs: 2 * STORED_ACK.minIntervalMs } }),
    ).toBeCloseTo(ACK_INTERVALS / 2, 9);
  });
});

describe('provisioned stream', () => {
  it('prices shard-hours and PUT payload units instead of on-demand GB', () => {
    const c = estimateMonthlyCost({
      towers: 10,
      sensorsPerTower: 8,
      intervalMs: 60_000,
      kinesis: { mode: 'provisioned', shards: 2 },
    });
    const messages = (2 * 10 * SECONDS) / 60 + (10 * 730) / 24;
    expect(c.towerwatch.byService.Kinesis).toBeCloseTo(2 * 730 * 0.015 + messages * (0.014 / M), 9);
  });
});

describe('towerwatch cost (the command)', () => {
  let out: ReturnType<typeof vi.spyOn>;
  let err: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    out = vi.spyOn(console, 'log').mockImplementation(() => {});
    err = vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => vi.restoreAllMocks());

  it('parses intervals', () => {
    expect(parseInterval('60s')).toBe(60_000);
    expect(parseInterval('1m')).toBe(60_000);
    expect(parseInterval('500ms')).toBe(500);
    expect(parseInterval('2h')).toBe(7_200_000);
    expect(parseInterval('30')).toBe(30_000);
    expect(() => parseInterval('soon')).toThrow(/not a duration/);
  });

  it('prints the comparison as JSON with --json', async () => {
    expect(await main(['--towers', '10', '--sensors', '8', '--interval', '60s', '--json'])).toBe(0);
    const doc = JSON.parse(String(out.mock.calls[0]![0]));
    expect(doc.pricesAsOf).toBe(PRICES_AS_OF);
    expect(doc.fleet).toMatchObject({ towers: 10, sensorsPerTower: 8, intervalMs: 60_000 });
    expect(doc.towerwatch.monthlyUsd).toBeCloseTo(
      estimateMonthlyCost({ towers: 10, sensorsPerTower: 8, intervalMs: 60_000 }).towerwatch.monthlyUsd,
      9,
    );
  });

  it('prints a table naming the price date', async () => {
    expect(await main(['--towers', '1000', '--sensors', '20', '--interval', '60s'])).toBe(0);
    const text = out.mock.calls.flat().join('\n');
    expect(text).toContain(`as of ${PRICES_AS_OF}`);
    expect(text).toMatch(/total \/ month/);
    const acks = estimateMonthlyCost({ towers: 1000, sensorsPerTower: 20, intervalMs: 60_000 }).towerwatch
      .usage.storedAcksPerMonth;
    expect(acks).toBeCloseTo(Math.min((1000 * SECONDS) / 60, 1000 * ACK_INTERVALS), 6);
    expect(text).toContain(`for ${Math.round(acks).toLocaleString('en-US')} stored acknowledgements`);
    expect(text).toMatch(/stored acknowledgements +[\d,]+ +0/);
  });

  it('exits 2 with one line for bad options', async () => {
    for (const argv of [['--towers', '0'], ['--interval', 'soon'], ['--sensors', 'x'], ['--frob']]) {
      err.mockClear();
      expect(await main(argv)).toBe(2);
      expect(err.mock.calls).toHaveLength(1);
      expect(String(err.mock.calls[0]![0])).not.toContain('\n');
    }
  });
});
