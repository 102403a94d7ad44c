import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  IpcAuthError,
  IpcConfigShadow,
  IpcTransport,
  MESSAGE_TYPE,
  NUCLEUS_SOCKET_ENV,
} from '../../../edge/src/transport/ipc/index.js';
import { FakeNucleus } from '../../support/fake-nucleus/index.js';
import { tempDir, waitFor } from '../buffer/helpers.js';

const THING = 'tower-ipc';
let nucleus: FakeNucleus;
let cleanup: () => void;
const savedEnv = { ...process.env };

beforeAll(async () => {
  const t = tempDir('ipc');
  cleanup = t.cleanup;
  nucleus = await FakeNucleus.start(join(t.dir, 'ipc.sock'), 'svcuid-token-1');
  Object.assign(process.env, nucleus.componentEnv());
});

afterAll(async () => {
  await nucleus.stop();
  process.env = savedEnv;
  cleanup();
});

const open: IpcTransport[] = [];
afterEach(async () => {
  // Closed even when a test fails: an open native IPC client would keep the worker alive.
  for (const t of open.splice(0)) await t.close();
});

function transport(): IpcTransport {
  const t = new IpcTransport({ backoff: { baseMs: 20, maxMs: 200 } });
  open.push(t);
  return t;
}

describe('IpcTransport against a fake nucleus', () => {
  it('connects with the SVCUID token, publishes QoS 1 to IoT Core and receives subscribed messages', async () => {
    expect(process.env[NUCLEUS_SOCKET_ENV]).toBe(nucleus.socketPath);
    const t = transport();
    t.start();
    await waitFor(() => t.connected, 'the IPC connection');
    await t.publish('dt/towerwatch/tower-ipc/alert', '{"hello":1}');
    expect(nucleus.published.at(-1)).toMatchObject({ topicName: 'dt/towerwatch/tower-ipc/alert', qos: '1' });
    expect(nucleus.published.at(-1)!.payload.toString()).toBe('{"hello":1}');

    const received: string[] = [];
    await t.subscribe('cmd/towerwatch/tower-ipc/ping', (m) => received.push(`${m.topic} ${m.payload}`));
    nucleus.deliverFromCloud('cmd/towerwatch/tower-ipc/ping', 'pong');
    await waitFor(() => received.length === 1, 'the subscribed message');
    expect(received).toEqual(['cmd/towerwatch/tower-ipc/ping pong']);

    await t.reportState('RUNNING');
    expect(nucleus.states).toContain('RUNNING');
    nucleus.configuration = { towerId: THING, buffer: { maxBytes: '2097152' } };
    expect(await t.getConfiguration()).toEqual(nucleus.configuration);
    await t.close();
  });

  it('surfaces modelled service errors and keeps working after them', async () => {
    const t = transport();
    t.start();
    await waitFor(() => t.connected, 'the IPC connection');
    nucleus.failNext('PublishToIoTCore', {
      shape: 'UnauthorizedError',
      message: 'not authorized for topic x',
    });
    await expect(t.publish('dt/towerwatch/tower-ipc/telemetry', '{}')).rejects.toThrow(
      /UnauthorizedError: not authorized for topic x/,
    );
    await t.publish('dt/towerwatch/tower-ipc/telemetry', '{"n":2}');
    expect(nucleus.published.at(-1)!.payload.toString()).toBe('{"n":2}');
    await t.close();
  });

  it('gives up on a refused token and reports it as a failure, since the nucleus issues one per launch', async () => {
    process.env.SVCUID = 'wrong';
    const t = transport();
    const failures: Error[] = [];
    t.onFailure((e) => failures.push(e));
    t.start();
    await waitFor(() => failures.length === 1, 'the refusal');
    expect(failures[0]).toBeInstanceOf(IpcAuthError);
    expect(t.failure).toBe(failures[0]);
    expect(t.stats().lastError).toMatch(/refused the IPC connection/);
    const connects = () => nucleus.received.filter((f) => f.type === MESSAGE_TYPE.connect).length;
    const before = connects();
    // Even with the right token back, the failed transport stays down: only a new launch connects.
    process.env.SVCUID = nucleus.authToken;
    t.start();
    const fresh = transport();
    fresh.start();
    await waitFor(() => fresh.connected, 'a new transport with the right token');
    expect(connects()).toBe(before + 1);
    expect(t.connected).toBe(false);
  });

  it('reconnects after the nucleus drops it, re-subscribes, and fails publishes caught by the drop', async () => {
    const t = transport();
    t.start();
    await waitFor(() => t.connected, 'the IPC connection');
    const received: string[] = [];
    await t.subscribe('cmd/towerwatch/tower-ipc/x', (m) => received.push(String(m.payload)));
    let release!: () => void;
    nucleus.publishGate = new Promise((r) => {
      release = r;
    });
    const caught = t.publish('dt/towerwatch/tower-ipc/telemetry', '{"lost":true}');
    const before = nucleus.connections;
    nucleus.dropConnections();
    await expect(caught).rejects.toThrow();
    nucleus.publishGate = null;
    release();
    await waitFor(() => t.connected && nucleus.connections > before, 'the reconnect');
    await waitFor(
      () => nucleus.subscribers('SubscribeToIoTCore').includes('cmd/towerwatch/tower-ipc/x'),
      'resubscribe',
    );
    nucleus.deliverFromCloud('cmd/towerwatch/tower-ipc/x', 'after');
    await waitFor(() => received.includes('after'), 'a message after the reconnect');
    expect(t.stats().reconnects).toBeGreaterThanOrEqual(1);
    await t.close();
  });

  it('reads, watches and reports the config shadow through ShadowManager', async () => {
    const t = transport();
    t.start();
    await waitFor(() => t.connected, 'the IPC connection');
    const shadow = new IpcConfigShadow(t, THING);
    expect(await shadow.get()).toBeNull();
    const docs: unknown[] = [];
    shadow.subscribe((d) => docs.push(d.desired));
    await waitFor(() => nucleus.subscribers('SubscribeToTopic').length > 0, 'the delta subscription');
    nucleus.setDesired(THING, 'config', { statusIntervalMs: 5000 });
    await waitFor(() => docs.length > 0, 'the shadow document after a delta');
    expect(docs.at(-1)).toEqual({ statusIntervalMs: 5000 });
    await shadow.report({ statusIntervalMs: 5000, appliedVersion: 1 });
    expect(nucleus.shadows.get(`${THING}/config`)?.state.reported).toEqual({
      statusIntervalMs: 5000,
      appliedVersion: 1,
    });
    await t.close();
  });
});
