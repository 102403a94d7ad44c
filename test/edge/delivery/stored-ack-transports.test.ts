import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { storedAckTopic } from '../../../protocol/index.js';
import { DurableBuffer } from '../../../edge/src/buffer/index.js';
import { Delivery } from '../../../edge/src/delivery/index.js';
import { MqttTransport, mqttOptionsFromPaths, type Transport } from '../../../edge/src/transport/index.js';
import { IpcTransport } from '../../../edge/src/transport/ipc/index.js';
import { FakeNucleus } from '../../support/fake-nucleus/index.js';
import { makeBatch, tempDir, waitFor } from '../buffer/helpers.js';
import { issueTestIdentities, startTlsBroker } from '../transport/tls-broker.js';

const LIMITS = {
  maxInflight: 100,
  maxPublishesPerSecond: 100,
  maxBytesPerSecond: 512 * 1024,
  drainMaxBytes: 4096,
};
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Delivers 6 batches, which stay in the buffer until `acknowledge` sends the cloud's stored acknowledgement. */
async function confirmThrough(
  towerId: string,
  transport: Transport,
  acknowledge: (topic: string, payload: string) => Promise<void> | void,
) {
  const t = tempDir('stored-ack-transport');
  cleanups.push(t.cleanup);
  const buffer = await DurableBuffer.open({ dir: t.dir, maxBytes: 64 * 1024 * 1024, fsyncWindowMs: 2 });
  const delivery = new Delivery({ towerId, buffer, transport, confirmTimeoutMs: 60_000, ...LIMITS });
  cleanups.push(async () => {
    await delivery.stop();
    await transport.close();
    await buffer.close();
  });
  const batches = Array.from({ length: 6 }, () => makeBatch(towerId, buffer.seq, 40));
  for (const b of batches) await buffer.telemetry(b);
  transport.start();
  delivery.start();
  await waitFor(() => delivery.stats().deliveredBatches === 6, 'delivery');
  expect(buffer.stats().telemetry.depthMessages).toBe(6);
  const ack = { schema: 1, towerId, ranges: [[batches[0]!.seq, batches[5]!.seq]], sentAt: Date.now() };
  await acknowledge(storedAckTopic(towerId), JSON.stringify(ack));
  await waitFor(() => buffer.stats().telemetry.depthMessages === 0, 'the stored acknowledgement');
  expect(delivery.stats()).toMatchObject({ storedAcks: 1, unconfirmed: { depthMessages: 0 } });
}

describe('the stored acknowledgement reaches delivery', () => {
  it('over direct MQTT/TLS', async () => {
    const towerId = 'tower-sat1';
    const t = tempDir('certs');
    cleanups.push(t.cleanup);
    const ids = await issueTestIdentities(t.dir, [towerId]);
    const broker = await startTlsBroker(ids.server);
    cleanups.push(() => broker.stop());
    const transport = new MqttTransport({
      ...mqttOptionsFromPaths({ towerId, endpoint: broker.url, ...ids.devices[towerId]! }),
      backoff: { baseMs: 20, maxMs: 300 },
    });
    await confirmThrough(towerId, transport, (topic, payload) => broker.publish(topic, payload));
  });

  it('over Greengrass IPC (SubscribeToIoTCore through the nucleus)', async () => {
    const towerId = 'tower-sat2';
    const t = tempDir('nucleus');
    cleanups.push(t.cleanup);
    const nucleus = await FakeNucleus.start(join(t.dir, 'nucleus.sock'), 'token-sat2');
    cleanups.push(() => nucleus.stop());
    const transport = new IpcTransport({ env: nucleus.componentEnv(), backoff: { baseMs: 20, maxMs: 300 } });
    await confirmThrough(towerId, transport, async (topic, payload) => {
      await waitFor(() => nucleus.subscribers('SubscribeToIoTCore').includes(topic), 'the subscription');
      nucleus.deliverFromCloud(topic, payload);
    });
  });
});

describe('a nucleus that refuses the stored-acknowledgement subscription', () => {
  it('still connects and delivers (the batches wait unconfirmed), and names the refusal in lastError', async () => {
    const towerId = 'tower-sat3';
    const t = tempDir('nucleus-refuses');
    cleanups.push(t.cleanup);
    const nucleus = await FakeNucleus.start(join(t.dir, 'nucleus.sock'), 'token-sat3');
    cleanups.push(() => nucleus.stop());
    // A deployment whose accessControl lacks the SubscribeToIoTCore grant: every attempt is refused.
    nucleus.failNext(
      'SubscribeToIoTCore',
      { shape: 'UnauthorizedError', message: 'not authorized for cmd/towerwatch/tower-sat3/stored' },
      1000,
    );
    const transport = new IpcTransport({ env: nucleus.componentEnv(), backoff: { baseMs: 20, maxMs: 100 } });
    const buffer = await DurableBuffer.open({ dir: t.dir, maxBytes: 64 * 1024 * 1024, fsyncWindowMs: 2 });
    const delivery = new Delivery({ towerId, buffer, transport, confirmTimeoutMs: 60_000, ...LIMITS });
    cleanups.push(async () => {
      await delivery.stop();
      await transport.close();
      await buffer.close();
    });
    for (let i = 0; i < 3; i++) await buffer.telemetry(makeBatch(towerId, buffer.seq, 40));
    transport.start();
    delivery.start();
    await waitFor(() => delivery.stats().deliveredBatches === 3, 'delivery without the subscription');
    expect(delivery.stats().unconfirmed.depthMessages).toBe(3);
    expect(transport.stats().lastError).toContain('SubscribeToIoTCore');
  });
});
