import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ruleOutputOf } from '../../cloud/functions/shared/records.js';
import type { KinesisRecord } from '../../local/iot/index.js';
import {
  decodeStatus,
  decodeTelemetry,
  MIN_CONFIRM_TIMEOUT_MS,
  type Status,
  storedAckTopic,
} from '../../protocol/index.js';
import { duplicates, startTestStack, storedReadings, type TestStack, waitUntil } from './support/stack.js';

const LOSSY_TOWER = 'tower-001';
/** 1-based positions, among the lossy tower's telemetry records, that the "spooler" loses after PUBACK. */
const DROP_FROM = 4;
const DROP_TO = 8;

/**
 * The rules engine's view of everything the towers delivered: every record passes `dropRecord`,
 * which loses the 4th–8th telemetry records of one tower after the broker's PUBACK, as a lossy
 * spooler or rule would. Readings are keyed `(towerId, seq, index)`.
 */
class LossySpooler {
  readonly produced = new Map<string, Set<string>>();
  readonly droppedSeqs = new Set<number>();
  readonly statuses: { towerId: string; status: Status }[] = [];
  private telemetryRecords = 0;

  readonly drop = (record: KinesisRecord): boolean => {
    const output = ruleOutputOf(JSON.parse(Buffer.from(record.data).toString('utf8')));
    if (output.messageType === 'status') {
      this.statuses.push({ towerId: output.towerId, status: decodeStatus(output.payload, true) });
      return false;
    }
    if (output.messageType !== 'telemetry') return false;
    const batches = decodeTelemetry(output.payload, true);
    const keys = this.produced.get(output.towerId) ?? new Set<string>();
    this.produced.set(output.towerId, keys);
    for (const b of batches)
      for (let i = 0; i < b.readings.length; i++) keys.add(`${b.towerId}#${b.seq}#${i}`);
    if (output.towerId !== LOSSY_TOWER) return false;
    const position = ++this.telemetryRecords;
    if (position < DROP_FROM || position > DROP_TO) return false;
    for (const b of batches) this.droppedSeqs.add(b.seq);
    return true;
  };

  get lossyRecords(): number {
    return this.telemetryRecords;
  }
}

describe('e2e: stored acknowledgements recover telemetry lost after PUBACK', { timeout: 90_000 }, () => {
  let t: TestStack;
  const spooler = new LossySpooler();
  const acks: { towerId: string; at: number }[] = [];

  beforeAll(async () => {
    t = await startTestStack({
      // The shortest wait the edge accepts: the cloud acknowledges at most every 10 s.
      confirmTimeoutMs: MIN_CONFIRM_TIMEOUT_MS,
      // Short batches: the dropped records are sealed and PUBACK'd within the first seconds.
      batchMaxAgeMs: 250,
      dropRecord: spooler.drop,
    });
    t.stack.iot.on('publish', (e) => {
      for (const towerId of t.stack.fleet.ids)
        if (e.topic === storedAckTopic(towerId)) acks.push({ towerId, at: Date.now() });
    });
  });
  afterAll(async () => t?.stop());

  it('stores every reading exactly once after the lost records are sent again, and nothing stays unconfirmed', async () => {
    const { stack } = t;
    await waitUntil(
      'the lossy tower to deliver past the dropped records',
      () => spooler.lossyRecords > DROP_TO + 1,
    );
    await Promise.all(stack.fleet.running().map((h) => h.monitor.stop()));
    expect(spooler.droppedSeqs.size).toBeGreaterThanOrEqual(DROP_TO - DROP_FROM + 1);

    // The dropped batches wait out the confirmation timeout, are sent again and acknowledged; the
    // last batches before the towers went quiet are acknowledged after the nudge.
    await waitUntil(
      'every tower to have its buffer delivered and confirmed stored',
      () =>
        stack.fleet
          .running()
          .every(
            (h) => h.stats().buffer.depthMessages === 0 && h.delivery.stats().unconfirmed.depthMessages === 0,
          ),
      60_000,
      200,
    );
    await stack.iot.drain();

    for (const tower of stack.fleet.running()) {
      const readings = await storedReadings(stack, tower.towerId);
      const stored = readings.map((r) => `${r.towerId}#${r.seq}#${r.index}`);
      const produced = spooler.produced.get(tower.towerId) ?? new Set<string>();
      // Nothing lost: every reading the tower delivered (the dropped ones included) is in DynamoDB...
      expect(
        [...produced].filter((k) => !stored.includes(k)),
        `${tower.towerId} lost`,
      ).toEqual([]);
      // ...and nothing doubled: each (towerId, seq, index) and each sensor@time once.
      expect(stored.length, `${tower.towerId} doubled`).toBe(new Set(stored).size);
      expect(duplicates(readings)).toEqual([]);
      expect(new Set(stored)).toEqual(produced);
      expect(readings.length).toBe(tower.monitor.stats().readings);
    }
    const lossy = stack.fleet.get(LOSSY_TOWER)!;
    const stored = new Set((await storedReadings(stack, LOSSY_TOWER)).map((r) => r.seq));
    expect([...spooler.droppedSeqs].filter((s) => !stored.has(s))).toEqual([]);
    const unconfirmed = lossy.delivery.stats().unconfirmed;
    expect(unconfirmed.resentAfterTimeout).toBeGreaterThanOrEqual(spooler.droppedSeqs.size);
    expect(unconfirmed).toMatchObject({ depthMessages: 0, oldestDeliveredAt: null });
    expect(acks.some((a) => a.towerId === LOSSY_TOWER)).toBe(true);

    // What the tower reports: a status after a reconnect shows nothing buffered, nothing unconfirmed.
    const confirmedAt = Date.now();
    expect(stack.iot.disconnectClient(LOSSY_TOWER)).toBe(true);
    await waitUntil('a status from the reconnected tower', () =>
      spooler.statuses.some((s) => s.towerId === LOSSY_TOWER && s.status.time >= confirmedAt),
    );
    const status = spooler.statuses.find((s) => s.towerId === LOSSY_TOWER && s.status.time >= confirmedAt)!;
    expect(status.status.buffer.depthMessages).toBe(0);
    expect(status.status.unconfirmed).toMatchObject({ depthMessages: 0, oldestAgeMs: null });
    expect(status.status.unconfirmed!.resentAfterTimeout).toBeGreaterThanOrEqual(spooler.droppedSeqs.size);
  });
});
