import {
  GetThingShadowCommand,
  IoTDataPlaneClient,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TwinStateSchema } from '../../../protocol/index.js';
import { createTwinHandler } from '../../../cloud/functions/twin-updater/handler.js';
import type { TwinDeps } from '../../../cloud/functions/twin-updater/types.js';
import { counterMetrics } from '../../../local/aws/metrics.js';
import { alert, batch, kinesisRecord, lifecycle, ruleOutput, silentLog, status, T0 } from './fixtures.js';

const iotMock = mockClient(IoTDataPlaneClient);
const docMock = mockClient(DynamoDBDocumentClient);
const SENSORS = ['temp-cabinet', 'rh-cabinet'];

const notFound = () =>
  Object.assign(new Error('No shadow exists with name: twin'), { name: 'ResourceNotFoundException' });
const conflict = () =>
  Object.assign(new Error('Version conflict'), {
    name: 'ConflictException',
    $metadata: { httpStatusCode: 409 },
  });
const versionPayload = (version: number) => ({ payload: Buffer.from(JSON.stringify({ version })) }) as never;

interface ReportedDoc {
  latest: Record<string, { value: number | null; time: number }>;
  activeAlerts: Record<string, unknown>;
  connectivity: Record<string, unknown>;
}

function updates() {
  return iotMock.commandCalls(UpdateThingShadowCommand).map((c) => ({
    thingName: c.args[0].input.thingName,
    shadowName: c.args[0].input.shadowName,
    doc: JSON.parse(Buffer.from(c.args[0].input.payload as Uint8Array).toString()) as {
      state: { reported: ReportedDoc };
      version?: number;
    },
  }));
}

let now = T0;
let deps: TwinDeps;
let handler: ReturnType<typeof createTwinHandler>;
const invoke = (records: KinesisStreamRecord[]) => handler({ Records: records });

const telemetry = (towerId: string, seq: number, t0: number) =>
  kinesisRecord(ruleOutput(batch(towerId, seq, t0, SENSORS, 3), 'telemetry', towerId, t0 + 3_200), towerId);

beforeEach(() => {
  iotMock.reset();
  docMock.reset();
  iotMock.on(GetThingShadowCommand).rejects(notFound());
  let version = 0;
  iotMock.on(UpdateThingShadowCommand).callsFake(() => versionPayload(++version));
  docMock.on(PutCommand).resolves({});
  now = T0 + 10_000;
  deps = {
    tableName: 'towerwatch',
    minIntervalMs: 300_000,
    iot: new IoTDataPlaneClient({ region: 'local' }),
    doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local' })),
    clock: { now: () => now },
    metrics: counterMetrics(),
    log: silentLog,
    cache: new Map(),
  };
  handler = createTwinHandler(deps);
});

describe('twin-updater', () => {
  it('coalesces a batch into one valid shadow update per tower', async () => {
    const records = [
      ...Array.from({ length: 8 }, (_, i) => telemetry('t1', i, T0 + i * 3_000)),
      kinesisRecord(ruleOutput(status('t1', T0 + 5_000, 4), 'status', 't1', T0 + 5_100)),
      kinesisRecord(ruleOutput(alert('t1', 'a-1', 'raise', T0 + 6_000), 'alert', 't1', T0 + 6_100)),
      telemetry('t2', 1, T0),
      telemetry('t2', 2, T0 + 3_000),
    ];
    expect(await invoke(records)).toEqual({ batchItemFailures: [] });
    const sent = updates();
    expect(sent.map((u) => u.thingName).sort()).toEqual(['t1', 't2']);
    expect(sent.every((u) => u.shadowName === 'twin')).toBe(true);
    const t1 = sent.find((u) => u.thingName === 't1')!.doc.state.reported;
    const twin = TwinStateSchema.parse(t1);
    expect(twin.latest['temp-cabinet']).toEqual({ value: 27.2, time: T0 + 7 * 3_000 + 2_000 });
    expect(twin.activeAlerts['a-1']).toMatchObject({
      rule: 'threshold-high',
      severity: 'critical',
      since: T0 + 6_000,
    });
    expect(twin.buffer).toEqual({ depthBytes: 20_000, depthMessages: 4, droppedReadings: 0 });
    expect(twin.connectivity.online).toBe(true);
    expect(twin.lastSeenAt).toBe(T0 + 7 * 3_000 + 3_200);
  });

  it('skips no-op updates (a redelivered batch changes nothing)', async () => {
    const records = [telemetry('t1', 1, T0), telemetry('t1', 2, T0 + 3_000)];
    await invoke(records);
    await invoke(records);
    expect(updates()).toHaveLength(1);
    expect((deps.metrics as ReturnType<typeof counterMetrics>).totals.TwinUpdatesSkipped).toBe(1);
  });

  it('updates at most once per period for value changes, at once for alert changes', async () => {
    await invoke([telemetry('t1', 1, T0)]);
    now += 60_000;
    await invoke([telemetry('t1', 2, T0 + 60_000)]);
    expect(updates()).toHaveLength(1);

    now += 1_000;
    await invoke([kinesisRecord(ruleOutput(alert('t1', 'a-9', 'raise', now), 'alert', 't1', now))]);
    expect(updates()).toHaveLength(2);
    const raised = updates()[1]!.doc.state.reported;
    expect(Object.keys(raised.activeAlerts)).toEqual(['a-9']);
    expect(raised.latest['temp-cabinet']).toMatchObject({ time: T0 + 62_000 });

    now += 1_000;
    await invoke([kinesisRecord(ruleOutput(alert('t1', 'a-9', 'clear', now), 'alert', 't1', now))]);
    expect(updates()[2]!.doc.state.reported.activeAlerts).toEqual({ 'a-9': null });

    now += 60_000;
    await invoke([telemetry('t1', 3, T0 + 120_000)]);
    expect(updates()).toHaveLength(3);
    now += 300_000;
    await invoke([telemetry('t1', 4, T0 + 400_000)]);
    expect(updates()).toHaveLength(4);
    expect(updates()[3]!.doc.state.reported.latest['temp-cabinet']).toMatchObject({ time: T0 + 402_000 });
  });

  it('retries a 409 version conflict on top of the shadow as it now is', async () => {
    const other = {
      schema: 1,
      towerId: 't1',
      lastSeenAt: T0,
      connectivity: { online: true, since: T0 - 1000 },
      latest: { 'door-main': { value: 1, time: T0 - 500 } },
      activeAlerts: {},
      updatedAt: T0,
    };
    iotMock
      .on(GetThingShadowCommand)
      .resolvesOnce({
        payload: Buffer.from(JSON.stringify({ state: { reported: { ...other, latest: {} } }, version: 3 })),
      } as never)
      .resolves({
        payload: Buffer.from(JSON.stringify({ state: { reported: other }, version: 5 })),
      } as never);
    iotMock.on(UpdateThingShadowCommand).rejectsOnce(conflict()).resolves(versionPayload(6));
    now = T0 + 600_000;
    expect(await invoke([telemetry('t1', 1, T0)])).toEqual({ batchItemFailures: [] });
    const sent = updates();
    expect(sent.map((u) => u.doc.version)).toEqual([3, 5]);
    expect(Object.keys(sent[1]!.doc.state.reported.latest).sort()).toEqual([
      'door-main',
      'rh-cabinet',
      'temp-cabinet',
    ]);
    expect(iotMock.commandCalls(GetThingShadowCommand)).toHaveLength(2);
  });

  it('fails only the records of a tower whose update fails', async () => {
    iotMock
      .on(UpdateThingShadowCommand, { thingName: 't2' })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const ok = telemetry('t1', 1, T0);
    const bad = [telemetry('t2', 1, T0), telemetry('t2', 2, T0 + 3_000)];
    const response = await invoke([ok, ...bad]);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      bad.map((r) => r.kinesis.sequenceNumber).sort(),
    );
  });

  it("keeps a Greengrass tower online when an old session's disconnect arrives after the new connect", async () => {
    const events = [
      lifecycle('t1', 'connected', T0),
      lifecycle('t1#2', 'connected', T0 + 1_000),
      lifecycle('t1', 'disconnected', T0 + 2_000),
    ];
    await invoke(events.map((e) => kinesisRecord(ruleOutput(e, 'lifecycle', e.clientId, e.timestamp))));
    expect(updates().at(-1)!.doc.state.reported.connectivity).toMatchObject({
      online: true,
      clientId: 't1#2',
    });
    const gone = lifecycle('t1#2', 'disconnected', T0 + 3_000);
    await invoke([kinesisRecord(ruleOutput(gone, 'lifecycle', gone.clientId, gone.timestamp))]);
    expect(updates().at(-1)!.doc.state.reported.connectivity).toMatchObject({
      online: false,
      since: T0 + 3_000,
      lastDisconnectReason: 'CONNECTION_LOST',
    });
  });

  it('quarantines a status naming another tower than its topic and leaves the twin alone', async () => {
    await invoke([kinesisRecord(ruleOutput(status('t9', T0), 'status', 't1', T0))]);
    expect(updates()).toEqual([]);
    const put = docMock.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(put).toMatchObject({ kind: 'quarantine', consumer: 'twin-updater', field: 'towerId' });
  });

  it('keeps the update within the 8 KB shadow limit by leaving out the oldest values', async () => {
    const many = Array.from({ length: 200 }, (_, i) => `sensor-${String(i).padStart(3, '0')}`);
    const b = {
      schema: 1,
      towerId: 't1',
      seq: 1,
      sentAt: T0 + 1_000,
      t0: T0,
      sensors: many,
      readings: many.map((_, i) => [i, i, 20.5]),
    };
    await invoke([kinesisRecord(ruleOutput(b, 'telemetry', 't1', T0 + 1_100))]);
    const [sent] = updates();
    expect(Buffer.byteLength(JSON.stringify(sent!.doc))).toBeLessThanOrEqual(8 * 1024);
    const kept = Object.keys(sent!.doc.state.reported.latest);
    expect(kept.length).toBeGreaterThan(50);
    expect(kept).toContain('sensor-199');
    expect(kept).not.toContain('sensor-000');
    expect((deps.metrics as ReturnType<typeof counterMetrics>).totals.TwinValuesTrimmed).toBe(
      200 - kept.length,
    );
  });
});
