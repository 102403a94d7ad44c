import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeAlert,
  decodeStatus,
  decodeTelemetry,
  EdgeConfigSchema,
  type EdgeConfigInput,
} from '../../../protocol/index.js';
import { DurableBuffer } from '../../../edge/src/buffer/index.js';
import { startEdge } from '../../../edge/src/component/index.js';
import { silentLogger } from '../../../edge/src/config/index.js';
import { MemoryTransport } from '../../../edge/src/transport/index.js';
import { simulatedTowerConfig } from '../../../edge/src/monitor/index.js';
import { FakeNucleus } from '../../support/fake-nucleus/index.js';
import { tempDir, waitFor } from '../buffer/helpers.js';
import { issueTestIdentities, startTlsBroker } from '../transport/tls-broker.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function towerConfig(towerId: string, extra: Partial<EdgeConfigInput> = {}) {
  return EdgeConfigSchema.parse({
    towerId,
    sensors: simulatedTowerConfig(towerId, { sensors: 4, intervalMs: 100 }),
    batching: { maxAgeMs: 300 },
    buffer: { fsyncWindowMs: 5 },
    tunable: { statusIntervalMs: 1000 },
    ...extra,
  });
}

describe('startEdge', () => {
  it('closes what it started when the sensing half cannot start, so the same state dir opens again', async () => {
    const t = tempDir('edge-half');
    cleanups.push(t.cleanup);
    const config = towerConfig('tower-c0', {
      transport: {
        kind: 'mqtt',
        endpoint: 'mqtts://127.0.0.1:1',
        certPath: 'c',
        keyPath: 'k',
        caPath: 'a',
        confirmTimeoutMs: 0,
      },
    });
    const stateDir = join(t.dir, 'state');
    // A source the monitor cannot even set up stands for any failure of the sensing half at start.
    const broken = {
      get id(): never {
        throw new Error('sensor bus not present');
      },
      kind: 'temperature' as const,
      read: async () => 0,
    };
    const transport = new MemoryTransport();
    await expect(
      startEdge({ config, stateDir, env: {}, logger: silentLogger, transport, sources: [broken] }),
    ).rejects.toThrow(/sensor bus not present/);
    // Its buffer lock is released: the previous configuration can start again on the same directory.
    const again = await startEdge({
      config,
      stateDir,
      env: {},
      logger: silentLogger,
      transport: new MemoryTransport(),
    });
    cleanups.push(() => again.stop());
    expect(again.buffer.mode).toBe('disk');
  });

  it('runs a simulated tower over direct MQTT/TLS: telemetry, alerts, status; seq keeps rising across a restart', async () => {
    const towerId = 'tower-c1';
    const t = tempDir('edge');
    cleanups.push(t.cleanup);
    const ids = await issueTestIdentities(join(t.dir, 'certs'), [towerId]);
    const broker = await startTlsBroker(ids.server);
    cleanups.push(() => broker.stop());
    const { certPath, keyPath, caPath } = ids.devices[towerId]!;
    const config = towerConfig(towerId, {
      // This broker is no cloud: it sends no stored acknowledgements, so PUBACK has to confirm.
      transport: { kind: 'mqtt', endpoint: broker.url, certPath, keyPath, caPath, confirmTimeoutMs: 0 },
    });
    const stateDir = join(t.dir, 'state');
    const of = (type: string) =>
      broker.received.filter((m) => m.topic === `dt/towerwatch/${towerId}/${type}`);

    const edge = await startEdge({ config, stateDir, env: {}, logger: silentLogger });
    cleanups.push(() => edge.stop());
    expect(edge.transport.kind).toBe('mqtt');
    await waitFor(() => of('telemetry').length >= 2 && of('status').length >= 1, 'telemetry and status');
    const status = decodeStatus(of('status')[0]!.payload);
    expect(status.towerId).toBe(towerId);
    expect(status.connectivity.connected).toBe(true);

    const sensorId = config.sensors[0]!.id;
    edge.monitor.simulator!.inject(sensorId, { kind: 'spike', value: 1e4 });
    await waitFor(() => of('alert').length >= 1, 'the alert');
    expect(decodeAlert(of('alert')[0]!.payload)).toMatchObject({ towerId, sensorId, state: 'raise' });
    await edge.stop();
    const firstRun = of('telemetry').flatMap((m) => decodeTelemetry(m.payload).map((b) => b.seq));

    const again = await startEdge({ config, stateDir, env: {}, logger: silentLogger });
    cleanups.push(() => again.stop());
    await waitFor(() => of('telemetry').length > firstRun.length, 'telemetry after the restart');
    const seqs = of('telemetry').flatMap((m) => decodeTelemetry(m.payload).map((b) => b.seq));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    expect(again.stats()).toMatchObject({
      towerId,
      transport: 'mqtt',
      connected: true,
      drops: { readings: 0 },
    });
  });

  it('chooses Greengrass IPC when the nucleus socket is set and follows the config shadow through ShadowManager', async () => {
    const towerId = 'tower-c2';
    const t = tempDir('edge-ipc');
    cleanups.push(t.cleanup);
    const nucleus = await FakeNucleus.start(join(t.dir, 'nucleus.sock'), 'token-c2');
    cleanups.push(() => nucleus.stop());
    const saved = { ...process.env };
    Object.assign(process.env, nucleus.componentEnv());
    cleanups.push(() => {
      process.env = saved;
    });
    const edge = await startEdge({
      config: towerConfig(towerId),
      stateDir: join(t.dir, 'state'),
      env: process.env,
      logger: silentLogger,
    });
    cleanups.push(() => edge.stop());
    expect(edge.transport.kind).toBe('ipc');
    await waitFor(
      () => nucleus.published.some((p) => p.topicName === `dt/towerwatch/${towerId}/telemetry`),
      'telemetry through the nucleus',
    );
    nucleus.setDesired(towerId, 'config', { statusIntervalMs: 2000 });
    await waitFor(
      () => nucleus.shadows.get(`${towerId}/config`)?.state.reported?.statusIntervalMs === 2000,
      'the applied config reported back',
    );
  });
});

describe('the component entry under a Greengrass nucleus', () => {
  it('reports ERRORED and exits 2 with one line when its buffer directory is in use', async () => {
    const towerId = 'tower-c5';
    const t = tempDir('entry-busy');
    cleanups.push(t.cleanup);
    const nucleus = await FakeNucleus.start(join(t.dir, 'nucleus.sock'), 'token-c5');
    cleanups.push(() => nucleus.stop());
    nucleus.configuration = JSON.parse(
      JSON.stringify({ sensors: simulatedTowerConfig(towerId, { sensors: 1, intervalMs: 100 }) }),
    );
    const bufferDir = join(t.dir, 'work', 'buffer');
    const holder = await DurableBuffer.open({ dir: bufferDir, maxBytes: 1024 * 1024, fsyncWindowMs: 5 });
    cleanups.push(() => holder.close());
    const entry = join(import.meta.dirname, '../../../edge/src/component/entry.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', entry, '--state-dir', join(t.dir, 'work')], {
      env: { ...process.env, ...nucleus.componentEnv(), AWS_IOT_THING_NAME: towerId },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      `towerwatch edge: buffer directory ${bufferDir} is in use by another process (pid ${process.pid}) (stop that towerwatch edge, or give this one its own --state-dir)`,
    );
    expect(nucleus.states).toEqual(['ERRORED']);
  });

  it('exits 2 with one line at once when the nucleus refuses its token, so Greengrass restarts it', async () => {
    const t = tempDir('entry-token');
    cleanups.push(t.cleanup);
    const nucleus = await FakeNucleus.start(join(t.dir, 'nucleus.sock'), 'token-right');
    cleanups.push(() => nucleus.stop());
    const entry = join(import.meta.dirname, '../../../edge/src/component/entry.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', entry, '--state-dir', join(t.dir, 'work')], {
      env: {
        ...process.env,
        ...nucleus.componentEnv(),
        SVCUID: 'token-stale',
        AWS_IOT_THING_NAME: 'tower-c4',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'towerwatch edge: the Greengrass nucleus refused the IPC connection (SVCUID rejected; Greengrass sets it for each run)',
    );
  });

  it('reads its configuration over IPC, reports RUNNING, follows configuration updates, exits 0 on SIGTERM', async () => {
    const towerId = 'tower-c3';
    const t = tempDir('entry');
    cleanups.push(t.cleanup);
    const nucleus = await FakeNucleus.start(join(t.dir, 'nucleus.sock'), 'token-c3');
    cleanups.push(() => nucleus.stop());
    nucleus.configuration = JSON.parse(
      JSON.stringify({
        sensors: simulatedTowerConfig(towerId, { sensors: 2, intervalMs: 100 }),
        batching: { maxAgeMs: '300' },
      }),
    );
    const entry = join(import.meta.dirname, '../../../edge/src/component/entry.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', entry, '--state-dir', join(t.dir, 'work')], {
      env: { ...process.env, ...nucleus.componentEnv(), AWS_IOT_THING_NAME: towerId },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    await waitFor(() => nucleus.states.includes('RUNNING'), `RUNNING (stderr: ${stderr})`);
    await waitFor(
      () => nucleus.published.some((p) => p.topicName === `dt/towerwatch/${towerId}/telemetry`),
      'telemetry',
    );
    // A deployment changes the configuration: the component restarts itself with the new sensors.
    const changed = structuredClone(nucleus.configuration) as { sensors: { id: string }[] };
    changed.sensors = changed.sensors.map((s) => ({ ...s, id: `${s.id}-v2` }));
    nucleus.updateConfiguration(changed);
    const sensorIds = () =>
      nucleus.published
        .filter((p) => p.topicName === `dt/towerwatch/${towerId}/telemetry`)
        .flatMap((p) => decodeTelemetry(p.payload).flatMap((b) => b.sensors));
    await waitFor(() => sensorIds().some((id) => id.endsWith('-v2')), 'telemetry of the new configuration');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses a configuration update that cannot start and keeps the old configuration running', async () => {
    const towerId = 'tower-c6';
    const t = tempDir('entry-refused');
    cleanups.push(t.cleanup);
    const nucleus = await FakeNucleus.start(join(t.dir, 'nucleus.sock'), 'token-c6');
    cleanups.push(() => nucleus.stop());
    nucleus.configuration = JSON.parse(
      JSON.stringify({
        sensors: simulatedTowerConfig(towerId, { sensors: 2, intervalMs: 100 }),
        batching: { maxAgeMs: '300' },
      }),
    );
    // The update moves the buffer to a directory another process holds: it parses, but cannot start.
    const heldDir = join(t.dir, 'held-buffer');
    const holder = await DurableBuffer.open({ dir: heldDir, maxBytes: 1024 * 1024, fsyncWindowMs: 5 });
    cleanups.push(() => holder.close());
    const entry = join(import.meta.dirname, '../../../edge/src/component/entry.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', entry, '--state-dir', join(t.dir, 'work')], {
      env: { ...process.env, ...nucleus.componentEnv(), AWS_IOT_THING_NAME: towerId },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    await waitFor(() => nucleus.states.includes('RUNNING'), `RUNNING (stderr: ${stderr})`);
    const telemetry = () =>
      nucleus.published.filter((p) => p.topicName === `dt/towerwatch/${towerId}/telemetry`);
    await waitFor(() => telemetry().length > 0, 'telemetry');

    const changed = structuredClone(nucleus.configuration) as { sensors: { id: string }[] };
    changed.sensors = changed.sensors.map((s) => ({ ...s, id: `${s.id}-v2` }));
    nucleus.updateConfiguration({ ...changed, buffer: { dir: heldDir } });
    await waitFor(() => nucleus.states.length >= 2, `the state after the update (stderr: ${stderr})`);
    expect(nucleus.states).toEqual(['RUNNING', 'RUNNING']);
    const refused = stderr
      .split('\n')
      .filter((line) => line.includes('configuration update refused'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(refused).toEqual([
      {
        level: 'WARN',
        message: 'configuration update refused: it did not start; the previous configuration runs again',
        towerId,
        error: expect.stringContaining(`buffer directory ${heldDir} is in use by another process`),
      },
    ]);
    // The old configuration runs on: its sensors keep publishing, the refused ones never appear.
    const before = telemetry().length;
    await waitFor(() => telemetry().length > before + 1, 'telemetry after the refused update');
    const sensorIds = telemetry().flatMap((p) => decodeTelemetry(p.payload).flatMap((b) => b.sensors));
    expect(sensorIds.some((id) => id.endsWith('-v2'))).toBe(false);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
