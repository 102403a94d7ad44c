import type { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handleAlert } from '../../../cloud/functions/alert-notifier/transition.js';
import type { NotifierDeps } from '../../../cloud/functions/alert-notifier/types.js';
import { ALERT_TOPIC_NAME } from '../../../local/aws/index.js';
import { counterMetrics } from '../../../local/aws/metrics.js';
import { manualClock, useLocalAwsWithMapping } from '../../local/aws/helpers.js';
import { alert, silentLog, T0 } from './fixtures.js';

const clock = manualClock(T0);
const env = useLocalAwsWithMapping({ clock });
let n = 0;
const LEASE_MS = 60_000;

/**
 * Each failure below hits between the SNS publish and settling the claim, where the claim alone
 * cannot tell whether the message went out. The FIFO topic's de-duplication id makes the repeat
 * harmless: what subscribers receive is asserted, not what the notifier attempted.
 */
async function setup(faults: { sns?: (c: PublishCommand) => void; settle?: () => void } = {}) {
  n++;
  clock.set(T0);
  const res = await env.aws.createResources({
    streamName: `fifo-${n}`,
    shardCount: 1,
    tableName: `fifo-${n}`,
  });
  const topicArn = env.aws.sns.topicArn(ALERT_TOPIC_NAME.replace('.fifo', `-x${n}.fifo`));
  const sns = {
    send: async (command: PublishCommand) => {
      const out = await env.aws.clients.sns.send(command);
      faults.sns?.(command);
      return out;
    },
  } as unknown as SNSClient;
  const doc: DynamoDBDocumentClient = Object.create(env.aws.clients.doc);
  doc.send = (async (command: UpdateCommand) => {
    if (command instanceof UpdateCommand && command.input.ExpressionAttributeValues?.[':s'] === 'sent') {
      faults.settle?.();
    }
    return env.aws.clients.doc.send(command);
  }) as DynamoDBDocumentClient['send'];
  const deps: NotifierDeps = {
    tableName: res.tableName,
    topicArn,
    offlineGraceMs: 300_000,
    suppressionWindowMs: 0,
    doc,
    sns,
    clock,
    metrics: counterMetrics(),
    log: silentLog,
    claimLeaseMs: LEASE_MS,
    claimWaitMs: 0,
  };
  const received = () => env.aws.sns.published.filter((m) => m.topicArn === topicArn);
  /** Delivers until it succeeds, moving the clock past the lease after each failure (Lambda's retries). */
  const deliverUntilDone = async (a: ReturnType<typeof alert>, path: 'stream' | 'direct') => {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        return await handleAlert(deps, a, a.time + 100, path);
      } catch {
        clock.advance(LEASE_MS + 1);
      }
    }
    throw new Error('never delivered');
  };
  return { deps, received, deliverUntilDone };
}

describe('alert-notifier over an SNS FIFO topic', () => {
  it('publishes with the tower as message group and towerId#alertId#state as de-duplication key', async () => {
    const s = await setup();
    await s.deliverUntilDone(alert('t1', 'a-1', 'raise', T0), 'stream');
    const [m] = s.received();
    expect(m?.messageGroupId).toBe('t1');
    expect(m?.deduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a crash right after the publish (claim never settled): one message', async () => {
    let crashes = 1;
    const s = await setup({
      sns: () => {
        if (crashes-- > 0) throw new Error('Task timed out after 30.00 seconds');
      },
    });
    await s.deliverUntilDone(alert('t1', 'a-1', 'raise', T0), 'stream');
    expect(s.received()).toHaveLength(1);
  });

  it('a throttled settle after the publish: one message', async () => {
    let throttles = 2;
    const s = await setup({
      settle: () => {
        if (throttles-- > 0) {
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
            name: 'ProvisionedThroughputExceededException',
          });
        }
      },
    });
    await s.deliverUntilDone(alert('t1', 'a-1', 'raise', T0), 'direct');
    expect(s.received()).toHaveLength(1);
  });

  it('the stream copy arriving later, after the direct copy died before settling: one message', async () => {
    let crashes = 1;
    const s = await setup({
      settle: () => {
        if (crashes-- > 0) throw new Error('Lambda was killed');
      },
    });
    const raise = alert('t1', 'a-1', 'raise', T0);
    await expect(handleAlert(s.deps, raise, raise.time + 100, 'direct')).rejects.toThrow();
    clock.advance(2 * LEASE_MS);
    await s.deliverUntilDone(raise, 'stream');
    expect(s.received()).toHaveLength(1);
  });
});
