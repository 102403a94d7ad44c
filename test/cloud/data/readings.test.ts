import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main, parseTime } from '../../../cloud/cli/readings.js';
import {
  batchToItems,
  isClockDrifted,
  mergeLatest,
  queryReadings,
  QueryRangeError,
} from '../../../cloud/data/index.js';
import { writeTelemetry } from '../../../cloud/functions/telemetry-writer/core.js';
import { type LocalAws, startLocalAws } from '../../../local/aws/index.js';
import { counterMetrics } from '../../../local/aws/metrics.js';
import { batch, kinesisRecord, ruleOutput, silentLog, T0 } from '../functions/fixtures.js';

const TABLE = 'readings-cli';
let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
  await aws.createResources({ streamName: 'unused', shardCount: 1, tableName: TABLE });
  const records = [0, 1, 2].map((i) => {
    const b = batch('t1', i, T0 + i * 60_000, ['temp-cabinet', 'door.main'], 30, 2_000);
    return kinesisRecord(ruleOutput(b, 'telemetry', 't1', b.sentAt + 100));
  });
  const out = await writeTelemetry(records, {
    tableName: TABLE,
    retentionDays: 1,
    doc: aws.clients.doc,
    clock: { now: () => T0 },
    metrics: counterMetrics(),
    log: silentLog,
  });
  expect(out.failures.size).toBe(0);
});
afterAll(async () => {
  await aws.stop();
});

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  const error = vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('query module', () => {
  it('reads a range across items, in time order, each reading once', async () => {
    const readings = await queryReadings(aws.clients.doc, TABLE, {
      towerId: 't1',
      from: T0 + 50_000,
      to: T0 + 70_000,
    });
    expect(readings.map((r) => [r.seq, r.time - T0])).toEqual(
      [50, 52, 54, 56, 58, 60, 62, 64, 66, 68, 70].flatMap((s) => [
        [s < 60 ? 0 : 1, s * 1000],
        [s < 60 ? 0 : 1, s * 1000],
      ]),
    );
  });

  it('refuses a reversed or too long range with a clear error', async () => {
    await expect(
      queryReadings(aws.clients.doc, TABLE, { towerId: 't1', from: T0, to: T0 - 1 }),
    ).rejects.toThrow(QueryRangeError);
    await expect(
      queryReadings(aws.clients.doc, TABLE, { towerId: 't1', from: T0, to: T0 + 400 * 86_400_000 }),
    ).rejects.toThrow(/at most 366/);
  });

  it('item keys come from device data only: a late redelivery or a drifted clock keys the same items', () => {
    const keys = (items: { pk: string; sk: string }[]) => items.map((i) => `${i.pk} ${i.sk}`);
    const midnight = Date.UTC(2026, 10, 24);
    const b = batch('t1', 7, midnight - 2_000, ['s', 'u'], 4);
    const at = (receivedAt: number, sentAt = b.sentAt) =>
      batchToItems(b, { receivedAt, sentAt, retentionDays: 1 });
    const first = at(b.sentAt + 200);
    expect(first).toHaveLength(2);
    // Redelivered 20 min later (the edge restarted): the stored batch keeps its send time.
    expect(keys(at(b.sentAt + 20 * 60_000))).toEqual(keys(first));
    // A device clock 3 days behind, received twice 20 min apart: still the device's keys.
    const late = b.sentAt + 3 * 86_400_000;
    const drifted = at(late);
    expect(drifted.every((i) => i.drift)).toBe(true);
    expect(keys(drifted)).toEqual(keys(first));
    expect(keys(at(late + 20 * 60_000))).toEqual(keys(first));
  });

  it('item layout helpers: one item per day, drift only for a clock that is off', () => {
    const b = batch('t1', 1, T0, ['s'], 3);
    expect(batchToItems(b, { receivedAt: b.sentAt, sentAt: b.sentAt, retentionDays: 1 })).toHaveLength(1);
    expect(isClockDrifted(b, { receivedAt: b.sentAt + 14 * 60_000, sentAt: b.sentAt })).toBe(false);
    expect(isClockDrifted(b, { receivedAt: b.sentAt + 16 * 60_000, sentAt: b.sentAt })).toBe(true);
    // A backlog drained hours later is not drift: the send time is right, the readings are old.
    expect(isClockDrifted(b, { receivedAt: T0 + 5 * 3_600_000, sentAt: T0 + 5 * 3_600_000 - 100 })).toBe(
      false,
    );
    expect(mergeLatest({ a: { v: 1, t: 10 } }, { a: { v: 2, t: 5 } })).toBeNull();
    expect(mergeLatest({ a: { v: 1, t: 10 } }, { a: { v: 2, t: 11 }, b: { v: 3, t: 1 } })).toEqual({
      a: { v: 2, t: 11 },
      b: { v: 3, t: 1 },
    });
  });
});

describe('towerwatch readings', () => {
  const base = ['--endpoint', '', '--table', TABLE];
  const args = (...rest: string[]) => {
    base[1] = aws.dynamodbEndpoint;
    return [...rest, ...base];
  };

  it('prints the readings of a range and sensor', async () => {
    const from = new Date(T0 + 60_000).toISOString();
    const { code, out, err } = await run(
      args('t1', '--from', from, '--to', String(T0 + 64_000), '--sensor', 'door.main'),
    );
    expect(code).toBe(0);
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(new RegExp(`^${from}  door\\.main\\s+\\d+\\.?\\d*  1/1$`));
    expect(err).toEqual(['3 readings of t1']);
  });

  it('prints JSON lines with --json', async () => {
    const { code, out } = await run(args('t1', '--from', String(T0), '--to', String(T0 + 1_000), '--json'));
    expect(code).toBe(0);
    expect(out.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ towerId: 't1', seq: 0, index: 0, sensorId: 'temp-cabinet', time: T0 }),
      expect.objectContaining({ seq: 0, index: 1, sensorId: 'door.main' }),
    ]);
  });

  it('fails with one line and exit 2 on bad input', async () => {
    const bad = await run(args('t1', '--from', 'yesterday-ish'));
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual([
      expect.stringMatching(/^towerwatch readings: --from "yesterday-ish" is not a time: use ISO 8601/),
    ]);
    const reversed = await run(args('t1', '--from', String(T0), '--to', String(T0 - 1)));
    expect(reversed.err).toEqual([expect.stringMatching(/must not be before --from/)]);
    const badTower = await run(args('tower/1', '--from', String(T0)));
    expect(badTower.code).toBe(2);
    expect(badTower.err[0]).toMatch(/invalid towerId/);
    const noTable = await run([
      't1',
      '--from',
      String(T0),
      '--endpoint',
      aws.dynamodbEndpoint,
      '--table',
      'nope',
    ]);
    expect(noTable.code).toBe(2);
    expect(noTable.err[0]).toMatch(/check --table/);
    expect((await run(['--help'])).code).toBe(0);
    expect(parseTime('2026-11-23T12:00:00Z', '--from')).toBe(T0);
  });
});
