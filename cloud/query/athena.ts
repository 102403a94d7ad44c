/**
 * The Athena engine: StartQueryExecution in the archive's workgroup and Glue database, polling with
 * backoff until the query ends, then every page of GetQueryResults typed by the result metadata.
 * The client, the sleep and the clock are injected: tests drive the polling without waiting.
 */
import {
  type AthenaClient,
  type ColumnInfo,
  GetQueryExecutionCommand,
  paginateGetQueryResults,
  type QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { type Clock, systemClock } from '../functions/shared/types.js';
import { athenaColumnKind, athenaColumnType, athenaValue } from './athena-values.js';
import { QueryFailedError, QueryTimeoutError } from './errors.js';
import {
  ATHENA_DEFAULTS,
  ATHENA_POLL,
  type QueryColumn,
  type QueryEngine,
  type QueryResult,
} from './types.js';
import { rowObject, uniqueColumnNames } from './values.js';

export interface AthenaEngineOptions {
  workGroup?: string;
  database?: string;
  /** A query still running after this long is stopped (StopQueryExecution). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  clock?: Clock;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class AthenaQueryEngine implements QueryEngine {
  readonly name = 'athena';
  private readonly workGroup: string;
  private readonly database: string;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly clock: Clock;

  constructor(
    private readonly client: AthenaClient,
    options: AthenaEngineOptions = {},
  ) {
    this.workGroup = options.workGroup ?? ATHENA_DEFAULTS.workGroup;
    this.database = options.database ?? ATHENA_DEFAULTS.database;
    this.timeoutMs = options.timeoutMs ?? ATHENA_POLL.timeoutMs;
    this.sleep = options.sleep ?? realSleep;
    this.clock = options.clock ?? systemClock;
  }

  async run(sql: string): Promise<QueryResult> {
    const started = await this.client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: this.workGroup,
        QueryExecutionContext: { Database: this.database },
      }),
    );
    const queryId = started.QueryExecutionId;
    if (!queryId) throw new QueryFailedError('Athena started no query (StartQueryExecution returned no id)');
    const execution = await this.waitUntilDone(queryId);
    const { columns, rows } = await this.results(queryId);
    const stats = execution.Statistics;
    return {
      columns,
      rows,
      stats: {
        queryId,
        ...(stats?.DataScannedInBytes !== undefined && { dataScannedBytes: stats.DataScannedInBytes }),
        ...(stats?.EngineExecutionTimeInMillis !== undefined && {
          engineMs: stats.EngineExecutionTimeInMillis,
        }),
      },
    };
  }

  async close(): Promise<void> {}

  private async waitUntilDone(queryId: string): Promise<QueryExecution> {
    const startedAt = this.clock.now();
    let delayMs: number = ATHENA_POLL.firstDelayMs;
    for (;;) {
      const { QueryExecution: execution } = await this.client.send(
        new GetQueryExecutionCommand({ QueryExecutionId: queryId }),
      );
      const state = execution?.Status?.State;
      const reason = execution?.Status?.StateChangeReason;
      if (state === 'SUCCEEDED') return execution!;
      if (state === 'FAILED') {
        throw new QueryFailedError(`Athena query ${queryId} failed: ${oneLine(reason ?? 'no reason given')}`);
      }
      if (state === 'CANCELLED') {
        throw new QueryFailedError(
          `Athena query ${queryId} was cancelled${reason ? `: ${oneLine(reason)}` : ''}`,
        );
      }
      const remainingMs = this.timeoutMs - (this.clock.now() - startedAt);
      if (remainingMs <= 0) {
        await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: queryId }));
        throw new QueryTimeoutError(
          `Athena query ${queryId} still ${state ?? 'running'} after ${this.timeoutMs / 1000} s: stopped it (raise --timeout, or narrow --from/--to)`,
        );
      }
      await this.sleep(Math.min(delayMs, remainingMs));
      delayMs = Math.min(delayMs * ATHENA_POLL.factor, ATHENA_POLL.maxDelayMs);
    }
  }

  private async results(queryId: string): Promise<Pick<QueryResult, 'columns' | 'rows'>> {
    let columns: QueryColumn[] | undefined;
    let names: string[] = [];
    const rows: QueryResult['rows'] = [];
    for await (const page of paginateGetQueryResults(
      { client: this.client, pageSize: ATHENA_POLL.pageSize },
      { QueryExecutionId: queryId },
    )) {
      let pageRows = page.ResultSet?.Rows ?? [];
      if (!columns) {
        const info: ColumnInfo[] = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
        names = uniqueColumnNames(info.map((c, i) => c.Label ?? c.Name ?? `_col${i}`));
        columns = info.map((c, i) => ({
          name: names[i]!,
          kind: athenaColumnKind(athenaColumnType(c)),
          engineType: athenaColumnType(c),
        }));
        // A SELECT's first row is its header; DDL and SHOW results have none.
        const labels = info.map((c, i) => c.Label ?? c.Name ?? `_col${i}`);
        const first = pageRows[0]?.Data?.map((d) => d.VarCharValue);
        if (first && first.length === labels.length && first.every((v, i) => v === labels[i])) {
          pageRows = pageRows.slice(1);
        }
      }
      const kinds = columns.map((c) => c.kind);
      for (const row of pageRows) {
        const data = row.Data ?? [];
        rows.push(
          rowObject(
            names,
            kinds.map((kind, i) => athenaValue(data[i]?.VarCharValue, kind)),
          ),
        );
      }
    }
    return { columns: columns ?? [], rows };
  }
}

function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}
