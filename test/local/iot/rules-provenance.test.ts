import { describe, expect, it } from 'vitest';
import { PoisonRecordError } from '../../../cloud/functions/shared/errors.js';
import { decodeRuleRecord, ruleOutputOf } from '../../../cloud/functions/shared/records.js';
import { type LocalTopicRule, MemoryKinesisSink, RulesEngine } from '../../../local/iot/index.js';
import { evaluateQuery, type MessageContext, parseQuery } from '../../../local/iot/sql/index.js';
import { deviceTopic, TOPIC_RULES } from '../../../protocol/index.js';
import { alert, batch, kinesisRecord } from '../../cloud/functions/fixtures.js';

const NOW = 1_763_900_000_000;
const clock = { now: () => NOW };

/** The deployed rules as the local engine runs them: every action goes to one memory stream. */
function deployedRules(invoked: unknown[]): LocalTopicRule[] {
  return TOPIC_RULES.map((r) => ({
    name: r.name,
    sql: r.sql,
    actions: [
      { kind: 'kinesis', streamName: 'ingest', partitionKey: r.partitionKey },
      {
        kind: 'callback',
        name: 'direct-invoke',
        deliver: (event: Uint8Array) => void invoked.push(JSON.parse(Buffer.from(event).toString('utf8'))),
      },
    ],
  }));
}

/** Fields a device could add hoping to pass for another tower, type or time. */
const SPOOF = { topicTowerId: 'tower-2', messageType: 'status', receivedAt: 1, payload: 'eyJ4IjoxfQ==' };

describe('the rule output names the topic, whatever the device payload contains', () => {
  it('a telemetry payload claiming another tower decodes to the topic tower, with the device bytes untouched', async () => {
    const sink = new MemoryKinesisSink();
    const engine = new RulesEngine(deployedRules([]), { kinesis: sink, clock, republish: async () => {} });
    const device = { ...batch('tower-2', 7, NOW - 10_000, ['t'], 2), ...SPOOF, towerId: 'tower-2' };
    const bytes = Buffer.from(JSON.stringify(device, null, 1));
    await engine.dispatch({
      topic: deviceTopic('tower-1', 'telemetry'),
      payload: bytes,
      clientId: 'tower-1',
      receivedAt: NOW,
    });

    expect(sink.records).toHaveLength(1);
    const stored = sink.records[0]!;
    expect(stored.partitionKey).toBe('tower-1');
    const output = JSON.parse(Buffer.from(stored.data).toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(output).sort()).toEqual(['messageType', 'payload', 'receivedAt', 'towerId']);

    const record = decodeRuleRecord(kinesisRecord(output, stored.partitionKey));
    expect(record.towerId).toBe('tower-1');
    expect(record.messageType).toBe('telemetry');
    expect(record.receivedAt).toBe(NOW);
    // The consumer sees exactly what the device sent, so its own towerId check sees the mismatch.
    expect(record.payload).toEqual(device);
  });

  it('an alert claiming another tower reaches the stream and the direct invoke as the topic tower', async () => {
    const sink = new MemoryKinesisSink();
    const invoked: unknown[] = [];
    const engine = new RulesEngine(deployedRules(invoked), {
      kinesis: sink,
      clock,
      republish: async () => {},
    });
    const device = { ...alert('tower-1', 'tower-1:a-1', 'raise', NOW - 1_000), ...SPOOF };
    await engine.dispatch({
      topic: deviceTopic('tower-1', 'alert'),
      payload: Buffer.from(JSON.stringify(device)),
      clientId: 'tower-1',
      receivedAt: NOW,
    });

    const viaStream = decodeRuleRecord(kinesisRecord(sink.json(0) as object, 'tower-1'));
    const direct = ruleOutputOf(invoked[0]);
    for (const out of [viaStream, direct]) {
      expect(out).toMatchObject({ towerId: 'tower-1', messageType: 'alert', receivedAt: NOW });
      expect(out.payload).toEqual(device);
    }
  });

  it("encode(*, 'base64') encodes the payload's own bytes, not a re-serialisation of its JSON", () => {
    const bytes = Buffer.from('{ "towerId" : "tower-2",\n  "towerId": "tower-1" }');
    const ctx: MessageContext = {
      topic: 'dt/towerwatch/tower-1/telemetry',
      payload: bytes,
      json: JSON.parse(bytes.toString('utf8')),
      now: NOW,
    };
    const result = evaluateQuery(parseQuery("SELECT encode(*, 'base64') AS raw FROM 'dt/#'"), ctx);
    expect(result).toEqual({ matched: true, output: { raw: bytes.toString('base64') } });
  });
});

describe('decoding the rule output', () => {
  const output = (payload: unknown) => ({
    payload,
    towerId: 'tower-1',
    messageType: 'telemetry',
    receivedAt: NOW,
  });
  const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

  /** [what, nested payload, field the poison names] */
  const POISON: [string, unknown, string][] = [
    ['a nested payload that is not JSON', base64('not json {'), 'payload'],
    ['a nested payload that is a JSON array', base64('[1,2]'), 'payload'],
    ['a nested payload that is not base64', '%%% not base64 %%%', 'payload'],
    ['no nested payload', undefined, 'payload'],
    ['a nested payload that is not a string', { seq: 1 }, 'payload'],
  ];
  it.each(POISON)('%s is poison naming the field', (_, payload, field) => {
    const read = () => decodeRuleRecord(kinesisRecord(output(payload)));
    expect(read).toThrow(PoisonRecordError);
    try {
      read();
    } catch (e) {
      expect((e as PoisonRecordError).field).toBe(field);
    }
  });

  it('a lifecycle record names the thing of its client id (a Greengrass #n suffix removed)', () => {
    const event = { clientId: 'tower-3#2', eventType: 'connected', timestamp: NOW };
    const record = decodeRuleRecord(
      kinesisRecord({
        ...output(base64(JSON.stringify(event))),
        towerId: 'tower-3#2',
        messageType: 'lifecycle',
      }),
    );
    expect(record).toMatchObject({ towerId: 'tower-3', messageType: 'lifecycle', payload: event });
  });
});
