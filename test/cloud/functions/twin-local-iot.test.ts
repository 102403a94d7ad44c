import {
  GetThingShadowCommand,
  IoTDataPlaneClient,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTwinHandler } from '../../../cloud/functions/twin-updater/handler.js';
import type { TwinDeps } from '../../../cloud/functions/twin-updater/types.js';
import { localClientConfig } from '../../../local/aws/clients.js';
import { counterMetrics } from '../../../local/aws/metrics.js';
import { DataPlaneServer } from '../../../local/iot/dataplane/index.js';
import { MemoryShadowStore } from '../../../local/iot/shadow/index.js';
import { ShadowService } from '../../../local/iot/shadow/service.js';
import { TwinStateSchema } from '../../../protocol/index.js';
import { alert, batch, kinesisRecord, ruleOutput, silentLog, T0 } from './fixtures.js';

let server: DataPlaneServer;
let iot: IoTDataPlaneClient;
let now = T0;

beforeAll(async () => {
  const clock = { now: () => now };
  server = new DataPlaneServer({
    shadows: new ShadowService(new MemoryShadowStore(), clock),
    publish: async () => {},
  });
  const port = await server.start('127.0.0.1', 0);
  iot = new IoTDataPlaneClient(localClientConfig(`http://127.0.0.1:${port}`));
});
afterAll(async () => {
  iot.destroy();
  await server.stop();
});

async function shadow(towerId: string) {
  const out = await iot.send(new GetThingShadowCommand({ thingName: towerId, shadowName: 'twin' }));
  return JSON.parse(Buffer.from(out.payload!).toString()) as {
    state: { reported: unknown };
    version: number;
  };
}

function deps(): TwinDeps {
  return {
    tableName: 'unused',
    minIntervalMs: 300_000,
    iot,
    doc: undefined as never,
    clock: { now: () => now },
    metrics: counterMetrics(),
    log: silentLog,
    cache: new Map(),
  };
}

const rec = (payload: object, type: 'telemetry' | 'alert', towerId: string, at: number) =>
  kinesisRecord(ruleOutput(payload, type, towerId, at), towerId);

describe('twin-updater against the local IoT Core data plane', () => {
  it('creates the twin shadow, and removes cleared alerts under real shadow merge semantics', async () => {
    const handler = createTwinHandler(deps());
    now = T0 + 10_000;
    await handler({
      Records: [
        rec(batch('lt1', 1, T0, ['temp-cabinet'], 3), 'telemetry', 'lt1', T0 + 3_100),
        rec(alert('lt1', 'a-1', 'raise', T0 + 4_000), 'alert', 'lt1', T0 + 4_100),
        rec(alert('lt1', 'a-2', 'raise', T0 + 4_500, { sensorId: 'door-main' }), 'alert', 'lt1', T0 + 4_600),
      ],
    });
    const first = await shadow('lt1');
    const twin = TwinStateSchema.parse(first.state.reported);
    expect(Object.keys(twin.activeAlerts).sort()).toEqual(['a-1', 'a-2']);
    expect(twin.latest['temp-cabinet']!.time).toBe(T0 + 2_000);

    now += 1_000;
    await handler({ Records: [rec(alert('lt1', 'a-1', 'clear', now), 'alert', 'lt1', now)] });
    const second = await shadow('lt1');
    expect(second.version).toBe(first.version + 1);
    expect(Object.keys(TwinStateSchema.parse(second.state.reported).activeAlerts)).toEqual(['a-2']);
  });

  it('retries when another writer moved the shadow version (409)', async () => {
    const d = deps();
    const handler = createTwinHandler(d);
    now = T0 + 10_000;
    await handler({
      Records: [rec(batch('lt2', 1, T0, ['temp-cabinet'], 2), 'telemetry', 'lt2', T0 + 2_000)],
    });
    const before = await shadow('lt2');
    await iot.send(
      new UpdateThingShadowCommand({
        thingName: 'lt2',
        shadowName: 'twin',
        payload: Buffer.from(
          JSON.stringify({ state: { reported: { latest: { 'door-main': { value: 1, time: T0 + 5 } } } } }),
        ),
      }),
    );
    now += 1_000;
    const response = await handler({
      Records: [rec(alert('lt2', 'a-7', 'raise', now), 'alert', 'lt2', now)],
    });
    expect(response.batchItemFailures).toEqual([]);
    expect((d.metrics as ReturnType<typeof counterMetrics>).totals.TwinConflicts).toBe(1);
    const after = await shadow('lt2');
    expect(after.version).toBe(before.version + 2);
    const twin = TwinStateSchema.parse(after.state.reported);
    expect(Object.keys(twin.activeAlerts)).toEqual(['a-7']);
    expect(Object.keys(twin.latest).sort()).toEqual(['door-main', 'temp-cabinet']);
  });
});
