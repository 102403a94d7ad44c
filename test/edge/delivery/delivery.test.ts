import { afterEach, describe, expect, it } from 'vitest';
import { decodeAlert, decodeTelemetry, IOT } from '../../../protocol/index.js';
import { DurableBuffer } from '../../../edge/src/buffer/index.js';
import { Delivery, type Scheduler, SlidingWindowLimiter } from '../../../edge/src/delivery/index.js';
import {
  MemoryTransport,
  MqttTransport,
  mqttOptionsFromPaths,
  type Transport,
} from '../../../edge/src/transport/index.js';
import { makeAlert, makeBatch, tempDir, waitFor } from '../buffer/helpers.js';
import { issueTestIdentities, startTlsBroker } from '../transport/tls-broker.js';

const TOWER = 'tower-d1';
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

async function setup(transport: Transport, limits: Partial<typeof LIMITS> = {}, scheduler?: Scheduler) {
  const t = tempDir('delivery');
  cleanups.push(t.cleanup);
  const buffer = await DurableBuffer.open({ dir: t.dir, maxBytes: 64 * 1024 * 1024, fsyncWindowMs: 2 });
  const delivery = new Delivery({
    towerId: TOWER,
    buffer,
    transport,
    ...LIMITS,
    ...limits,
    ...(scheduler && { scheduler }),
  });
  cleanups.push(async () => {
    await delivery.stop();
    await transport.close();
    await buffer.close();
  });
  return { buffer, delivery };
}

describe('SlidingWindowLimiter', () => {
  it('never lets one second carry more than the limit, and lets an oversized cost through an empty window', () => {
    let now = 0;
    const limiter = new SlidingWindowLimiter(100, () => now);
    for (let i = 0; i < 100; i++) {
      expect(limiter.delayMs(1)).toBe(0);
      limiter.take(1);
      now += 1;
    }
    // The first take was at t=0: room again once it leaves the window at t=1000.
    expect(limiter.delayMs(1)).toBe(900);
    expect(limiter.delayMs(10)).toBe(909);
    now = 5000;
    expect(limiter.delayMs(500)).toBe(0);
    limiter.take(500);
    expect(limiter.delayMs(1)).toBe(1000);
  });
});

describe('Delivery', () => {
  it('bundles a backlog without changing any batch or its seq, and sends live batches alone', async () => {
    const transport = new MemoryTransport();
    const { buffer, delivery } = await setup(transport);
    const batches = Array.from({ length: 60 }, () => makeBatch(TOWER, buffer.seq, 100));
    await Promise.all(batches.map((b) => buffer.telemetry(b)));
    transport.start();
    delivery.start();
    await waitFor(() => delivery.stats().deliveredBatches === 60, 'the backlog');
    const backlog = transport.published.map((m) => decodeTelemetry(m.payload));
    expect(backlog.length).toBeLessThan(60);
    expect(backlog.flat()).toEqual(batches);
    for (const m of transport.published) expect(m.payload.length).toBeLessThanOrEqual(LIMITS.drainMaxBytes);

    const live = makeBatch(TOWER, buffer.seq, 100);
    await buffer.telemetry(live);
    await waitFor(() => delivery.stats().deliveredBatches === 61, 'the live batch');
    expect(JSON.parse(transport.published.at(-1)!.payload.toString())).toEqual(live);
    expect(buffer.stats().telemetry.depthMessages).toBe(0);
  });

  it('never has more than maxInflight publishes awaiting PUBACK', async () => {
    let open = 0;
    let peak = 0;
    const transport = new MemoryTransport({
      onPublish: async () => {
        open++;
        peak = Math.max(peak, open);
        await new Promise((r) => setTimeout(r, 5));
        open--;
      },
    });
    const { buffer, delivery } = await setup(transport, { maxInflight: 3, drainMaxBytes: 1024 });
    await Promise.all(Array.from({ length: 40 }, () => buffer.telemetry(makeBatch(TOWER, buffer.seq, 40))));
    transport.start();
    delivery.start();
    await waitFor(() => delivery.stats().deliveredBatches === 40, 'delivery');
    expect(peak).toBe(3);
  });

  it('keeps to the publish rate on an injected clock', async () => {
    let now = Date.UTC(2026, 0, 1);
    const scheduler: Scheduler = {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    };
    const sentAt: number[] = [];
    const transport = new MemoryTransport({ onPublish: () => void sentAt.push(now) });
    const { buffer, delivery } = await setup(
      transport,
      { maxPublishesPerSecond: 10, drainMaxBytes: 1024 },
      scheduler,
    );
    await Promise.all(Array.from({ length: 50 }, () => buffer.telemetry(makeBatch(TOWER, buffer.seq, 40))));
    transport.start();
    delivery.start();
    await waitFor(() => delivery.stats().deliveredBatches === 50, 'delivery');
    // Never more than 10 in any one-second span.
    for (let i = 10; i < sentAt.length; i++)
      expect(sentAt[i]! - sentAt[i - 10]!).toBeGreaterThanOrEqual(1000);
  });

  it('sends alerts ahead of a telemetry backlog', async () => {
    const transport = new MemoryTransport();
    const { buffer, delivery } = await setup(transport);
    await Promise.all(Array.from({ length: 30 }, () => buffer.telemetry(makeBatch(TOWER, buffer.seq, 50))));
    await Promise.all([1, 2, 3].map((n) => buffer.alert(makeAlert(TOWER, n))));
    transport.start();
    delivery.start();
    await waitFor(() => buffer.stats().telemetry.depthMessages === 0, 'delivery');
    expect(transport.published.slice(0, 3).map((m) => decodeAlert(m.payload).alertId)).toEqual([
      'alert-1',
      'alert-2',
      'alert-3',
    ]);
  });

  it('an alert stored while telemetry waits for the rate limit goes out in the headroom, ahead of it', async () => {
    // Time stands still: a sleep ends only when delivery is woken, so the throttle never lets telemetry on.
    const frozen: Scheduler = {
      now: () => Date.UTC(2026, 0, 1),
      sleep: (_ms, wake) => new Promise((resolve) => wake?.addEventListener('abort', () => resolve())),
    };
    const transport = new MemoryTransport();
    const { buffer, delivery } = await setup(
      transport,
      { maxPublishesPerSecond: 10, drainMaxBytes: 1024 },
      frozen,
    );
    await Promise.all(Array.from({ length: 30 }, () => buffer.telemetry(makeBatch(TOWER, buffer.seq, 40))));
    transport.start();
    delivery.start();
    // Telemetry may use 9 of the 10 publishes a second; the 10th slot is kept for alerts.
    await waitFor(() => transport.published.length === 9, 'the first second of telemetry');
    await buffer.alert(makeAlert(TOWER, 7));
    await waitFor(() => transport.published.length === 10, 'the alert');
    expect(decodeAlert(transport.published[9]!.payload).alertId).toBe('alert-7');
    expect(delivery.stats().deliveredBatches).toBe(9);
  });

  it('loses nothing while the TLS broker is down, sends alerts before the backlog, keeps each lane in order', async () => {
    const t = tempDir('certs');
    cleanups.push(t.cleanup);
    const ids = await issueTestIdentities(t.dir, [TOWER]);
    const broker = await startTlsBroker(ids.server);
    cleanups.push(() => broker.stop());
    const transport = new MqttTransport({
      ...mqttOptionsFromPaths({ towerId: TOWER, endpoint: broker.url, ...ids.devices[TOWER]! }),
      backoff: { baseMs: 20, maxMs: 300 },
    });
    const { buffer, delivery } = await setup(transport, { drainMaxBytes: IOT.maxPayloadBytes });
    transport.start();
    delivery.start();
    await waitFor(() => transport.connected, 'the connection');

    const before = Array.from({ length: 20 }, () => makeBatch(TOWER, buffer.seq, 80));
    for (const b of before) await buffer.telemetry(b);
    await waitFor(() => delivery.stats().deliveredBatches === 20, 'delivery before the outage');

    await broker.down();
    await waitFor(() => !transport.connected, 'the outage');
    const during = Array.from({ length: 200 }, () => makeBatch(TOWER, buffer.seq, 80));
    await Promise.all(during.map((b) => buffer.telemetry(b)));
    const alerts = [1, 2, 3, 4].map((n) => makeAlert(TOWER, n));
    for (const a of alerts) await buffer.alert(a);
    const mark = broker.received.length;
    await broker.up();
    await waitFor(
      () => buffer.stats().telemetry.depthMessages === 0 && buffer.stats().alerts.depthMessages === 0,
      'the drain',
    );

    const after = broker.received.slice(mark);
    const firstTelemetry = after.findIndex((m) => m.topic.endsWith('/telemetry'));
    const alertIdx = after.flatMap((m, i) => (m.topic.endsWith('/alert') ? [i] : []));
    expect(alertIdx).toHaveLength(4);
    expect(Math.max(...alertIdx)).toBeLessThan(firstTelemetry);
    expect(alertIdx.map((i) => decodeAlert(after[i]!.payload).alertId)).toEqual(alerts.map((a) => a.alertId));

    const seqs = broker.received
      .filter((m) => m.topic === `dt/towerwatch/${TOWER}/telemetry`)
      .flatMap((m) => decodeTelemetry(m.payload).map((b) => b.seq));
    const firstSeen = seqs.filter((s, i) => seqs.indexOf(s) === i);
    expect(firstSeen).toEqual([...before, ...during].map((b) => b.seq));
  });
});
