import { ErrorWithSubackPacket } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  initCa,
  issueDeviceCertificate,
  Registry,
  revokeTower,
  rotateTower,
} from '../../../certs-tool/index.js';
import { deviceTopic } from '../../../protocol/index.js';
import { ruleOutput } from '../../cloud/functions/fixtures.js';
import type { DeniedEvent, DisconnectEvent, RuleErrorPayload } from '../../../local/iot/index.js';
import {
  collect,
  connectRefused,
  connectTower,
  FIXED_NOW,
  type Harness,
  makeCerts,
  removeDirs,
  STREAM,
  startHarness,
  tempDir,
  waitFor,
} from './support.js';

const TOWERS = ['tower-1', 'tower-2', 'tower-revoked', 'tower-live-revoke', 'tower-rotated'];

describe('local IoT Core broker (mutual TLS, IoT policy, rules)', () => {
  let certsDir: string;
  let h: Harness;
  const errors: RuleErrorPayload[] = [];
  const denied: DeniedEvent[] = [];
  const disconnects: DisconnectEvent[] = [];

  beforeAll(async () => {
    certsDir = await makeCerts(TOWERS);
  });
  afterAll(() => removeDirs(certsDir));

  const start = async () => {
    h = await startHarness(certsDir, { errorSink: (p) => void errors.push(p) });
    h.iot.on('denied', (d) => denied.push(d));
    h.iot.on('disconnect', (d) => disconnects.push(d));
  };
  afterEach(async () => {
    await h.cleanup();
    removeDirs(h.stateDir);
    errors.length = 0;
    denied.length = 0;
    disconnects.length = 0;
  });

  it('runs an allowed QoS 1 publish through the telemetry rule into the stream', async () => {
    await start();
    const client = await connectTower(h, 'tower-1');
    const batch = { schema: 1, towerId: 'tower-1', seq: 7, readings: [[0, 0, 21.5]] };
    await client.publishAsync(deviceTopic('tower-1', 'telemetry'), JSON.stringify(batch), { qos: 1 });
    const isTelemetry = (i: number) =>
      (h.sink.json(i) as { messageType?: string }).messageType === 'telemetry';
    await waitFor(() => h.sink.records.some((_, i) => isTelemetry(i)), 'telemetry record');
    const record = h.sink.records.find((_, i) => isTelemetry(i))!;
    expect(record.streamName).toBe(STREAM);
    expect(record.partitionKey).toBe('tower-1');
    expect(JSON.parse(Buffer.from(record.data).toString())).toEqual(
      ruleOutput(batch, 'telemetry', 'tower-1', FIXED_NOW),
    );
    expect(h.iot.stats().publishesIn).toBeGreaterThanOrEqual(1);
  });

  it("disconnects a tower that publishes to another tower's topic, and nothing reaches the stream", async () => {
    await start();
    const client = await connectTower(h, 'tower-1');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(deviceTopic('tower-2', 'telemetry'), JSON.stringify({ spoofed: true }), { qos: 1 });
    await closed;
    await waitFor(() => disconnects.some((d) => d.clientId === 'tower-1'), 'disconnect event');
    expect(disconnects.find((d) => d.clientId === 'tower-1')?.reason).toBe('AUTHORIZATION_ERROR');
    expect(denied).toContainEqual(
      expect.objectContaining({
        clientId: 'tower-1',
        action: 'iot:Publish',
        resource: 'arn:aws:iot:local:000000000000:topic/dt/towerwatch/tower-2/telemetry',
      }),
    );
    await h.iot.drain();
    expect(h.sink.records.some((r) => Buffer.from(r.data).toString().includes('spoofed'))).toBe(false);
    expect(h.iot.stats().publishesDenied).toBe(1);
  });

  it('answers a subscribe outside the policy with SUBACK 0x80 and grants its own command topics', async () => {
    await start();
    const client = await connectTower(h, 'tower-1');
    const refused = await client
      .subscribeAsync('cmd/towerwatch/tower-2/#', { qos: 1 })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ErrorWithSubackPacket);
    expect((refused as ErrorWithSubackPacket).packet.granted).toEqual([0x80]);
    const granted = await client.subscribeAsync('cmd/towerwatch/tower-1/#', { qos: 1 });
    expect(granted).toEqual([{ topic: 'cmd/towerwatch/tower-1/#', qos: 1 }]);
    expect(client.connected).toBe(true);
    const got = collect(client);
    await h.iot.publish('cmd/towerwatch/tower-2/reboot', '{"for":"tower-2"}', 1);
    await h.iot.publish('cmd/towerwatch/tower-1/reboot', '{"for":"tower-1"}', 1);
    await waitFor(() => got.length > 0, 'command delivery');
    expect(got).toEqual([{ topic: 'cmd/towerwatch/tower-1/reboot', json: { for: 'tower-1' } }]);
    expect(h.iot.stats().subscribesDenied).toBe(1);
  });

  it('refuses a client id that is not the thing attached to the certificate', async () => {
    await start();
    const err = await connectRefused(h, 'tower-1', { clientId: 'tower-2' });
    expect(err.message).toMatch(/Not authorized/i);
    expect(denied).toContainEqual(expect.objectContaining({ action: 'iot:Connect', clientId: 'tower-2' }));
  });

  it('refuses a revoked certificate, and drops a live session when its certificate is revoked', async () => {
    await start();
    revokeTower(certsDir, 'tower-revoked');
    const err = await connectRefused(h, 'tower-revoked');
    expect(err.message).toMatch(/Not authorized/i);
    expect(denied).toContainEqual(expect.objectContaining({ reason: 'certificate is REVOKED' }));

    const live = await connectTower(h, 'tower-live-revoke');
    const closed = new Promise<void>((resolve) => live.once('close', () => resolve()));
    revokeTower(certsDir, 'tower-live-revoke');
    await closed;
    await waitFor(
      () => disconnects.some((d) => d.clientId === 'tower-live-revoke'),
      'revoked session dropped',
    );
  });

  it('refuses a certificate from a foreign CA and an expired certificate at the TLS handshake', async () => {
    await start();
    const foreign = tempDir('foreign');
    try {
      await initCa(foreign);
      await issueDeviceCertificate(foreign, 'tower-1');
      const err = await connectRefused(h, 'tower-1', { identityDir: `${foreign}/devices/tower-1` });
      expect(err).toBeInstanceOf(Error);
      await waitFor(() => denied.some((d) => d.action === 'tls'), 'tls refusal');
      expect(denied.find((d) => d.action === 'tls')?.reason).toMatch(/UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/);

      await issueDeviceCertificate(certsDir, 'tower-expired', {
        days: 1,
        now: new Date(Date.now() - 3 * 86_400_000),
      });
      denied.length = 0;
      await connectRefused(h, 'tower-expired');
      await waitFor(
        () => denied.some((d) => d.action === 'tls' && d.reason === 'CERT_HAS_EXPIRED'),
        'expiry refusal',
      );
      expect(h.iot.stats().connects).toBe(0);
    } finally {
      removeDirs(foreign);
    }
  });

  it('publishes lifecycle events that the lifecycle rule sends to the stream', async () => {
    await start();
    const client = await connectTower(h, 'tower-2');
    await client.endAsync();
    await waitFor(() => disconnects.length === 1, 'disconnect');
    await waitFor(
      () => h.sink.records.filter((r) => r.partitionKey === 'tower-2').length === 2,
      'lifecycle records',
    );
    const outputs = h.sink.records.map((r) => JSON.parse(Buffer.from(r.data).toString()));
    expect(outputs[1]).toMatchObject({ messageType: 'lifecycle', towerId: 'tower-2' });
    const events = outputs.map((o) => JSON.parse(Buffer.from(o.payload, 'base64').toString()));
    expect(events.map((e) => e.eventType)).toEqual(['connected', 'disconnected']);
    expect(events[1]).toMatchObject({
      clientId: 'tower-2',
      disconnectReason: 'CLIENT_INITIATED_DISCONNECT',
      clientInitiatedDisconnect: true,
      timestamp: FIXED_NOW,
    });
  });

  it('sends the IoT error payload to the error action when the Kinesis write fails', async () => {
    await start();
    h.sink.failWith = new Error('stream towerwatch-test is unavailable');
    const client = await connectTower(h, 'tower-1');
    const payload = JSON.stringify({ schema: 1, towerId: 'tower-1', seq: 1 });
    await client.publishAsync(deviceTopic('tower-1', 'alert'), payload, { qos: 1 });
    await waitFor(() => errors.some((e) => e.ruleName === 'towerwatch_alert'), 'error action');
    const e = errors.find((x) => x.ruleName === 'towerwatch_alert')!;
    expect(e).toMatchObject({
      topic: 'dt/towerwatch/tower-1/alert',
      clientId: 'tower-1',
      failures: [
        {
          failedAction: 'KinesisAction',
          failedResource: STREAM,
          errorMessage: 'stream towerwatch-test is unavailable',
        },
      ],
    });
    expect(Buffer.from(e.base64OriginalPayload, 'base64').toString()).toBe(payload);
    expect(h.iot.stats().ruleFailures).toBeGreaterThanOrEqual(1);
  });

  it('routes Basic Ingest to only the named rule and never to subscribers', async () => {
    await start();
    const client = await connectTower(h, 'tower-1');
    await client.subscribeAsync('cmd/towerwatch/tower-1/#', { qos: 1 });
    const got = collect(client);
    await h.iot.publish('$aws/rules/towerwatch_status/dt/towerwatch/tower-9/status', '{"ok":true}', 1);
    await h.iot.publish('$aws/rules/towerwatch_status/dt/towerwatch/tower-9/telemetry', '{"ok":false}', 1);
    await h.iot.drain();
    const status = h.sink.records
      .map((r) => JSON.parse(Buffer.from(r.data).toString()))
      .filter((j) => j.messageType === 'status');
    expect(status).toEqual([ruleOutput({ ok: true }, 'status', 'tower-9', FIXED_NOW)]);
    expect(got).toEqual([]);
  });

  it('disconnects a client on request and listens again on the same port after a restart', async () => {
    await start();
    const client = await connectTower(h, 'tower-1');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    expect(h.iot.disconnectClient('tower-1')).toBe(true);
    await closed;
    await waitFor(() => disconnects.length === 1, 'disconnect event');
    expect(disconnects[0]).toEqual({ clientId: 'tower-1', reason: 'SERVER_INITIATED_DISCONNECT' });

    const port = h.iot.port;
    await h.iot.stop();
    await connectRefused(h, 'tower-1');
    await h.iot.start();
    expect(h.iot.port).toBe(port);
    const again = await connectTower(h, 'tower-1');
    expect(again.connected).toBe(true);
  });
  it('retires the predecessor of a rotated certificate when the successor first connects', async () => {
    await start();
    const rotation = await rotateTower(certsDir, 'tower-rotated');
    const status = (id: string) => Registry.load(certsDir).find(id)?.status;
    expect(status(rotation.replaces)).toBe('ACTIVE');
    const client = await connectTower(h, 'tower-rotated');
    expect(client.connected).toBe(true);
    expect(status(rotation.replaces)).toBe('INACTIVE');
    expect(status(rotation.issued!.certificateId)).toBe('ACTIVE');
  });
  it('disconnects a QoS 2 publish, which IoT Core does not support', async () => {
    await start();
    const client = await connectTower(h, 'tower-1');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(deviceTopic('tower-1', 'status'), '{"qos":2}', { qos: 2 });
    await closed;
    await waitFor(() => disconnects.length === 1, 'disconnect event');
    expect(disconnects[0]).toEqual({ clientId: 'tower-1', reason: 'AUTHORIZATION_ERROR' });
    expect(denied).toContainEqual(
      expect.objectContaining({ action: 'payload', reason: expect.stringMatching(/QoS 2/) }),
    );
  });
});
