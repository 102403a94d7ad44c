import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetThingShadowCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryReadings } from '../../../cloud/data/index.js';
import { ENV } from '../../../cloud/data/tables.js';
import { localClientConfig } from '../../../local/aws/clients.js';
import { type Consumers, startConsumers } from '../../../local/aws/consumers.js';
import { type LocalAws, startLocalAws } from '../../../local/aws/index.js';
import { DataPlaneServer } from '../../../local/iot/dataplane/index.js';
import { MemoryShadowStore } from '../../../local/iot/shadow/index.js';
import { ShadowService } from '../../../local/iot/shadow/service.js';
import { TwinStateSchema } from '../../../protocol/index.js';
import {
  alert,
  batch,
  lifecycle,
  lifecyclePut,
  put,
  status,
  T0,
  telemetryPut,
} from '../../cloud/functions/fixtures.js';
import { putRecords, waitFor } from './helpers.js';

const STREAM = 'towerwatch-telemetry';
let stateDir: string;
let dataPlane: DataPlaneServer;
let endpoint: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'towerwatch-consumers-'));
  dataPlane = new DataPlaneServer({
    shadows: new ShadowService(new MemoryShadowStore(), { now: () => Date.now() }),
    publish: async () => {},
  });
  endpoint = `http://127.0.0.1:${await dataPlane.start('127.0.0.1', 0)}`;
});
afterAll(async () => {
  await dataPlane.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function start(): Promise<{ aws: LocalAws; consumers: Consumers }> {
  const aws = await startLocalAws({ stateDir });
  const consumers = await startConsumers({
    aws,
    streamName: STREAM,
    iotDataEndpoint: endpoint,
    env: { [ENV.suppressionWindowMs]: '0', [ENV.twinMinIntervalMs]: '0' },
    mapping: { maxBatchingWindowMs: 0, pollIntervalMs: 10, retryDelayMs: 1 },
    sweepIntervalMs: 0,
    logLevel: 'SILENT',
  });
  return { aws, consumers };
}

const completed = (c: Consumers) => Object.values(c.stats().mappings).map((m) => m.recordsCompleted);

describe('startConsumers: the three handlers on a LocalAws stream', () => {
  it('runs writer, twin and notifier from the ENV settings, persists, and resumes from its checkpoints', async () => {
    const first = await start();
    expect(Object.keys(first.consumers.stats().mappings).sort()).toEqual([
      'alert-notifier',
      'telemetry-writer',
      'twin-updater',
    ]);
    const puts = [
      lifecyclePut(lifecycle('t1', 'connected', T0)),
      telemetryPut(batch('t1', 1, T0, ['temp-cabinet', 'rh-cabinet'], 5)),
      put(status('t1', T0 + 6_000, 2), 'status', 't1', T0 + 6_100),
      put(alert('t1', 'a-1', 'raise', T0 + 7_000), 'alert', 't1', T0 + 7_100),
    ];
    await putRecords(first.aws, STREAM, puts);
    await waitFor(() => completed(first.consumers).every((n) => n === 4), 'all three consumers');
    expect(first.aws.sns.published.map((m) => m.subject)).toEqual([
      '[CRITICAL] t1 temp-cabinet threshold-high raised',
    ]);
    expect(
      await queryReadings(first.aws.clients.doc, 'towerwatch', { towerId: 't1', from: T0, to: T0 + 10_000 }),
    ).toHaveLength(10);
    const iot = new IoTDataPlaneClient(localClientConfig(endpoint));
    const got = await iot.send(new GetThingShadowCommand({ thingName: 't1', shadowName: 'twin' }));
    const twin = TwinStateSchema.parse(JSON.parse(Buffer.from(got.payload!).toString()).state.reported);
    iot.destroy();
    expect(twin).toMatchObject({ connectivity: { online: true }, buffer: { depthMessages: 2 } });
    expect(Object.keys(twin.activeAlerts)).toEqual(['a-1']);
    expect(first.consumers.stats().metrics['telemetry-writer']!.ReadingsWritten).toBe(10);
    await first.consumers.stop();
    await first.aws.stop();

    const second = await start();
    await putRecords(second.aws, STREAM, [
      put(alert('t1', 'a-1', 'clear', T0 + 9_000), 'alert', 't1', T0 + 9_100),
    ]);
    await waitFor(() => completed(second.consumers).every((n) => n === 1), 'the new record only');
    expect(second.aws.sns.published.map((m) => m.subject)).toEqual([
      '[CRITICAL] t1 temp-cabinet threshold-high cleared',
    ]);
    expect(
      await queryReadings(second.aws.clients.doc, 'towerwatch', { towerId: 't1', from: T0, to: T0 + 10_000 }),
    ).toHaveLength(10);
    await second.consumers.stop();
    await second.aws.stop();
  });
});
