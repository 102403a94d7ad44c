import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type QueryExecutionState,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ATHENA_DEFAULTS,
  ATHENA_POLL,
  AthenaQueryEngine,
  QueryFailedError,
  QueryTimeoutError,
} from '../../../cloud/query/index.js';

const athena = mockClient(AthenaClient);
afterEach(() => athena.reset());

const COLUMNS = [
  { Name: 'tower_id', Label: 'tower_id', Type: 'varchar' },
  { Name: 'n', Label: 'n', Type: 'bigint' },
  { Name: 'mean_value', Label: 'mean_value', Type: 'double' },
  { Name: 'ts', Label: 'ts', Type: 'timestamp' },
  { Name: 'day', Label: 'day', Type: 'date' },
  { Name: 'ok', Label: 'ok', Type: 'boolean' },
];

const row = (...values: (string | undefined)[]) => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
});

function page(rows: ReturnType<typeof row>[], nextToken?: string): GetQueryResultsCommandOutput {
  return {
    $metadata: {},
    ResultSet: { ResultSetMetadata: { ColumnInfo: COLUMNS }, Rows: rows },
    ...(nextToken !== undefined && { NextToken: nextToken }),
  };
}

const state = (State: QueryExecutionState, extra: { StateChangeReason?: string } = {}) => ({
  QueryExecution: { QueryExecutionId: 'q-1', Status: { State, ...extra } },
});

/** A clock the injected sleep moves forward, so polling and the timeout run without waiting. */
function fakeTime() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: { now: () => now },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('AthenaQueryEngine', () => {
  it('starts the query in the workgroup and database, polls until SUCCEEDED, reads both pages typed', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(state('QUEUED'))
      .resolvesOnce(state('RUNNING'))
      .resolvesOnce(state('RUNNING'))
      .resolves({
        QueryExecution: {
          QueryExecutionId: 'q-1',
          Status: { State: 'SUCCEEDED' },
          Statistics: { DataScannedInBytes: 12_345_678, EngineExecutionTimeInMillis: 2_300 },
        },
      });
    // Inputs copied as sent: the paginator reuses its input object for the next page.
    const pages: Record<string, unknown>[] = [];
    athena.on(GetQueryResultsCommand).callsFake((input: { NextToken?: string }) => {
      pages.push({ ...input });
      return input.NextToken === 'page-2'
        ? page([
            row('tw-002', '9007199254740993', 'NaN', '2026-12-02 13:00:00.123', undefined, 'false'),
            row('', undefined, undefined, undefined, undefined, undefined),
          ])
        : page(
            [
              row('tower_id', 'n', 'mean_value', 'ts', 'day', 'ok'),
              row('tw-001', '42', '21.5', '2026-12-01 00:55:00.000', '2026-12-01', 'true'),
            ],
            'page-2',
          );
    });
    const time = fakeTime();
    const engine = new AthenaQueryEngine(new AthenaClient({ region: 'eu-west-1' }), {
      workGroup: 'archive-wg',
      database: 'archive_db',
      ...time,
    });

    const result = await engine.run('SELECT 1');

    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toEqual({
      QueryString: 'SELECT 1',
      WorkGroup: 'archive-wg',
      QueryExecutionContext: { Database: 'archive_db' },
    });
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(4);
    expect(time.sleeps).toEqual([
      ATHENA_POLL.firstDelayMs,
      ATHENA_POLL.firstDelayMs * ATHENA_POLL.factor,
      ATHENA_POLL.firstDelayMs * ATHENA_POLL.factor ** 2,
    ]);
    expect(pages).toEqual([
      { QueryExecutionId: 'q-1', MaxResults: ATHENA_POLL.pageSize },
      { QueryExecutionId: 'q-1', MaxResults: ATHENA_POLL.pageSize, NextToken: 'page-2' },
    ]);
    expect(result.columns.map((c) => [c.name, c.kind])).toEqual([
      ['tower_id', 'text'],
      ['n', 'integer'],
      ['mean_value', 'number'],
      ['ts', 'timestamp'],
      ['day', 'date'],
      ['ok', 'boolean'],
    ]);
    expect(result.rows).toEqual([
      {
        tower_id: 'tw-001',
        n: 42,
        mean_value: 21.5,
        ts: '2026-12-01T00:55:00.000Z',
        day: '2026-12-01',
        ok: true,
      },
      {
        tower_id: 'tw-002',
        n: '9007199254740993',
        mean_value: 'NaN',
        ts: '2026-12-02T13:00:00.123Z',
        day: null,
        ok: false,
      },
      { tower_id: '', n: null, mean_value: null, ts: null, day: null, ok: null },
    ]);
    expect(result.stats).toEqual({ queryId: 'q-1', dataScannedBytes: 12_345_678, engineMs: 2_300 });
  });

  it('uses the stack’s workgroup and database by default, and keeps a result with no header row whole', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: [{ Name: 'tab_name', Type: 'string' }] },
        Rows: [row('alerts'), row('readings')],
      },
    });
    const result = await new AthenaQueryEngine(new AthenaClient({ region: 'eu-west-1' }), fakeTime()).run(
      'SHOW TABLES',
    );
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toMatchObject({
      WorkGroup: ATHENA_DEFAULTS.workGroup,
      QueryExecutionContext: { Database: ATHENA_DEFAULTS.database },
    });
    expect(result.rows).toEqual([{ tab_name: 'alerts' }, { tab_name: 'readings' }]);
  });

  it('FAILED and CANCELLED end in one line with the state change reason', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves(
      state('FAILED', {
        StateChangeReason: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved\nor accessed",
      }),
    );
    const engine = new AthenaQueryEngine(new AthenaClient({ region: 'eu-west-1' }), fakeTime());
    const failed = await engine.run('SELECT nope FROM readings').catch((e) => e);
    expect(failed).toBeInstanceOf(QueryFailedError);
    expect(failed.message).toBe(
      "Athena query q-1 failed: COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved or accessed",
    );
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);

    athena
      .on(GetQueryExecutionCommand)
      .resolves(state('CANCELLED', { StateChangeReason: 'Query was cancelled by user' }));
    const cancelled = await engine.run('SELECT 1').catch((e) => e);
    expect(cancelled.message).toBe('Athena query q-1 was cancelled: Query was cancelled by user');
  });

  it('stops a query still running at the timeout and says so', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves(state('RUNNING'));
    athena.on(StopQueryExecutionCommand).resolves({});
    const time = fakeTime();
    const engine = new AthenaQueryEngine(new AthenaClient({ region: 'eu-west-1' }), {
      ...time,
      timeoutMs: 30_000,
    });
    const error = await engine.run('SELECT 1').catch((e) => e);
    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect(error.message).toBe(
      'Athena query q-1 still RUNNING after 30 s: stopped it (raise --timeout, or narrow --from/--to)',
    );
    expect(athena.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: 'q-1' },
    ]);
    // The waits never overshoot the timeout and never exceed the ceiling.
    expect(time.sleeps.reduce((a, b) => a + b, 0)).toBe(30_000);
    expect(Math.max(...time.sleeps)).toBe(ATHENA_POLL.maxDelayMs);
  });
});
