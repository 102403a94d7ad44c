import { describe, expect, it } from 'vitest';
import { LocalIotError, MemoryKinesisSink, RulesEngine } from '../../../local/iot/index.js';

const clock = { now: () => 1_763_900_000_000 };
const msg = (topic: string, payload: unknown, clientId = 'tower-1') => ({
  topic,
  payload: Buffer.from(JSON.stringify(payload)),
  clientId,
  receivedAt: clock.now(),
});

describe('rules engine', () => {
  it('renders partition-key templates and republishes the SELECT output', async () => {
    const sink = new MemoryKinesisSink();
    const republished: { topic: string; payload: string; qos: number }[] = [];
    const engine = new RulesEngine(
      [
        {
          name: 'by_tower',
          sql: "SELECT temp, topic(3) AS tower FROM 'dt/towerwatch/+/telemetry' WHERE temp > 50",
          actions: [
            { kind: 'kinesis', streamName: 's', partitionKey: '${topic(3)}-${newuuid()}' },
            { kind: 'republish', topic: 'hot/${topic(3)}', qos: 1 },
          ],
        },
      ],
      {
        kinesis: sink,
        clock,
        republish: async (topic, payload, qos) =>
          void republished.push({ topic, payload: payload.toString(), qos }),
      },
    );
    await engine.dispatch(msg('dt/towerwatch/t7/telemetry', { temp: 60, other: 1 }));
    await engine.dispatch(msg('dt/towerwatch/t7/telemetry', { temp: 20 }));
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]!.partitionKey).toMatch(/^t7-[0-9a-f-]{36}$/);
    expect(sink.json(0)).toEqual({ temp: 60, tower: 't7' });
    expect(republished).toEqual([{ topic: 'hot/t7', payload: '{"temp":60,"tower":"t7"}', qos: 1 }]);
  });

  it('sends an evaluation failure and a failing action to the errorAction, not silently dropping them', async () => {
    const sink = new MemoryKinesisSink();
    const errors: unknown[] = [];
    const outcomes: boolean[] = [];
    const engine = new RulesEngine(
      [
        {
          name: 'r1',
          sql: "SELECT *, 1 AS one FROM 'a/+'",
          actions: [{ kind: 'kinesis', streamName: 's', partitionKey: '${missing}' }],
          errorAction: {
            kind: 'callback',
            name: 'errors',
            deliver: (b) => void errors.push(JSON.parse(Buffer.from(b).toString())),
          },
        },
      ],
      { kinesis: sink, clock, republish: async () => {}, onOutcome: (o) => void outcomes.push(o.ok) },
    );
    // an Undefined substitution gives an empty partition key, which Kinesis refuses
    await engine.dispatch(msg('a/b', { x: 1 }));
    // a non-object payload cannot be merged with other fields
    await engine.dispatch({ ...msg('a/b', 0), payload: Buffer.from('[1]') });
    expect(outcomes).toEqual([false, false]);
    expect(errors).toMatchObject([
      {
        ruleName: 'r1',
        failures: [
          {
            failedAction: 'KinesisAction',
            failedResource: 's',
            errorMessage: expect.stringMatching(/partition key/),
          },
        ],
      },
      { ruleName: 'r1', failures: [{ failedAction: 'SqlEvaluation' }] },
    ]);
  });

  it('refuses a rule it cannot run at load, naming the rule and position', () => {
    const deps = { kinesis: new MemoryKinesisSink(), clock, republish: async () => {} };
    const action = { kind: 'kinesis', streamName: 's', partitionKey: 'k' } as const;
    expect(
      () => new RulesEngine([{ name: 'bad', sql: "SELECT * FROM 'a' WHERE", actions: [action] }], deps),
    ).toThrow(/rule bad: expected an expression but the statement ended at position 23/);
    expect(
      () => new RulesEngine([{ name: 'bad-name', sql: "SELECT * FROM 'a'", actions: [action] }], deps),
    ).toThrow(LocalIotError);
    expect(
      () =>
        new RulesEngine(
          [{ name: 'tpl', sql: "SELECT * FROM 'a'", actions: [{ ...action, partitionKey: '${topic(}' }] }],
          deps,
        ),
    ).toThrow(/rule tpl: action template/);
  });
});
