import { describe, expect, it } from 'vitest';
import { SqlParseError } from '../../../local/iot/index.js';
import { evaluateQuery, type MessageContext, parseQuery } from '../../../local/iot/sql/index.js';
import { ruleOutputDocument, TOPIC_RULES } from '../../../protocol/index.js';

const NOW = 1_763_900_000_000;

function ctx(topic: string, payload: string | Buffer, extra: Partial<MessageContext> = {}): MessageContext {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString());
  } catch {
    json = undefined;
  }
  return { topic, payload: bytes, json, now: NOW, clientId: 'tower-1', principal: 'abc123', ...extra };
}

const T = 'dt/towerwatch/tower-1/telemetry';

/** [sql, topic, payload, expected output or 'no match'] */
const CASES: [string, string, string, unknown][] = [
  ['SELECT * FROM "x"'.replace(/"/g, "'"), 'x', '{"a":1}', { a: 1 }],
  [`SELECT * FROM '${T}'`, T, '{"a":1}', { a: 1 }],
  ["SELECT * FROM 'dt/towerwatch/+/telemetry'", T, '{"a":1}', { a: 1 }],
  ["SELECT * FROM 'dt/towerwatch/+/alert'", T, '{"a":1}', 'no match'],
  ["SELECT * FROM 'dt/#'", T, '[1,2]', [1, 2]],
  [
    "SELECT a.b.c AS deep, a.list[1] AS second FROM 'dt/#'",
    T,
    '{"a":{"b":{"c":"x"},"list":[5,6]}}',
    { deep: 'x', second: 6 },
  ],
  ["SELECT missing, a FROM 'dt/#'", T, '{"a":1}', { a: 1 }],
  ["SELECT a.b FROM 'dt/#'", T, '{"a":{"b":2}}', { b: 2 }],
  [
    "SELECT 1 + 2 * 3 AS n, (1 + 2) * 3 AS m, 7 / 2 AS i, 7.0 / 2.5 AS d, 7 % 4 AS r, -a AS neg FROM 'dt/#'",
    T,
    '{"a":4}',
    { n: 7, m: 9, i: 3, d: 2.8, r: 3, neg: -4 },
  ],
  [
    "SELECT 'ab' + 'cd' AS s, '2' + 3 AS coerced, 'x' - 1 AS bad FROM 'dt/#'",
    T,
    '{}',
    { s: 'abcd', coerced: 5 },
  ],
  [
    "SELECT true AS t, false AS f, null AS z, 'it\\'s' AS q FROM 'dt/#'",
    T,
    '{}',
    { t: true, f: false, z: null, q: "it's" },
  ],
  [
    "SELECT * FROM 'dt/#' WHERE temp > 30 AND NOT door",
    T,
    '{"temp":31,"door":false}',
    { temp: 31, door: false },
  ],
  ["SELECT * FROM 'dt/#' WHERE temp > 30 AND NOT door", T, '{"temp":29,"door":false}', 'no match'],
  [
    "SELECT * FROM 'dt/#' WHERE temp > 30 OR kind = 'alert'",
    T,
    '{"temp":1,"kind":"alert"}',
    { temp: 1, kind: 'alert' },
  ],
  ["SELECT * FROM 'dt/#' WHERE missing = 1", T, '{"a":1}', 'no match'],
  ["SELECT * FROM 'dt/#' WHERE missing <> 1", T, '{"a":1}', 'no match'],
  [
    "SELECT * FROM 'dt/#' WHERE a <> 1 AND b >= 2 AND c <= 3 AND d < 'b'",
    T,
    '{"a":2,"b":2,"c":3,"d":"a"}',
    { a: 2, b: 2, c: 3, d: 'a' },
  ],
  [
    "SELECT topic() AS t, topic(3) AS tower, topic(9) AS none FROM 'dt/#'",
    T,
    '{}',
    { t: T, tower: 'tower-1' },
  ],
  [
    "SELECT timestamp() AS ts, clientid() AS c, principal() AS p FROM 'dt/#'",
    T,
    '{}',
    { ts: NOW, c: 'tower-1', p: 'abc123' },
  ],
  [
    "SELECT encode(*, 'base64') AS raw FROM 'dt/#'",
    T,
    '{"a":1}',
    { raw: Buffer.from('{"a":1}').toString('base64') },
  ],
  [
    "SELECT encode(*, 'base64') AS raw FROM 'dt/#'",
    T,
    'not json',
    { raw: Buffer.from('not json').toString('base64') },
  ],
  [
    "SELECT lower(k) AS l, upper(k) AS u, concat(k, '-', k) AS c, abs(n) AS a, isUndefined(q) AS iu FROM 'dt/#'",
    T,
    '{"k":"Ab","n":-2}',
    { l: 'ab', u: 'AB', c: 'Ab-Ab', a: 2, iu: true },
  ],
  ["select *, topic(3) as tower from 'dt/#' where a = 1", T, '{"a":1}', { a: 1, tower: 'tower-1' }],
];

describe('IoT SQL 2016-03-23', () => {
  it.each(CASES)('%s on %s with %s', (sql, topic, payload, expected) => {
    const result = evaluateQuery(parseQuery(sql), ctx(topic, payload));
    if (expected === 'no match') expect(result.matched).toBe(false);
    else expect(result).toEqual({ matched: true, output: expected });
  });

  it('passes a binary payload through SELECT * untouched', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x7b]);
    expect(evaluateQuery(parseQuery("SELECT * FROM 'a/b'"), ctx('a/b', bytes))).toEqual({
      matched: true,
      output: bytes,
    });
  });

  it('newuuid() yields a fresh UUID per message', () => {
    const q = parseQuery("SELECT newuuid() AS id FROM 'a'");
    const a = evaluateQuery(q, ctx('a', '{}'));
    const b = evaluateQuery(q, ctx('a', '{}'));
    expect(a.matched && (a.output as { id: string }).id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toEqual(b);
  });

  it('parses every rule the CDK app deploys and enriches a payload the same way', () => {
    for (const rule of TOPIC_RULES) {
      const q = parseQuery(rule.sql);
      expect(q.from).toMatch(/\+/);
    }
    const telemetry = TOPIC_RULES.find((r) => r.messageType === 'telemetry')!;
    expect(evaluateQuery(parseQuery(telemetry.sql), ctx(T, '{"seq":1}'))).toEqual({
      matched: true,
      output: {
        payload: Buffer.from('{"seq":1}').toString('base64'),
        towerId: 'tower-1',
        messageType: 'telemetry',
        receivedAt: NOW,
      },
    });
  });

  it('every rule outputs what ruleOutputDocument rebuilds (a redrive puts the same record back)', () => {
    const topics: Record<string, string> = {
      telemetry: T,
      alert: 'dt/towerwatch/tower-1/alert',
      status: 'dt/towerwatch/tower-1/status',
      lifecycle: '$aws/events/presence/connected/tower-1#2',
    };
    const payload = '{ "seq": 1, "towerId": "tower-9" }';
    for (const rule of TOPIC_RULES) {
      const topic = topics[rule.messageType]!;
      expect(evaluateQuery(parseQuery(rule.sql), ctx(topic, payload))).toEqual({
        matched: true,
        output: ruleOutputDocument(rule, topic, Buffer.from(payload), NOW),
      });
    }
  });

  /** [sql, position, message fragment] */
  const ERRORS: [string, number, RegExp][] = [
    ["SELEC * FROM 'a'", 0, /expected SELECT/],
    ["SELECT * 'a'", 9, /expected FROM/],
    ['SELECT * FROM a', 14, /quoted topic filter/],
    ["SELECT * FROM 'a/#/b'", 14, /invalid topic filter/],
    ["SELECT * FROM 'a' WHERE", 23, /statement ended/],
    ["SELECT a + FROM 'a'", 11, /expected an expression/],
    ["SELECT 1 + 2 FROM 'a'", 7, /needs a name: add AS/],
    ["SELECT nosuch(1) AS x FROM 'a'", 7, /unknown or unsupported function nosuch/],
    ["SELECT topic(1, 2) AS x FROM 'a'", 7, /takes 0-1 argument/],
    ["SELECT CASE WHEN a THEN 1 END AS x FROM 'a'", 7, /unsupported keyword CASE/],
    ["SELECT * FROM 'a' WHERE a IN (1, 2)", 26, /unsupported keyword IN/],
    ['SELECT "a-b" FROM \'a\'', 7, /quoted names/],
    ["SELECT * FROM 'a' WHERE a = 'open", 28, /unterminated string/],
    ["SELECT * FROM 'a' LIMIT 1", 18, /unsupported keyword LIMIT/],
    ["SELECT a AS FROM 'a'", 12, /expected a name after AS/],
    ["SELECT * FROM 'a' WHERE a = 1 b", 30, /unexpected/],
    ["SELECT a ; FROM 'a'", 9, /unexpected character/],
  ];

  it.each(ERRORS)('rejects %s at position %i', (sql, position, message) => {
    let error: unknown;
    try {
      parseQuery(sql);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SqlParseError);
    expect((error as SqlParseError).position).toBe(position);
    expect((error as SqlParseError).message).toMatch(message);
    expect((error as SqlParseError).message).toContain(`at position ${position}`);
  });
});
