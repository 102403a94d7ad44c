import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certsLayout, initCa, issueDeviceCertificate, Registry } from '../../certs-tool/index.js';
import { runCertsTool as certsTool } from '../support/certs-tool.js';
import { deviceTopic, encodeTelemetryBatch, FLEET } from '../../protocol/index.js';
import { startTestStack, storedReadings, type TestStack, waitUntil } from './support/stack.js';

const TOWER = 'tower-jitp-1';

type Attempt =
  | { outcome: 'connected'; client: MqttClient }
  | { outcome: 'dropped' | 'refused'; detail: string };

/** One connection attempt with a tower's files from `fleetDir`, trusting the local broker's CA. */
function connect(t: TestStack, fleetDir: string, towerId: string): Promise<Attempt> {
  const device = certsLayout(fleetDir).device(towerId);
  const client = mqtt.connect(t.stack.iot.mqttUrl, {
    clientId: towerId,
    cert: readFileSync(device.certPath),
    key: readFileSync(device.keyPath),
    ca: readFileSync(certsLayout(t.stack.options.certsDir).caCertPath),
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  return new Promise((resolve) => {
    client.once('connect', () => resolve({ outcome: 'connected', client }));
    client.once('error', (e) => {
      client.end(true);
      resolve({ outcome: 'refused', detail: e.message });
    });
    client.once('close', () => {
      client.end(true);
      resolve({ outcome: 'dropped', detail: 'closed without CONNACK' });
    });
  });
}

describe('e2e: just-in-time provisioning of a tower nobody registered', { timeout: 120_000 }, () => {
  let t: TestStack;
  let fleetDir: string;
  let foreignDir: string;

  beforeAll(async () => {
    t = await startTestStack({ towers: 1 });
    fleetDir = join(t.root, 'jitp-fleet');
    foreignDir = join(t.root, 'foreign');
    await initCa(fleetDir);
    await initCa(foreignDir);
    // Signed by the fleet CA on the factory line: the stack's registry has never seen it.
    await issueDeviceCertificate(fleetDir, TOWER);
    await issueDeviceCertificate(foreignDir, 'tower-foreign-1');
  });
  afterAll(async () => t?.stop());

  it('certs-tool register-ca --jitp registers the fleet CA with the local IoT Core', async () => {
    const r = await certsTool([
      'register-ca',
      '--jitp',
      '--endpoint',
      t.stack.iot.dataPlaneUrl,
      '--dir',
      fleetDir,
    ]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^outcome\s+registered$/),
        expect.stringMatching(/^jitp\s+on$/),
      ]),
    );
  });

  it('drops the first connection, provisions the tower, lets the retry in, and its telemetry is stored', async () => {
    const stackCerts = t.stack.options.certsDir;
    expect(Registry.load(stackCerts).forTower(TOWER)).toEqual([]);

    const first = await connect(t, fleetDir, TOWER);
    expect(first.outcome).toBe('dropped');
    const [entry] = Registry.load(stackCerts).forTower(TOWER);
    expect(entry?.status).toBe('ACTIVE');

    const retry = await connect(t, fleetDir, TOWER);
    expect(retry.outcome).toBe('connected');
    if (retry.outcome !== 'connected') return;
    const now = Date.now();
    const batch = encodeTelemetryBatch({
      schema: 1,
      towerId: TOWER,
      seq: 1,
      sentAt: now,
      t0: now - 2000,
      sensors: ['temp-cabinet'],
      readings: [
        [0, 0, 21.5],
        [0, 1000, 21.75],
      ],
    });
    await retry.client.publishAsync(deviceTopic(TOWER, 'telemetry'), Buffer.from(batch.payload), { qos: 1 });
    await waitUntil('the provisioned tower readings in DynamoDB', async () => {
      const stored = await storedReadings(t.stack, TOWER);
      return stored.length === 2;
    });
    const stored = await storedReadings(t.stack, TOWER);
    expect(stored.map((r) => r.value).sort()).toEqual([21.5, 21.75]);
    await retry.client.endAsync();
  });

  it('puts the provisioned thing in the towers group with the tower policy', () => {
    const provisioning = JSON.parse(
      readFileSync(join(t.stack.options.certsDir, 'iot-provisioning.json'), 'utf8'),
    );
    expect(provisioning.things[TOWER].thingGroups).toEqual([FLEET.thingGroupName]);
    const [entry] = Registry.load(t.stack.options.certsDir).forTower(TOWER);
    expect(provisioning.policyAttachments[entry!.certificateId]).toEqual([FLEET.towerPolicyName]);
  });

  it('still refuses a certificate from a CA nobody registered, every time', async () => {
    for (let i = 0; i < 2; i++) {
      const attempt = await connect(t, foreignDir, 'tower-foreign-1');
      expect(attempt.outcome).not.toBe('connected');
    }
    expect(Registry.load(t.stack.options.certsDir).forTower('tower-foreign-1')).toEqual([]);
  });
});
