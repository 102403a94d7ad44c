import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addSeqs,
  decodeTelemetry,
  type SeqRange,
  STORED_ACK,
  StatusSchema,
  storedAckTopic,
  type TelemetryBatch,
} from '../../../protocol/index.js';
import { DurableBuffer } from '../../../edge/src/buffer/index.js';
import { StatusReporter } from '../../../edge/src/component/index.js';
import { Delivery, type Scheduler } from '../../../edge/src/delivery/index.js';
import { MemoryTransport, type PublishedMessage } from '../../../edge/src/transport/index.js';
import { makeBatch, tempDir, waitFor } from '../buffer/helpers.js';

const TOWER = 'tower-sa1';
const TIMEOUT_MS = 60_000;
const LIMITS = {
  maxInflight: 100,
  maxPublishesPerSecond: 100,
  maxBytesPerSecond: 512 * 1024,
  drainMaxBytes: 32 * 1024,
};
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Time moves only when the test says so; a sleep ends when time reaches it or delivery is woken. */
function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  let sleepers: { at: number; resolve: () => void }[] = [];
  const scheduler: Scheduler = {
    now: () => now,
    sleep: (ms, wake) =>
      new Promise<void>((resolve) => {
        sleepers.push({ at: now + ms, resolve });
        wake?.addEventListener('abort', () => resolve(), { once: true });
      }),
  };
  return {
    scheduler,
    advance(ms: number) {
      now += ms;
      const ready = sleepers.filter((s) => s.at <= now);
      sleepers = sleepers.filter((s) => s.at > now);
      for (const s of ready) s.resolve();
    },
  };
}

interface Setup {
  dir: string;
  transport: MemoryTransport;
  scheduler: Scheduler;
  segmentBytes?: number;
  limits?: Partial<typeof LIMITS>;
}

async function open({ dir, transport, scheduler, segmentBytes, limits }: Setup) {
  const buffer = await DurableBuffer.open({
    dir,
    maxBytes: 64 * 1024 * 1024,
    fsyncWindowMs: 2,
    ...(segmentBytes && { segmentBytes }),
  });
  const delivery = new Delivery({
    towerId: TOWER,
    buffer,
    transport,
    scheduler,
    confirmTimeoutMs: TIMEOUT_MS,
    ...LIMITS,
    ...limits,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await delivery.stop();
    await transport.close();
    await buffer.close();
  };
  cleanups.push(close);
  return { buffer, delivery, close };
}

function stateDir() {
  const t = tempDir('stored-ack');
  cleanups.push(t.cleanup);
  return t.dir;
}

function seqsOf(published: readonly PublishedMessage[]): number[] {
  return published.flatMap((m) => decodeTelemetry(m.payload).map((b) => b.seq));
}

function ackPayload(ranges: SeqRange[], towerId = TOWER): string {
  return JSON.stringify({ schema: 1, towerId, ranges, sentAt: Date.UTC(2026, 0, 1) });
}

async function store(buffer: DurableBuffer, n: number, readings = 40): Promise<TelemetryBatch[]> {
  const batches = Array.from({ length: n }, () => makeBatch(TOWER, buffer.seq, readings));
  for (const b of batches) await buffer.telemetry(b);
  return batches;
}

function segmentFiles(dir: string): string[] {
  return readdirSync(join(dir, 'telemetry')).filter((f) => f !== 'cursor.json');
}

describe('Delivery with stored acknowledgements', () => {
  it('keeps a PUBACKed batch no acknowledgement names, sends it again after confirmTimeoutMs and after a restart', async () => {
    const dir = stateDir();
    const clock = manualClock();
    const transport = new MemoryTransport();
    const first = await open({ dir, transport, scheduler: clock.scheduler });
    const batches = await store(first.buffer, 5);
    const seqs = batches.map((b) => b.seq);
    transport.start();
    first.delivery.start();
    await waitFor(() => first.delivery.stats().deliveredBatches === 5, 'the first delivery');
    expect(first.buffer.stats().telemetry.depthMessages).toBe(5);
    expect(first.delivery.stats().unconfirmed.depthMessages).toBe(5);

    // After a quiet spell past the cloud's acknowledgement interval the newest goes once more.
    clock.advance(STORED_ACK.minIntervalMs + 3000);
    await waitFor(() => first.delivery.stats().unconfirmed.nudges === 1, 'the nudge');
    expect(seqsOf(transport.published)).toEqual([...seqs, seqs[4]]);

    // Short of the timeout nothing else goes again: a batch stored now is sent alone.
    clock.advance(TIMEOUT_MS - STORED_ACK.minIntervalMs - 4000);
    const [late] = await store(first.buffer, 1);
    await waitFor(() => seqsOf(transport.published).includes(late!.seq), 'the late batch');
    expect(seqsOf(transport.published)).toEqual([...seqs, seqs[4], late!.seq]);

    // The timeout runs from each batch's last PUBACK: the nudged one and the late one are not due yet.
    clock.advance(2000);
    await waitFor(() => seqsOf(transport.published).length === 11, 'the re-send after the timeout');
    expect(seqsOf(transport.published).slice(7)).toEqual(seqs.slice(0, 4));
    expect(first.delivery.stats().unconfirmed.resentAfterTimeout).toBe(4);
    expect(first.buffer.stats().telemetry.depthMessages).toBe(6);
    await first.close();

    const again = new MemoryTransport();
    const second = await open({ dir, transport: again, scheduler: clock.scheduler });
    expect(second.buffer.stats().telemetry.depthMessages).toBe(6);
    again.start();
    second.delivery.start();
    await waitFor(() => second.delivery.stats().deliveredBatches === 6, 'the delivery after the restart');
    expect(seqsOf(again.published)).toEqual([...seqs, late!.seq]);

    again.inject(storedAckTopic(TOWER), ackPayload([[seqs[0]!, late!.seq]]));
    await waitFor(() => second.buffer.stats().telemetry.depthMessages === 0, 'the acknowledgement');
    expect(second.delivery.stats().unconfirmed).toMatchObject({ depthMessages: 0, oldestDeliveredAt: null });
  });

  it('lets segments go only when a stored acknowledgement names their batches', async () => {
    const dir = stateDir();
    const clock = manualClock();
    const transport = new MemoryTransport();
    const { buffer, delivery } = await open({
      dir,
      transport,
      scheduler: clock.scheduler,
      segmentBytes: 4096,
      limits: { drainMaxBytes: 2048 },
    });
    const batches = await store(buffer, 30);
    const seqs = batches.map((b) => b.seq);
    transport.start();
    delivery.start();
    await waitFor(() => delivery.stats().deliveredBatches === 30, 'delivery');
    const before = segmentFiles(dir).length;
    expect(before).toBeGreaterThan(3);

    transport.inject(storedAckTopic(TOWER), ackPayload([[seqs[0]!, seqs[14]!]]));
    await waitFor(() => buffer.stats().telemetry.depthMessages === 15, 'the first half confirmed');
    expect(segmentFiles(dir).length).toBeLessThan(before);
    expect(buffer.stats().telemetry.oldestAppendedAt).not.toBeNull();

    transport.inject(storedAckTopic(TOWER), ackPayload([[seqs[0]!, seqs[29]!]]));
    await waitFor(() => buffer.stats().telemetry.depthMessages === 0, 'all confirmed');
    // Only the segment being written is left.
    expect(segmentFiles(dir)).toHaveLength(1);
    expect(delivery.stats().storedAcks).toBe(2);
  });

  it('acknowledges a batch the cloud confirms before its PUBACK arrives', async () => {
    const dir = stateDir();
    const clock = manualClock();
    let transport: MemoryTransport;
    transport = new MemoryTransport({
      onPublish: (m) => {
        const ranges = addSeqs(
          [],
          decodeTelemetry(m.payload).map((b) => b.seq),
        );
        transport.inject(storedAckTopic(TOWER), ackPayload(ranges));
      },
    });
    const { buffer, delivery } = await open({ dir, transport, scheduler: clock.scheduler });
    await store(buffer, 8);
    transport.start();
    delivery.start();
    await waitFor(() => buffer.stats().telemetry.depthMessages === 0, 'the confirmations');
    expect(delivery.stats().unconfirmed.depthMessages).toBe(0);
  });

  it('sends again exactly the batches a lossy broker PUBACKed and dropped, until every seq is stored', async () => {
    const dir = stateDir();
    const clock = manualClock();
    let stored: SeqRange[] = [];
    const storedCounts = new Map<number, number>();
    let publishes = 0;
    const dropped: number[] = [];
    let transport: MemoryTransport;
    // The cloud: PUBACKs everything, loses the 3rd to 5th publish after acknowledging it (a spooler
    // that lost its memory), stores the rest and acknowledges what it stored.
    transport = new MemoryTransport({
      onPublish: (m) => {
        const seqs = decodeTelemetry(m.payload).map((b) => b.seq);
        publishes++;
        if (publishes >= 3 && publishes <= 5) {
          dropped.push(...seqs);
          return;
        }
        for (const s of seqs) storedCounts.set(s, (storedCounts.get(s) ?? 0) + 1);
        stored = addSeqs(stored, seqs);
        setImmediate(() => transport.inject(storedAckTopic(TOWER), ackPayload(stored)));
      },
    });
    const { buffer, delivery } = await open({
      dir,
      transport,
      scheduler: clock.scheduler,
      limits: { drainMaxBytes: 1024, maxInflight: 1 },
    });
    const batches = await store(buffer, 20);
    transport.start();
    delivery.start();
    await waitFor(() => delivery.stats().deliveredBatches === 20, 'the first delivery');
    expect(dropped.length).toBeGreaterThan(0);
    await waitFor(
      () => delivery.stats().unconfirmed.depthMessages === dropped.length,
      'everything but the dropped batches confirmed',
    );
    // The lane keeps everything from the first dropped batch on until it is confirmed.
    expect(buffer.stats().telemetry.depthMessages).toBeGreaterThanOrEqual(dropped.length);

    clock.advance(TIMEOUT_MS + 1);
    await waitFor(() => buffer.stats().telemetry.depthMessages === 0, 'the re-sent batches confirmed');
    expect([...storedCounts.keys()].sort((a, b) => a - b)).toEqual(batches.map((b) => b.seq));
    expect(delivery.stats().unconfirmed.resentAfterTimeout).toBe(dropped.length);
    for (const [, count] of storedCounts) expect(count).toBe(1);
  });

  it('does not send PUBACKed batches again on a reconnect, only what was not PUBACKed', async () => {
    const dir = stateDir();
    const clock = manualClock();
    const transport = new MemoryTransport();
    const { buffer, delivery } = await open({ dir, transport, scheduler: clock.scheduler });
    const batches = await store(buffer, 4);
    transport.start();
    delivery.start();
    await waitFor(() => delivery.stats().deliveredBatches === 4, 'delivery');
    transport.setLink(false);
    const during = await store(buffer, 2);
    transport.setLink(true);
    await waitFor(() => delivery.stats().deliveredBatches === 6, 'delivery after the reconnect');
    expect(seqsOf(transport.published)).toEqual([...batches, ...during].map((b) => b.seq));
    expect(delivery.stats().unconfirmed.depthMessages).toBe(6);
  });

  it('counts and ignores a malformed acknowledgement and one for another tower', async () => {
    const dir = stateDir();
    const clock = manualClock();
    const transport = new MemoryTransport();
    const { buffer, delivery } = await open({ dir, transport, scheduler: clock.scheduler });
    const batches = await store(buffer, 3);
    const all: SeqRange[] = [[batches[0]!.seq, batches[2]!.seq]];
    transport.start();
    delivery.start();
    await waitFor(() => delivery.stats().deliveredBatches === 3, 'delivery');
    const topic = storedAckTopic(TOWER);
    transport.inject(topic, 'not json');
    transport.inject(topic, ackPayload(all, 'tower-other'));
    transport.inject(topic, JSON.stringify({ schema: 1, towerId: TOWER, ranges: [[5, 2]], sentAt: 1 }));
    expect(delivery.stats()).toMatchObject({ rejectedStoredAcks: 3, storedAcks: 0 });
    expect(delivery.stats().lastRejectedStoredAck).toContain('ranges');
    expect(buffer.stats().telemetry.depthMessages).toBe(3);
    transport.inject(topic, ackPayload(all));
    await waitFor(() => buffer.stats().telemetry.depthMessages === 0, 'the good acknowledgement');
  });
});

describe('Delivery with a cloud that throttles its acknowledgements', () => {
  it('a tower gone quiet sends its newest unconfirmed batch once more after the ack interval, and the ack that follows confirms the rest', async () => {
    const dir = stateDir();
    const clock = manualClock();
    let stored: SeqRange[] = [];
    let lastAckAt = Number.NEGATIVE_INFINITY;
    let transport: MemoryTransport;
    // The cloud stores everything and acknowledges at most once per STORED_ACK.minIntervalMs.
    transport = new MemoryTransport({
      onPublish: (m) => {
        stored = addSeqs(
          stored,
          decodeTelemetry(m.payload).map((b) => b.seq),
        );
        const now = clock.scheduler.now();
        if (now - lastAckAt < STORED_ACK.minIntervalMs) return;
        lastAckAt = now;
        setImmediate(() => transport.inject(storedAckTopic(TOWER), ackPayload(stored)));
      },
    });
    const { buffer, delivery } = await open({ dir, transport, scheduler: clock.scheduler });
    transport.start();
    delivery.start();
    const [first] = await store(buffer, 1);
    await waitFor(() => buffer.stats().telemetry.depthMessages === 0, 'the first acknowledgement');
    clock.advance(3000);
    const quiet = await store(buffer, 2);
    await waitFor(() => delivery.stats().unconfirmed.depthMessages === 2, 'the throttled batches');

    clock.advance(STORED_ACK.minIntervalMs + 2000);
    await waitFor(() => buffer.stats().telemetry.depthMessages === 0, 'the acknowledgement after the nudge');
    expect(seqsOf(transport.published)).toEqual([first!.seq, ...quiet.map((b) => b.seq), quiet[1]!.seq]);
    expect(delivery.stats().unconfirmed.resentAfterTimeout).toBe(0);
  });
});

describe('status of unconfirmed telemetry', () => {
  it('reports the unconfirmed depth, the age of the oldest and the re-sends after timeout', async () => {
    const dir = stateDir();
    const clock = manualClock();
    const transport = new MemoryTransport();
    const { buffer, delivery } = await open({ dir, transport, scheduler: clock.scheduler });
    const status = new StatusReporter({
      towerId: TOWER,
      buffer,
      delivery,
      transport,
      monitor: () => undefined,
      clock: clock.scheduler,
    });
    const batches = await store(buffer, 3);
    transport.start();
    delivery.start();
    expect(status.snapshot().unconfirmed).toEqual({
      depthMessages: 0,
      oldestAgeMs: null,
      resentAfterTimeout: 0,
      nudges: 0,
    });
    await waitFor(() => delivery.stats().deliveredBatches === 3, 'delivery');
    clock.advance(TIMEOUT_MS + 500);
    await waitFor(() => delivery.stats().deliveredBatches === 6, 'the re-send');
    const snapshot = StatusSchema.parse(status.snapshot());
    expect(snapshot.unconfirmed).toEqual({
      depthMessages: 3,
      oldestAgeMs: TIMEOUT_MS + 500,
      resentAfterTimeout: 3,
      nudges: 0,
    });
    transport.inject(storedAckTopic(TOWER), ackPayload([[batches[0]!.seq, batches[2]!.seq]]));
    expect(status.snapshot().unconfirmed).toMatchObject({ depthMessages: 0, oldestAgeMs: null });
  });
});

describe('Delivery with stored acknowledgements and the disk budget', () => {
  it('forgets unconfirmed batches the budget dropped, and sends again only those still on disk', async () => {
    const dir = stateDir();
    const clock = manualClock();
    const transport = new MemoryTransport();
    const buffer = await DurableBuffer.open({
      dir,
      maxBytes: 16 * 1024,
      fsyncWindowMs: 2,
      segmentBytes: 4096,
    });
    const delivery = new Delivery({
      towerId: TOWER,
      buffer,
      transport,
      scheduler: clock.scheduler,
      confirmTimeoutMs: TIMEOUT_MS,
      ...LIMITS,
      drainMaxBytes: 2048,
    });
    cleanups.push(async () => {
      await delivery.stop();
      await transport.close();
      await buffer.close();
    });
    transport.start();
    delivery.start();
    const batches = await store(buffer, 40);
    await waitFor(() => delivery.stats().deliveredBatches === 40, 'delivery');
    expect(buffer.stats().droppedMessages).toBeGreaterThan(0);
    const onDisk = buffer.stats().telemetry.depthMessages;
    expect(delivery.stats().unconfirmed.depthMessages).toBe(40);

    const mark = transport.published.length;
    clock.advance(TIMEOUT_MS + 1);
    await waitFor(() => delivery.stats().unconfirmed.resentAfterTimeout === onDisk, 'the re-send');
    expect(seqsOf(transport.published.slice(mark))).toEqual(batches.slice(-onDisk).map((b) => b.seq));
    expect(delivery.stats().unconfirmed.depthMessages).toBe(onDisk);
  });
});
