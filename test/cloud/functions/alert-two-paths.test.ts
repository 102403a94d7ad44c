import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { KEYS } from '../../../cloud/data/keys.js';
import { notifyRuleEvent } from '../../../cloud/functions/alert-notifier/direct.js';
import { createNotifierHandler } from '../../../cloud/functions/alert-notifier/handler.js';
import type { NotifierDeps } from '../../../cloud/functions/alert-notifier/types.js';
import type { Alert } from '../../../protocol/index.js';
import { ALERT_TOPIC_NAME, type SnsMessage } from '../../../local/aws/index.js';
import { counterMetrics } from '../../../local/aws/metrics.js';
import { scanSorted, useLocalAwsWithMapping } from '../../local/aws/helpers.js';
import { alert, kinesisRecord, ruleOutput, T0 } from './fixtures.js';

const env = useLocalAwsWithMapping();
let n = 0;
const MIN = 60_000;

async function setup(opts: { windowMs?: number; sns?: SNSClient } = {}) {
  n++;
  const res = await env.aws.createResources({
    streamName: `two-paths-${n}`,
    shardCount: 1,
    tableName: `two-paths-${n}`,
  });
  const topicArn = env.aws.sns.topicArn(ALERT_TOPIC_NAME.replace('.fifo', `-two-paths-${n}.fifo`));
  const metrics = counterMetrics();
  const warnings: { message: string; detail: unknown }[] = [];
  const deps: NotifierDeps = {
    tableName: res.tableName,
    topicArn,
    offlineGraceMs: 5 * MIN,
    suppressionWindowMs: opts.windowMs ?? 0,
    doc: env.aws.clients.doc,
    sns: opts.sns ?? env.aws.clients.sns,
    clock: { now: () => T0 },
    metrics,
    log: {
      warn: (message: string, detail: unknown) => warnings.push({ message, detail }),
      error: () => {},
    } as never,
  };
  const handler = createNotifierHandler(deps);
  /** The alert rule's Lambda action: the rule output itself is the event. */
  const direct = (a: Alert, receivedAt = a.time + 50) => ruleOutput(a, 'alert', a.towerId, receivedAt);
  /** The same alerts as one tower's Kinesis batch, in stream order. */
  const batch = (...alerts: Alert[]) => ({
    Records: alerts.map((a) => kinesisRecord(ruleOutput(a, 'alert', a.towerId, a.time + 50), a.towerId)),
  });
  const messages = (): SnsMessage[] => env.aws.sns.published.filter((p) => p.topicArn === topicArn);
  const sent = () => messages().map((m) => `${m.attributes.state} ${m.message.split('Alert id: ')[1]}`);
  return { deps, metrics, warnings, handler, direct, batch, messages, sent, tableName: res.tableName };
}

describe('alert-notifier with the direct path and the stream both delivering', () => {
  it('takes the rule event shape and notifies at once; the stream copy is then a duplicate', async () => {
    const s = await setup();
    const raise = alert('t1', 'a-1', 'raise', T0);
    expect(await s.handler(s.direct(raise))).toBeUndefined();
    expect(s.sent()).toEqual(['raise a-1']);
    expect(s.messages()[0]!.subject).toBe('[CRITICAL] t1 temp-cabinet threshold-high raised');

    expect(await s.handler(s.batch(raise))).toEqual({ batchItemFailures: [] });
    expect(s.sent()).toEqual(['raise a-1']);
    expect(s.metrics.totals.AlertDuplicates).toBe(1);
    expect(s.metrics.totals['AlertCount{severity=critical}']).toBe(1);
  });

  it('sends one message when the stream copy comes first and the direct copy (twice) after', async () => {
    const s = await setup();
    const raise = alert('t1', 'a-1', 'raise', T0);
    const clear = alert('t1', 'a-1', 'clear', T0 + 5_000);
    await s.handler(s.batch(raise, clear));
    for (const a of [raise, clear, raise, clear]) {
      expect(await notifyRuleEvent(s.direct(a), s.deps)).toBe('duplicate');
    }
    expect(s.sent()).toEqual(['raise a-1', 'clear a-1']);
    expect(s.metrics.totals['AlertCount{severity=critical}']).toBe(1);
  });

  it('notifies every transition exactly once when both paths deliver concurrently, in any order', async () => {
    const s = await setup();
    const towers = ['t1', 't2', 't3', 't4'];
    const episodes = towers.flatMap((t) =>
      [0, 1].map((i) => ({
        raise: alert(t, `${t}-e${i}`, 'raise', T0 + i * MIN, { sensorId: `s${i}` }),
        clear: alert(t, `${t}-e${i}`, 'clear', T0 + i * MIN + 10_000, { sensorId: `s${i}` }),
      })),
    );
    // Each tower's stream batch in order; the direct invokes all at once, some twice, clears first.
    const streamBatches = towers.map((t) =>
      s.batch(...episodes.filter((e) => e.raise.towerId === t).flatMap((e) => [e.raise, e.clear])),
    );
    const directs = episodes.flatMap((e) => [e.clear, e.raise, e.raise]).map((a) => s.direct(a));
    const results = await Promise.all([
      ...directs.map((d) => s.handler(d)),
      ...streamBatches.map((b) => s.handler(b)),
      ...directs.map((d) => s.handler(d)),
    ]);
    // The stream batches report no failures: whichever path held a claim, the other waited or gave way.
    expect(results.filter((r) => r !== undefined)).toEqual(towers.map(() => ({ batchItemFailures: [] })));

    const expected = episodes.flatMap((e) => [`raise ${e.raise.alertId}`, `clear ${e.raise.alertId}`]);
    expect([...s.sent()].sort()).toEqual([...expected].sort());
    for (const e of episodes) {
      const sent = s.sent();
      expect(sent.indexOf(`raise ${e.raise.alertId}`)).toBeLessThan(sent.indexOf(`clear ${e.raise.alertId}`));
    }
    expect(s.metrics.totals['AlertCount{severity=critical}']).toBe(episodes.length);
    const claims = (await scanSorted(env.aws.clients.doc, s.tableName)).filter(
      (i) => i.kind === 'alert-claim',
    );
    expect(claims).toHaveLength(episodes.length * 2);
    expect(claims.every((c) => c.status === 'sent')).toBe(true);
  });

  // The choice: a clear never goes out before its raise. The direct path takes a clear only once its
  // raise is settled; otherwise it hands the clear back and the stream, in the tower's order, sends it.
  it('leaves a clear that arrives before its raise to the stream, which sends raise then clear', async () => {
    const s = await setup();
    const raise = alert('t1', 'a-1', 'raise', T0);
    const clear = alert('t1', 'a-1', 'clear', T0 + 3_000);
    expect(await notifyRuleEvent(s.direct(clear), s.deps)).toBe('left-to-stream');
    expect(s.sent()).toEqual([]);
    expect(s.metrics.totals.AlertsLeftToStream).toBe(1);

    expect(await notifyRuleEvent(s.direct(raise), s.deps)).toBe('notified');
    await s.handler(s.batch(raise, clear));
    expect(s.sent()).toEqual(['raise a-1', 'clear a-1']);

    // With its raise settled, a clear on the direct path goes out at once.
    const raise2 = alert('t1', 'a-2', 'raise', T0 + MIN);
    const clear2 = alert('t1', 'a-2', 'clear', T0 + MIN + 3_000);
    expect(await notifyRuleEvent(s.direct(raise2), s.deps)).toBe('notified');
    expect(await notifyRuleEvent(s.direct(clear2), s.deps)).toBe('notified');
    expect(s.sent()).toEqual(['raise a-1', 'clear a-1', 'raise a-2', 'clear a-2']);
  });

  it('leaves a raise on an open episode (an escalation, or a clear not decided yet) to the stream', async () => {
    const s = await setup({ windowMs: 10 * MIN });
    const warning = alert('t1', 'w-1', 'raise', T0, { severity: 'warning' });
    const critical = alert('t1', 'c-1', 'raise', T0 + 1_000, { severity: 'critical' });
    expect(await notifyRuleEvent(s.direct(warning), s.deps)).toBe('notified');
    expect(await notifyRuleEvent(s.direct(critical), s.deps)).toBe('left-to-stream');
    await s.handler(s.batch(warning, critical));
    expect(s.messages().map((m) => m.attributes.severity)).toEqual(['warning', 'critical']);
  });

  it('gives way at once while the other path holds the claim, without throwing', async () => {
    const s = await setup();
    const raise = alert('t1', 'a-1', 'raise', T0);
    await env.aws.clients.doc.send(
      new PutCommand({
        TableName: s.tableName,
        Item: { ...KEYS.alertClaim('t1', 'a-1', 'STATE#raise'), status: 'pending', leaseUntil: T0 + MIN },
      }),
    );
    expect(await notifyRuleEvent(s.direct(raise), s.deps)).toBe('busy');
    expect(await s.handler(s.direct(raise))).toBeUndefined();
    expect(s.sent()).toEqual([]);
  });

  it('throws a transient failure so Lambda retries; the stream copy then sends the decision already taken', async () => {
    let failures = 1;
    const flaky = {
      send: async (command: PublishCommand) => {
        if (command instanceof PublishCommand && failures-- > 0) {
          throw Object.assign(new Error('SNS unavailable'), { name: 'InternalErrorException' });
        }
        return env.aws.clients.sns.send(command);
      },
    } as unknown as SNSClient;
    // With a suppression window, deciding again on the state the first attempt moved would call this
    // raise a repeat of its own episode and suppress it.
    const s = await setup({ windowMs: 10 * MIN, sns: flaky });
    const raise = alert('t1', 'a-1', 'raise', T0);
    await expect(s.handler(s.direct(raise))).rejects.toThrow(/SNS unavailable/);
    expect(s.sent()).toEqual([]);
    // The stream copy delivers what the failed invoke decided; Lambda's retry then finds it sent.
    expect(await s.handler(s.batch(raise))).toEqual({ batchItemFailures: [] });
    expect(s.sent()).toEqual(['raise a-1']);
    expect(await notifyRuleEvent(s.direct(raise), s.deps)).toBe('duplicate');
    expect(s.sent()).toEqual(['raise a-1']);
    expect(s.metrics.totals.AlertsSuppressed).toBeUndefined();
  });

  it('logs and drops a direct event it can never read, never throwing (the stream copy is quarantined)', async () => {
    const s = await setup();
    const good = alert('t1', 'a-1', 'raise', T0);
    const bad: unknown[] = [
      'not an object',
      { ...s.direct(good), messageType: 'telemetry' },
      s.direct({ ...good, severity: 'apocalyptic' } as never),
      { ...s.direct(good), towerId: 't2' },
      { ...s.direct(good), receivedAt: 'yesterday' },
    ];
    for (const event of bad) {
      expect(await notifyRuleEvent(event, s.deps)).toBe('rejected');
      await expect(s.handler(event as never)).resolves.toBeUndefined();
    }
    expect(s.metrics.totals.DirectEventsRejected).toBe(bad.length * 2);
    const fields = ['data', 'messageType', 'severity', 'towerId', 'receivedAt'];
    expect(s.warnings.map((w) => (w.detail as { field: string }).field)).toEqual(
      fields.flatMap((f) => [f, f]),
    );
    expect(s.sent()).toEqual([]);
    expect(await scanSorted(env.aws.clients.doc, s.tableName)).toEqual([]);
  });
});
