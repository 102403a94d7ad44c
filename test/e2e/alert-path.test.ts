import { GetThingShadowCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setConfig } from '../../cloud/cli/config.js';
import { localClientConfig } from '../../local/aws/clients.js';
import { readingsStored, startTestStack, type TestStack, waitUntil } from './support/stack.js';

/** Spike → SNS + twin, and a threshold change through the config shadow, on one running stack. */
describe('e2e: alerts and configuration through the whole path', { timeout: 120_000 }, () => {
  let t: TestStack;
  let dataPlane: IoTDataPlaneClient;

  beforeAll(async () => {
    // No suppression hold-back, so a clear would be visible at once if one were wrongly sent.
    t = await startTestStack({ consumerEnv: { ALERT_SUPPRESSION_WINDOW_MS: '0' } });
    dataPlane = new IoTDataPlaneClient(localClientConfig(t.stack.iot.dataPlaneUrl));
    await waitUntil('the first readings in DynamoDB', () => readingsStored(t.stack) > 0);
  });
  afterAll(async () => {
    dataPlane?.destroy();
    await t?.stop();
  });

  const twin = async (towerId: string) => {
    const out = await dataPlane.send(new GetThingShadowCommand({ thingName: towerId, shadowName: 'twin' }));
    return JSON.parse(new TextDecoder().decode(out.payload)) as {
      state: {
        reported: { activeAlerts: Record<string, { rule: string; sensorId: string; severity: string }> };
      };
    };
  };

  it('a temperature spike on one tower produces exactly one SNS message and the alert in its twin', async () => {
    const { stack } = t;
    const snsFor = (towerId: string) =>
      stack.aws.sns.published.filter((m) => m.attributes.towerId === towerId);
    expect(snsFor('tower-001')).toEqual([]);

    stack.fleet.get('tower-001')!.monitor.simulator!.inject('temp-cabinet', { kind: 'spike', value: 52 });

    await waitUntil('an SNS message for tower-001', () => snsFor('tower-001').length > 0);
    await waitUntil('the alert in the twin shadow', async () => {
      const alerts = Object.values((await twin('tower-001')).state.reported.activeAlerts ?? {});
      return alerts.some((a) => a.sensorId === 'temp-cabinet' && a.rule === 'threshold-high');
    });
    // Let several more batches and redeliveries pass: still one message.
    const stored = readingsStored(stack);
    await waitUntil('more readings stored', () => readingsStored(stack) > stored + 20);
    // A jump from ~25 °C to 52 °C breaks the threshold and the rate of change: two alerts, one message each.
    const messages = snsFor('tower-001');
    const threshold = messages.filter((m) => m.attributes.rule === 'threshold-high');
    expect(threshold).toHaveLength(1);
    expect(threshold[0]!.attributes).toMatchObject({
      severity: 'critical',
      sensor: 'temp-cabinet',
      state: 'raise',
    });
    expect(threshold[0]!.subject).toMatch(/tower-001/);
    expect(
      messages.every((m) => m.attributes.rule === 'threshold-high' || m.attributes.rule === 'rate-of-change'),
    ).toBe(true);
    expect(new Set(messages.map((m) => m.attributes.rule)).size).toBe(messages.length);
    expect(snsFor('tower-002')).toEqual([]);
    stack.fleet.get('tower-001')!.monitor.simulator!.clear('temp-cabinet');
  });

  it('a threshold changed through the config shadow takes effect on the tower', async () => {
    const { stack } = t;
    const tower = stack.fleet.get('tower-002')!;
    const thresholdAlerts = () =>
      stack.aws.sns.published.filter(
        (m) => m.attributes.towerId === 'tower-002' && m.attributes.rule === 'threshold-high',
      );
    await waitUntil('a temp-ambient reading in the live view', () =>
      stack.view.snapshot().towers.some((v) => v.towerId === 'tower-002' && v.latest['temp-ambient']),
    );
    const current = stack.view.snapshot().towers.find((v) => v.towerId === 'tower-002')!.latest[
      'temp-ambient'
    ]!.value!;
    expect(current).toBeLessThan(40);
    expect(thresholdAlerts()).toEqual([]);

    // Below what the sensor reads now: the tower must start alerting once it applies the change.
    const warning = Math.floor(current) - 3;
    const result = await setConfig(dataPlane, 'tower-002', [`rules.temperature.high.warning=${warning}`]);
    expect(result.sent).toBe(true);

    await waitUntil('the tower to apply and report the new threshold', async () => {
      const out = await dataPlane.send(
        new GetThingShadowCommand({ thingName: 'tower-002', shadowName: 'config' }),
      );
      const doc = JSON.parse(new TextDecoder().decode(out.payload)) as {
        state: { reported?: { rules?: { temperature?: { high?: { warning?: number } } } } };
      };
      return doc.state.reported?.rules?.temperature?.high?.warning === warning;
    });
    expect(tower.monitor.effectiveConfig().tunable.rules?.temperature?.high?.warning).toBe(warning);
    await waitUntil('a threshold-high warning at the new threshold, notified', () =>
      thresholdAlerts().some(
        (m) => m.attributes.severity === 'warning' && m.message.includes(`threshold ${warning}`),
      ),
    );
  });
});
