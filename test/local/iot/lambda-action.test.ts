import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RuleErrorPayload, RuleOutcome } from '../../../local/iot/index.js';
import { deviceTopic } from '../../../protocol/index.js';
import { alert, batch, ruleOutput } from '../../cloud/functions/fixtures.js';
import { connectTower, FIXED_NOW, type Harness, makeCerts, startHarness, waitFor } from './support.js';

let certsDir: string;
let h: Harness | undefined;

beforeAll(async () => {
  certsDir = await makeCerts(['tower-1']);
});
afterEach(async () => {
  await h?.cleanup();
  rmSync(h?.stateDir ?? '', { recursive: true, force: true });
  h = undefined;
});
afterAll(() => rmSync(certsDir, { recursive: true, force: true }));

const payload = alert('tower-1', 'a-1', 'raise', FIXED_NOW - 1_000);
/** What reached the stream as alerts (the connect also puts a lifecycle record there). */
const streamAlerts = (harness: Harness) =>
  harness.sink.records
    .map((_, i) => harness.sink.json(i) as { messageType?: string })
    .filter((r) => r.messageType === 'alert');

describe('the alert rule runs its Lambda action locally', () => {
  it('hands the same rule output to the stream and to alert-notifier, and only for alerts', async () => {
    const invoked: unknown[] = [];
    h = await startHarness(certsDir, {
      functions: {
        'alert-notifier': (event) => void invoked.push(JSON.parse(Buffer.from(event).toString())),
      },
    });
    const client = await connectTower(h, 'tower-1');
    await client.publishAsync(
      deviceTopic('tower-1', 'telemetry'),
      JSON.stringify(batch('tower-1', 1, FIXED_NOW, ['t'], 2)),
      {
        qos: 1,
      },
    );
    await client.publishAsync(deviceTopic('tower-1', 'alert'), JSON.stringify(payload), { qos: 1 });
    await waitFor(
      () => invoked.length === 1 && streamAlerts(h!).length === 1,
      'the invoke and the stream copy',
    );
    const expected = ruleOutput(payload, 'alert', 'tower-1', FIXED_NOW);
    expect(invoked).toEqual([expected]);
    expect(streamAlerts(h)).toEqual([expected]);
  });

  it('reports a refused invoke to the error action as a LambdaAction failure; the stream copy still lands', async () => {
    const errors: RuleErrorPayload[] = [];
    const outcomes: RuleOutcome[] = [];
    h = await startHarness(certsDir, {
      functions: {
        'alert-notifier': () => {
          throw new Error('ResourceNotFoundException: alert-notifier is not running yet');
        },
      },
      errorSink: (p) => void errors.push(p),
    });
    h.iot.on('rule', (o) => outcomes.push(o));
    const client = await connectTower(h, 'tower-1');
    await client.publishAsync(deviceTopic('tower-1', 'alert'), JSON.stringify(payload), { qos: 1 });
    await waitFor(() => errors.length === 1 && streamAlerts(h!).length === 1, 'the error action');
    expect(errors[0]).toMatchObject({
      ruleName: 'towerwatch_alert',
      failures: [
        {
          failedAction: 'LambdaAction',
          failedResource: 'alert-notifier',
          errorMessage: 'ResourceNotFoundException: alert-notifier is not running yet',
        },
      ],
    });
    expect(Buffer.from(errors[0]!.base64OriginalPayload, 'base64').toString()).toBe(JSON.stringify(payload));
    expect(outcomes.find((o) => o.ruleName === 'towerwatch_alert')?.ok).toBe(false);
  });

  it('leaves the Lambda action out where no function runs (`--only iot`): the stream copy only', async () => {
    const errors: RuleErrorPayload[] = [];
    h = await startHarness(certsDir, { errorSink: (p) => void errors.push(p) });
    const client = await connectTower(h, 'tower-1');
    await client.publishAsync(deviceTopic('tower-1', 'alert'), JSON.stringify(payload), { qos: 1 });
    await waitFor(() => streamAlerts(h!).length === 1, 'the stream copy');
    expect(streamAlerts(h)).toEqual([ruleOutput(payload, 'alert', 'tower-1', FIXED_NOW)]);
    expect(errors).toEqual([]);
  });
});
