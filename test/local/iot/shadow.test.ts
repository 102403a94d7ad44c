import {
  ConflictException,
  DeleteThingShadowCommand,
  GetThingShadowCommand,
  InvalidRequestException,
  IoTDataPlaneClient,
  ListNamedShadowsForThingCommand,
  PublishCommand,
  RequestEntityTooLargeException,
  ResourceNotFoundException,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { shadowTopic } from '../../../protocol/index.js';
import { ruleOutput } from '../../cloud/functions/fixtures.js';
import {
  collect,
  connectTower,
  FIXED_NOW,
  type Harness,
  makeCerts,
  removeDirs,
  startHarness,
  waitFor,
} from './support.js';

const NOW_SEC = Math.floor(FIXED_NOW / 1000);
const T = 'tower-1';
const cfg = (op: 'get' | 'update' | 'delete', reply?: 'accepted' | 'rejected' | 'delta' | 'documents') =>
  shadowTopic(T, 'config', op, reply);

describe('device shadows over MQTT', () => {
  let certsDir: string;
  let h: Harness;
  let client: MqttClient;
  let got: { topic: string; json: unknown }[];

  beforeAll(async () => {
    certsDir = await makeCerts([T]);
  });
  afterAll(() => removeDirs(certsDir));
  afterEach(async () => {
    await h.cleanup();
    removeDirs(h.stateDir);
  });

  async function connect() {
    client = await connectTower(h, T);
    got = collect(client);
    await client.subscribeAsync(`$aws/things/${T}/shadow/name/config/#`, { qos: 1 });
  }

  /**
   * Sends a request and waits for its answer on /accepted or /rejected. The tower policy lets a
   * tower only get and update its config shadow, so deletes are sent by the service itself.
   */
  async function request(op: 'get' | 'update' | 'delete', body: unknown) {
    const before = got.length;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    if (op === 'delete') await h.iot.publish(cfg(op), text, 1);
    else await client.publishAsync(cfg(op), text, { qos: 1 });
    const isAnswer = (m: { topic: string }) =>
      m.topic === cfg(op, 'accepted') || m.topic === cfg(op, 'rejected');
    await waitFor(() => got.slice(before).some(isAnswer), `${op} answer to ${text.slice(0, 60)}`);
    return got.slice(before).find(isAnswer)!;
  }

  it('updates, computes the delta, answers get, refuses stale versions, oversize and malformed requests, deletes', async () => {
    h = await startHarness(certsDir);
    await connect();

    const first = await request('update', {
      state: { desired: { sampleIntervalMs: 5000, thresholds: { tempC: 60 } } },
      clientToken: 'tok-1',
    });
    expect(first).toEqual({
      topic: cfg('update', 'accepted'),
      json: {
        state: { desired: { sampleIntervalMs: 5000, thresholds: { tempC: 60 } } },
        metadata: {
          desired: {
            sampleIntervalMs: { timestamp: NOW_SEC },
            thresholds: { tempC: { timestamp: NOW_SEC } },
          },
        },
        version: 1,
        timestamp: NOW_SEC,
        clientToken: 'tok-1',
      },
    });
    await waitFor(() => got.some((m) => m.topic === cfg('update', 'delta')), 'delta');
    expect(got.find((m) => m.topic === cfg('update', 'delta'))!.json).toEqual({
      version: 1,
      timestamp: NOW_SEC,
      state: { sampleIntervalMs: 5000, thresholds: { tempC: 60 } },
      metadata: { sampleIntervalMs: { timestamp: NOW_SEC }, thresholds: { tempC: { timestamp: NOW_SEC } } },
      clientToken: 'tok-1',
    });
    await waitFor(() => got.some((m) => m.topic === cfg('update', 'documents')), 'documents');
    expect(got.find((m) => m.topic === cfg('update', 'documents'))!.json).toMatchObject({
      current: { version: 1, state: { desired: { sampleIntervalMs: 5000 } } },
    });

    await request('update', {
      state: { reported: { sampleIntervalMs: 5000, thresholds: { tempC: 55 } } },
      version: 1,
    });
    const get = await request('get', { clientToken: 'g' });
    expect(get.json).toMatchObject({
      state: {
        desired: { sampleIntervalMs: 5000, thresholds: { tempC: 60 } },
        reported: { sampleIntervalMs: 5000, thresholds: { tempC: 55 } },
        delta: { thresholds: { tempC: 60 } },
      },
      version: 2,
      clientToken: 'g',
    });

    const conflict = await request('update', { state: { reported: { x: 1 } }, version: 1, clientToken: 'c' });
    expect(conflict).toEqual({
      topic: cfg('update', 'rejected'),
      json: { code: 409, message: 'Version conflict', timestamp: NOW_SEC, clientToken: 'c' },
    });
    const big = await request('update', { state: { reported: { blob: 'x'.repeat(8 * 1024) } } });
    expect(big.json).toMatchObject({ code: 413 });
    const malformed = await request('update', '{"state": {');
    expect(malformed.json).toMatchObject({ code: 400, message: 'Payload contains invalid json' });
    const noState = await request('update', { version: 2 });
    expect(noState.json).toMatchObject({ code: 400, message: 'Missing required node: state' });

    const removed = await request('update', { state: { desired: { thresholds: null } } });
    expect(removed.json).toMatchObject({ state: { desired: { thresholds: null } }, version: 3 });
    const after = await request('get', {});
    expect((after.json as { state: object }).state).toEqual({
      desired: { sampleIntervalMs: 5000 },
      reported: { sampleIntervalMs: 5000, thresholds: { tempC: 55 } },
    });

    const deleted = await request('delete', {});
    expect(deleted.json).toEqual({ version: 3, timestamp: NOW_SEC });
    const missing = await request('get', {});
    expect(missing.json).toMatchObject({ code: 404, message: "No shadow exists with name: 'config'" });
    const recreated = await request('update', { state: { reported: { a: 1 } } });
    expect(recreated.json).toMatchObject({ version: 4 });
  });

  it('keeps shadows across a restart of the service', async () => {
    h = await startHarness(certsDir);
    await connect();
    await request('update', { state: { reported: { firmware: '1.2.3' } } });
    const stateDir = h.stateDir;
    await h.cleanup();
    h = await startHarness(certsDir, {}, stateDir);
    await connect();
    const get = await request('get', {});
    expect(get.json).toMatchObject({ state: { reported: { firmware: '1.2.3' } }, version: 1 });
  });
});

describe('device shadows and publish through @aws-sdk/client-iot-data-plane', () => {
  let certsDir: string;
  let h: Harness;
  let sdk: IoTDataPlaneClient;

  beforeAll(async () => {
    certsDir = await makeCerts([T]);
    h = await startHarness(certsDir);
    sdk = new IoTDataPlaneClient({
      endpoint: h.iot.dataPlaneUrl,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    sdk.destroy();
    await h.cleanup();
    removeDirs(certsDir, h.stateDir);
  });

  const json = (bytes: Uint8Array | undefined) => JSON.parse(Buffer.from(bytes!).toString());

  it('updates, gets, lists and deletes a named shadow, with IoT error types', async () => {
    const client = await connectTower(h, T);
    const got = collect(client);
    await client.subscribeAsync(cfg('update', 'delta'), { qos: 1 });

    const update = await sdk.send(
      new UpdateThingShadowCommand({
        thingName: T,
        shadowName: 'config',
        payload: Buffer.from(JSON.stringify({ state: { desired: { sampleIntervalMs: 1000 } } })),
      }),
    );
    expect(json(update.payload)).toMatchObject({
      state: { desired: { sampleIntervalMs: 1000 } },
      version: 1,
    });
    await waitFor(() => got.length > 0, 'delta over MQTT after an HTTP update');
    expect(got[0]).toMatchObject({
      topic: cfg('update', 'delta'),
      json: { state: { sampleIntervalMs: 1000 } },
    });

    const get = await sdk.send(new GetThingShadowCommand({ thingName: T, shadowName: 'config' }));
    expect(json(get.payload)).toMatchObject({
      state: { desired: { sampleIntervalMs: 1000 }, delta: { sampleIntervalMs: 1000 } },
    });
    const list = await sdk.send(new ListNamedShadowsForThingCommand({ thingName: T }));
    expect(list.results).toEqual(['config']);

    await expect(
      sdk.send(
        new UpdateThingShadowCommand({
          thingName: T,
          shadowName: 'config',
          payload: Buffer.from(JSON.stringify({ state: { reported: {} }, version: 7 })),
        }),
      ),
    ).rejects.toBeInstanceOf(ConflictException);
    await expect(
      sdk.send(new UpdateThingShadowCommand({ thingName: T, payload: Buffer.from('not json') })),
    ).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(
      sdk.send(
        new UpdateThingShadowCommand({
          thingName: T,
          payload: Buffer.from(JSON.stringify({ state: { reported: { b: 'x'.repeat(9000) } } })),
        }),
      ),
    ).rejects.toBeInstanceOf(RequestEntityTooLargeException);

    const del = await sdk.send(new DeleteThingShadowCommand({ thingName: T, shadowName: 'config' }));
    expect(json(del.payload)).toMatchObject({ version: 1 });
    const missing = await sdk
      .send(new GetThingShadowCommand({ thingName: T, shadowName: 'config' }))
      .catch((e) => e);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect((missing as Error).message).toBe("No shadow exists with name: 'config'");
    const classic = await sdk.send(new GetThingShadowCommand({ thingName: T })).catch((e) => e);
    expect(classic).toBeInstanceOf(ResourceNotFoundException);
  });

  it('publishes to subscribers and rules through the Publish API', async () => {
    const client = await connectTower(h, T);
    const got = collect(client);
    await client.subscribeAsync('cmd/towerwatch/tower-1/#', { qos: 1 });
    await sdk.send(
      new PublishCommand({
        topic: 'cmd/towerwatch/tower-1/reboot',
        qos: 1,
        payload: Buffer.from('{"now":true}'),
      }),
    );
    await waitFor(() => got.length > 0, 'published command');
    expect(got).toEqual([{ topic: 'cmd/towerwatch/tower-1/reboot', json: { now: true } }]);

    await sdk.send(
      new PublishCommand({ topic: 'dt/towerwatch/tower-5/status', qos: 0, payload: Buffer.from('{"up":1}') }),
    );
    await waitFor(
      () => h.sink.records.some((r) => r.partitionKey === 'tower-5'),
      'rule output from an HTTP publish',
    );
    expect(
      JSON.parse(Buffer.from(h.sink.records.find((r) => r.partitionKey === 'tower-5')!.data).toString()),
    ).toEqual(ruleOutput({ up: 1 }, 'status', 'tower-5', FIXED_NOW));
  });
});
