import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readingsStored, startTestStack, type TestStack, waitUntil } from '../../e2e/support/stack.js';

/**
 * The alert rule's direct invoke is a path of its own: with alert-notifier's stream consumer
 * disabled, a spike still reaches the SNS sink; once the consumer runs again its copy of the same
 * alert is a duplicate, and the counters count the alert once.
 */
describe('local stack: the direct alert path', { timeout: 120_000 }, () => {
  let t: TestStack;

  beforeAll(async () => {
    t = await startTestStack({ consumerEnv: { ALERT_SUPPRESSION_WINDOW_MS: '0' } });
    await waitUntil('the first readings in DynamoDB', () => readingsStored(t.stack) > 0);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('notifies through the direct invoke while the stream consumer is paused, and only once after it resumes', async () => {
    const { stack } = t;
    const consumers = stack.consumers;
    const notifierMapping = () => consumers.stats().mappings['alert-notifier']!;
    const metric = (name: string) => consumers.stats().metrics['alert-notifier']?.[name] ?? 0;
    const sns = () => stack.aws.sns.published.filter((m) => m.attributes.towerId === 'tower-001');

    await consumers.setMappingEnabled('alert-notifier', false);
    const completedWhilePaused = notifierMapping().recordsCompleted;
    const acceptedBefore = consumers.stats().asyncInvokes['alert-notifier']!.accepted;

    stack.fleet.get('tower-001')!.monitor.simulator!.inject('temp-cabinet', { kind: 'spike', value: 52 });
    await waitUntil('a threshold-high SNS message for tower-001', () =>
      sns().some((m) => m.attributes.rule === 'threshold-high'),
    );
    // Nothing came through the stream consumer: the message is the direct path's.
    expect(notifierMapping().recordsCompleted).toBe(completedWhilePaused);
    expect(consumers.stats().asyncInvokes['alert-notifier']!.accepted).toBeGreaterThan(acceptedBefore);

    const notifiedByDirect = sns().length;
    await consumers.setMappingEnabled('alert-notifier', true);
    await waitUntil(
      'the stream consumer to reach the same alerts',
      () => metric('AlertDuplicates') >= notifiedByDirect,
    );
    await consumers.asyncIdle();
    stack.fleet.get('tower-001')!.monitor.simulator!.clear('temp-cabinet');

    const threshold = sns().filter(
      (m) => m.attributes.rule === 'threshold-high' && m.attributes.state === 'raise',
    );
    expect(threshold).toHaveLength(1);
    expect(new Set(sns().map((m) => `${m.attributes.rule} ${m.attributes.state}`)).size).toBe(sns().length);
    // One alert, counted once in the live summary and the function's metrics.
    const raised = stack.aws.sns.published.filter((m) => m.attributes.state === 'raise').length;
    expect(stack.view.counters().alertsNotified).toBe(stack.aws.sns.published.length);
    expect(metric('AlertCount{severity=critical}') + metric('AlertCount{severity=warning}')).toBe(raised);
    expect(consumers.stats().asyncInvokes['alert-notifier']).toMatchObject({
      functionErrors: 0,
      toDestination: 0,
    });
  });
});
