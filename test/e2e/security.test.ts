import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeTower } from '../../certs-tool/index.js';
import { deviceTopic } from '../../protocol/index.js';
import {
  deviceTextOf,
  quarantined,
  quarantinedDeviceText,
  readingsStored,
  startTestStack,
  type TestStack,
  waitUntil,
} from './support/stack.js';

/** A raw MQTT client with a tower's certificate, as a misbehaving device would use it. */
function connectAs(t: TestStack, towerId: string, clientId = towerId) {
  const dir = join(t.stack.options.certsDir, 'devices', towerId);
  return mqtt.connect(t.stack.iot.mqttUrl, {
    clientId,
    cert: readFileSync(join(dir, 'cert.pem')),
    key: readFileSync(join(dir, 'key.pem')),
    ca: readFileSync(join(dir, 'ca.pem')),
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
}

/** What the device sent, for every record in the stream. */
async function streamData(t: TestStack): Promise<string[]> {
  const { kinesis } = t.stack.aws.clients;
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: t.stack.streamName }));
  const out: string[] = [];
  for (const shard of shards.Shards ?? []) {
    const it = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: t.stack.streamName,
        ShardId: shard.ShardId!,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    let iterator = it.ShardIterator;
    for (let i = 0; iterator && i < 50; i++) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? []) out.push(deviceTextOf(Buffer.from(r.Data!).toString('utf8')));
      if (!page.Records?.length) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

describe('e2e: a misbehaving or revoked tower, and a malformed message', { timeout: 120_000 }, () => {
  let t: TestStack;

  beforeAll(async () => {
    t = await startTestStack({ towers: 3 });
    // tower-003's certificate is used by hand below; its simulated component is not running.
    await t.stack.fleet.stop('tower-003');
    await waitUntil('the first readings in DynamoDB', () => readingsStored(t.stack) > 0);
  });
  afterAll(async () => t?.stop());

  it("disconnects a tower that publishes to another tower's topic, and nothing it sent reaches the stream", async () => {
    const client = connectAs(t, 'tower-003');
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const marker = 'forged-by-tower-003';
    client.publish(
      deviceTopic('tower-001', 'alert'),
      JSON.stringify({
        schema: 1,
        towerId: 'tower-001',
        alertId: marker,
        state: 'raise',
        severity: 'critical',
        rule: 'threshold-high',
        sensorId: 'temp-cabinet',
        value: 99,
        threshold: 45,
        time: Date.now(),
      }),
      { qos: 1 },
    );
    await closed;
    client.end(true);
    await t.stack.iot.drain();
    const data = await streamData(t);
    // The check reads the device bytes: the other towers' telemetry is there to be found.
    expect(data.some((d) => d.includes('"towerId":"tower-001"') && d.includes('"readings"'))).toBe(true);
    expect(data.some((d) => d.includes(marker))).toBe(false);
    expect(t.stack.aws.sns.published.some((m) => m.message.includes(marker))).toBe(false);
    expect(t.stack.iot.stats().publishesDenied).toBeGreaterThan(0);
  });

  it('quarantines a malformed message and keeps storing everything else', async () => {
    const client = connectAs(t, 'tower-003');
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const poison = JSON.stringify({
      schema: 1,
      towerId: 'tower-003',
      seq: 'not-a-number',
      sentAt: Date.now(),
      readings: 'x',
    });
    await client.publishAsync(deviceTopic('tower-003', 'telemetry'), poison, { qos: 1 });
    client.end(true);

    await waitUntil('the poison record in quarantine, whole, with the reason', async () =>
      (await quarantined(t.stack)).some(
        (q) => quarantinedDeviceText(q).includes('not-a-number') && String(q.reason).includes('seq'),
      ),
    );
    const storedAt = readingsStored(t.stack);
    await waitUntil(
      'readings of the other towers still being stored',
      () => readingsStored(t.stack) > storedAt + 20,
    );
  });

  it('refuses a revoked certificate', async () => {
    revokeTower(t.stack.options.certsDir, 'tower-003');
    const client = connectAs(t, 'tower-003');
    const outcome = await new Promise<string>((resolve) => {
      client.once('connect', () => resolve('connected'));
      client.once('error', (e) => resolve(`error: ${e.message}`));
      client.once('close', () => resolve('closed'));
    });
    client.end(true);
    expect(outcome).not.toBe('connected');
  });
});
