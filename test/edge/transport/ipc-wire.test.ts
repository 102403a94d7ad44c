import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IpcTransport } from '../../../edge/src/transport/ipc/index.js';
import { FakeNucleus, type ReceivedFrame } from '../../support/fake-nucleus/index.js';
import { IPC_PROBE } from '../../support/fake-nucleus/probe-sequence.js';
import { tempDir, waitFor } from '../buffer/helpers.js';

const PROBE = join(import.meta.dirname, '../../support/fake-nucleus/sdk-probe.ts');
const PROBE_DEADLINE_MS = 30_000;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function nucleus(name: string): Promise<FakeNucleus> {
  const t = tempDir(`ipc-wire-${name}`);
  const n = await FakeNucleus.start(join(t.dir, 'ipc.sock'), 'svcuid-wire');
  n.configuration = { towerId: IPC_PROBE.thingName };
  cleanups.push(t.cleanup, () => n.stop());
  return n;
}

/** The official client in a child process, killed at the deadline so a native fault fails the test instead of hanging it. */
function runOfficialClient(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', PROBE], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_DEADLINE_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Plays the cloud and ShadowManager: one IoT Core message and one shadow delta, once the client listens. */
async function pushWhenSubscribed(n: FakeNucleus): Promise<void> {
  await waitFor(
    () => n.subscribers('SubscribeToIoTCore').includes(IPC_PROBE.subscribeTopic),
    'the IoT subscription',
  );
  n.deliverFromCloud(IPC_PROBE.subscribeTopic, IPC_PROBE.cloudPayload);
  await waitFor(
    () => n.subscribers('SubscribeToTopic').includes(IPC_PROBE.localTopic),
    'the local subscription',
  );
  n.setDesired(IPC_PROBE.thingName, IPC_PROBE.shadowName, IPC_PROBE.desired);
}

/** What a frame means on the wire: JSON payloads compared as values, not key order. */
function normalise(frames: ReceivedFrame[]) {
  return frames.map((f) => ({
    type: f.type,
    flags: f.flags,
    streamId: f.streamId,
    headers: f.headers,
    payload: f.payload ? JSON.parse(f.payload) : null,
  }));
}

describe('Greengrass IPC wire format', () => {
  it('sends exactly the frames the official aws-iot-device-sdk-v2 client sends for the same calls', async () => {
    const reference = await nucleus('sdk');
    const probeRun = runOfficialClient(reference.componentEnv());
    await pushWhenSubscribed(reference);
    const probe = await probeRun;
    expect(probe.output).toContain('probe done');
    expect(probe.code).toBe(0);
    const officialSaw = probe.output.split('\n').filter((l) => /^(iot|local) /.test(l));

    const ours = await nucleus('towerwatch');
    const t = new IpcTransport({ env: ours.componentEnv() });
    const weSaw: string[] = [];
    const pushed = pushWhenSubscribed(ours);
    t.start();
    await waitFor(() => t.connected, 'the IPC connection');
    await t.publish(IPC_PROBE.publishTopic, IPC_PROBE.publishPayload);
    await t.subscribe(IPC_PROBE.subscribeTopic, (m) => weSaw.push(`iot ${m.topic} ${m.payload}`));
    await waitFor(() => weSaw.length === 1, 'the message from the cloud');
    expect(await t.getThingShadow(IPC_PROBE.thingName, IPC_PROBE.missingShadow)).toBeNull();
    await t.updateThingShadow(IPC_PROBE.thingName, IPC_PROBE.shadowName, IPC_PROBE.shadowDocument);
    expect(await t.getConfiguration()).toEqual({ towerId: IPC_PROBE.thingName });
    await t.reportState('RUNNING');
    await t.subscribeLocal(IPC_PROBE.localTopic, (m) => weSaw.push(`local ${m.topic} ${m.payload}`));
    await waitFor(() => weSaw.length === 2, 'the shadow delta');
    await pushed;
    await t.close();
    await waitFor(() => ours.received.length === reference.received.length, 'the stream-closing frames');

    expect(normalise(ours.received)).toEqual(normalise(reference.received));
    expect(weSaw).toEqual(officialSaw);
    expect(weSaw).toEqual([
      `iot ${IPC_PROBE.subscribeTopic} ${IPC_PROBE.cloudPayload}`,
      // Version 2: the reported-state update before it made version 1.
      `local ${IPC_PROBE.localTopic} ${JSON.stringify({ state: IPC_PROBE.desired, version: 2 })}`,
    ]);
    // The comparison means something only if the sequence reached every operation.
    const operations = reference.received.map((f) => f.headers.operation).filter(Boolean);
    expect(operations).toEqual([
      'aws.greengrass#PublishToIoTCore',
      'aws.greengrass#SubscribeToIoTCore',
      'aws.greengrass#GetThingShadow',
      'aws.greengrass#UpdateThingShadow',
      'aws.greengrass#GetConfiguration',
      'aws.greengrass#UpdateState',
      'aws.greengrass#SubscribeToTopic',
    ]);
  });
});
