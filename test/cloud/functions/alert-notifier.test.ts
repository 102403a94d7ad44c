import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  createNotifierHandler,
  createSweepHandler,
} from '../../../cloud/functions/alert-notifier/handler.js';
import { sweep } from '../../../cloud/functions/alert-notifier/sweep.js';
import type { NotifierDeps } from '../../../cloud/functions/alert-notifier/types.js';
import { memoryDestination } from '../../../local/aws/esm/index.js';
import { ALERT_TOPIC_NAME, type SnsMessage } from '../../../local/aws/index.js';
import { counterMetrics } from '../../../local/aws/metrics.js';
import {
  deliverAndWait,
  manualClock,
  type PutItem,
  scanSorted,
  useLocalAwsWithMapping,
} from '../../local/aws/helpers.js';
import { alert, lifecycle, lifecyclePut, put, silentLog, T0 } from './fixtures.js';

const clock = manualClock(T0);
const env = useLocalAwsWithMapping({ clock });
let n = 0;

const MIN = 60_000;

async function setup(opts: { windowMs?: number; graceMs?: number; sns?: SNSClient } = {}) {
  n++;
  clock.set(T0);
  const res = await env.aws.createResources({
    streamName: `notifier-${n}`,
    shardCount: 1,
    tableName: `notifier-${n}`,
  });
  const topicArn = env.aws.sns.topicArn(ALERT_TOPIC_NAME.replace('.fifo', `-${n}.fifo`));
  const metrics = counterMetrics();
  const deps: NotifierDeps = {
    tableName: res.tableName,
    topicArn,
    offlineGraceMs: opts.graceMs ?? 5 * MIN,
    suppressionWindowMs: opts.windowMs ?? 0,
    doc: env.aws.clients.doc,
    sns: opts.sns ?? env.aws.clients.sns,
    clock,
    metrics,
    log: silentLog,
  };
  const destination = memoryDestination();
  const m = await env.startMapping({
    streamName: res.streamName,
    streamArn: res.streamArn,
    functionName: 'alert-notifier',
    handler: createNotifierHandler(deps),
    batchSize: 20,
    maximumRetryAttempts: 5,
    onFailure: destination,
    clock,
  });
  const deliver = (items: PutItem[]) => deliverAndWait(env.aws, m, res.streamName, items);
  const messages = (): SnsMessage[] => env.aws.sns.published.filter((p) => p.topicArn === topicArn);
  const scan = () => scanSorted(env.aws.clients.doc, res.tableName);
  return { deps, metrics, destination, deliver, messages, scan, sweep: createSweepHandler(deps) };
}

const alertPut = (a: ReturnType<typeof alert>, receivedAt = a.time + 100) =>
  put(a, 'alert', a.towerId, receivedAt);
const summary = (m: SnsMessage) =>
  `${m.attributes.towerId} ${m.attributes.state} ${m.message.split('Alert id: ')[1]}`;

describe('alert-notifier through the event source mapping', () => {
  it('sends one readable, filterable message per alert transition, even when records are redelivered', async () => {
    const s = await setup();
    const puts = [
      alertPut(alert('t1', 'a-1', 'raise', T0, { message: 'cabinet overheating' })),
      alertPut(
        alert('t1', 'a-2', 'raise', T0 + 1_000, {
          sensorId: 'rh-cabinet',
          rule: 'threshold-low',
          severity: 'warning',
        }),
      ),
      alertPut(alert('t1', 'a-1', 'clear', T0 + 2_000)),
    ];
    await s.deliver(puts);
    const table = await s.scan();
    await s.deliver(puts);
    await s.deliver([puts[2]!, puts[0]!]);
    expect(s.messages().map(summary)).toEqual(['t1 raise a-1', 't1 raise a-2', 't1 clear a-1']);
    expect(await s.scan()).toEqual(table);
    const first = s.messages()[0]!;
    expect(first.subject).toBe('[CRITICAL] t1 temp-cabinet threshold-high raised');
    expect(first.message).toContain('Value 47.5, threshold 45.');
    expect(first.message).toContain('cabinet overheating');
    expect(first.attributes).toMatchObject({ severity: 'critical', towerId: 't1', sensor: 'temp-cabinet' });
    expect(s.metrics.totals['AlertCount{severity=critical}']).toBe(1);
    expect(s.metrics.totals['AlertCount{severity=warning}']).toBe(1);
    expect(s.metrics.totals.AlertDuplicates).toBe(5);
  });

  it("never lets one tower settle another tower's notification that shares its alert id", async () => {
    const s = await setup();
    // Alert ids come from devices: t2 reusing (or forging) t1's id must not suppress t1's notification.
    await s.deliver([
      alertPut(alert('t2', 'a-1', 'raise', T0)),
      alertPut(alert('t2', 'a-1', 'clear', T0 + 500)),
    ]);
    await s.deliver([
      alertPut(alert('t1', 'a-1', 'raise', T0 + 1_000)),
      alertPut(alert('t1', 'a-1', 'clear', T0 + 2_000)),
    ]);
    expect(s.messages().map(summary)).toEqual([
      't2 raise a-1',
      't2 clear a-1',
      't1 raise a-1',
      't1 clear a-1',
    ]);
    expect(s.metrics.totals.AlertDuplicates ?? 0).toBe(0);
  });

  it('retries a failed publish and still sends exactly one message', async () => {
    let failNext = 2;
    const flakySns = {
      send: async (command: PublishCommand) => {
        if (command instanceof PublishCommand && failNext-- > 0) {
          throw Object.assign(new Error('SNS unavailable'), { name: 'InternalErrorException' });
        }
        return env.aws.clients.sns.send(command);
      },
    } as unknown as SNSClient;
    const s = await setup({ sns: flakySns });
    await s.deliver([
      alertPut(alert('t1', 'a-1', 'raise', T0)),
      alertPut(alert('t1', 'a-1', 'clear', T0 + 1_000)),
    ]);
    expect(s.messages().map(summary)).toEqual(['t1 raise a-1', 't1 clear a-1']);
    expect(s.destination.failures).toEqual([]);
  });

  it('sends one raise and one "cleared" for a flapping signal', async () => {
    const s = await setup({ windowMs: 10 * MIN });
    const flaps = [0, 1, 2].flatMap((i) => [
      alertPut(alert('t1', `a-${i}`, 'raise', T0 + i * MIN)),
      alertPut(alert('t1', `a-${i}`, 'clear', T0 + i * MIN + 30_000)),
    ]);
    await s.deliver(flaps);
    expect(s.messages().map(summary)).toEqual(['t1 raise a-0']);
    clock.set(T0 + 2 * MIN + 30_100 + 10 * MIN - 1);
    expect(await s.sweep()).toEqual({ offlineRaised: 0, clearsSent: 0 });
    clock.advance(1);
    expect(await s.sweep()).toEqual({ offlineRaised: 0, clearsSent: 1 });
    expect(await s.sweep()).toEqual({ offlineRaised: 0, clearsSent: 0 });
    expect(s.messages().map(summary)).toEqual(['t1 raise a-0', 't1 clear a-0']);
    expect(s.metrics.totals.AlertsSuppressed).toBe(5);

    await s.deliver([alertPut(alert('t1', 'a-9', 'raise', T0 + 30 * MIN))]);
    expect(s.messages().map(summary)).toEqual(['t1 raise a-0', 't1 clear a-0', 't1 raise a-9']);
  });

  it('lets an escalation through the suppression window', async () => {
    const s = await setup({ windowMs: 10 * MIN });
    await s.deliver([
      alertPut(alert('t1', 'w-1', 'raise', T0, { severity: 'warning' })),
      alertPut(alert('t1', 'w-2', 'raise', T0 + 1_000, { severity: 'warning' })),
      alertPut(alert('t1', 'c-1', 'raise', T0 + 2_000, { severity: 'critical' })),
    ]);
    expect(s.messages().map((m) => m.attributes.severity)).toEqual(['warning', 'critical']);
  });

  it('raises tower-offline only once the grace period passes without a reconnect, and clears it on reconnect', async () => {
    const s = await setup({ graceMs: 5 * MIN });
    await s.deliver([
      lifecyclePut(lifecycle('t1', 'connected', T0)),
      lifecyclePut(lifecycle('t1', 'disconnected', T0 + MIN)),
      lifecyclePut(lifecycle('t2', 'connected', T0)),
      lifecyclePut(lifecycle('t2', 'disconnected', T0 + MIN)),
      lifecyclePut(lifecycle('t2', 'connected', T0 + 3 * MIN)),
      lifecyclePut(lifecycle('t3', 'connected', T0)),
      lifecyclePut(lifecycle('t3#2', 'connected', T0 + MIN)),
      lifecyclePut(lifecycle('t3', 'disconnected', T0 + 2 * MIN)),
    ]);
    clock.set(T0 + 6 * MIN - 1);
    expect((await s.sweep()).offlineRaised).toBe(0);
    clock.set(T0 + 20 * MIN);
    expect((await s.sweep()).offlineRaised).toBe(1);
    expect((await s.sweep()).offlineRaised).toBe(0);
    expect(s.messages()).toHaveLength(1);
    const offline = s.messages()[0]!;
    expect(offline.subject).toBe('[CRITICAL] t1 tower-offline raised');
    expect(offline.attributes).toMatchObject({
      towerId: 't1',
      sensor: 'tower',
      severity: 'critical',
      rule: 'tower-offline',
    });

    await s.deliver([lifecyclePut(lifecycle('t1#1', 'connected', T0 + 21 * MIN))]);
    expect(s.messages().map((m) => m.subject)).toEqual([
      '[CRITICAL] t1 tower-offline raised',
      '[CRITICAL] t1 tower-offline cleared',
    ]);
  });

  /** The sweep's deps, with `between` run once after the sweep has read its due index and before it acts. */
  function sweepWithRace(deps: NotifierDeps, between: () => Promise<unknown>): NotifierDeps {
    let fired = false;
    // A prototype-linked copy: the paginator insists on a DynamoDBDocumentClient instance.
    const doc: DynamoDBDocumentClient = Object.create(deps.doc);
    doc.send = (async (command: QueryCommand) => {
      const out = await deps.doc.send(command);
      if (command instanceof QueryCommand && !fired) {
        fired = true;
        await between();
      }
      return out;
    }) as DynamoDBDocumentClient['send'];
    return { ...deps, doc };
  }

  it('a tower that reconnects while the sweep raises offline ends with no open offline alert', async () => {
    const s = await setup({ graceMs: 5 * MIN });
    await s.deliver([
      lifecyclePut(lifecycle('t1', 'connected', T0)),
      lifecyclePut(lifecycle('t1', 'disconnected', T0 + MIN)),
    ]);
    clock.set(T0 + 20 * MIN);
    const reconnect = () => s.deliver([lifecyclePut(lifecycle('t1', 'connected', T0 + 20 * MIN))]);
    await sweep(sweepWithRace(s.deps, reconnect));
    // Either nothing (the reconnect won) or a raise and its clear: never a raise left open.
    const subjects = s.messages().map((m) => m.subject ?? '');
    expect(subjects.filter((x) => x.endsWith('raised')).length).toBe(
      subjects.filter((x) => x.endsWith('cleared')).length,
    );
    expect(await s.sweep()).toEqual({ offlineRaised: 0, clearsSent: 0 });
  });

  it('a re-raise while the sweep sends a held clear never leaves "cleared" as the last word', async () => {
    const s = await setup({ windowMs: 10 * MIN });
    await s.deliver([
      alertPut(alert('t1', 'a-1', 'raise', T0)),
      alertPut(alert('t1', 'a-1', 'clear', T0 + 1_000)),
    ]);
    clock.set(T0 + 20 * MIN);
    const reraise = () => s.deliver([alertPut(alert('t1', 'a-2', 'raise', T0 + 20 * MIN), T0 + 20 * MIN)]);
    await sweep(sweepWithRace(s.deps, reraise));
    await s.sweep();
    // The last word users read matches the tower: raised (the re-raise either continues the
    // episode whose clear was not sent, or starts a new one and is notified), never "cleared".
    expect(s.messages().at(-1)?.attributes.state).toBe('raise');
  });

  it('quarantines an alert whose payload names another tower than its topic', async () => {
    const s = await setup();
    await s.deliver([
      put(alert('t2', 'x-1', 'raise', T0), 'alert', 't1', T0),
      alertPut(alert('t1', 'a-1', 'raise', T0)),
    ]);
    expect(s.messages().map(summary)).toEqual(['t1 raise a-1']);
    const q = (await s.scan()).filter((i) => i.kind === 'quarantine');
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ consumer: 'alert-notifier', field: 'towerId' });
  });
});
