/**
 * `towerwatch query "<SQL>" | --preset <name>`: SQL over the archive. Locally DuckDB reads the
 * archive folder `towerwatch local` writes; with `--athena` the same SQL runs in Athena over the S3
 * archive. Presets are written once (`cloud/query/presets.ts`) for both.
 */
import { join } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { Command } from 'commander';
import { parseTime } from '../../cloud/cli/readings.js';
import {
  awsErrorLine,
  cliClientConfig,
  HELP_TO_STDOUT,
  parseFailureExitCode,
} from '../../cloud/cli/program.js';
import type { Clock } from '../../cloud/functions/shared/types.js';
import {
  ATHENA_DEFAULTS,
  ATHENA_POLL,
  AthenaQueryEngine,
  formatBytes,
  formatResult,
  PRESET_NAMES,
  presetListing,
  presetSql,
  QUERY_FORMATS,
  QueryError,
  type QueryEngine,
  type QueryFormat,
  type QueryResult,
  resolveRange,
} from '../../cloud/query/index.js';
import {
  ARCHIVE_PARTITION,
  ARCHIVE_TABLE_NAMES,
  ARCHIVE_TABLES,
  ROLLUP_COLUMNS,
  ROLLUP_RESOLUTION_NAMES,
  ROLLUP_RESOLUTIONS,
} from '../../protocol/index.js';
import { openArchiveEngine } from '../query/index.js';
import { STACK_DEFAULTS } from '../stack/types.js';

class QueryCommandError extends QueryError {
  override name = 'QueryCommandError';
}

/** The archive `towerwatch local` writes, relative to the working directory. */
export const DEFAULT_ARCHIVE_DIR = join(STACK_DEFAULTS.stateDir, 'archive');

const USAGE =
  'towerwatch query ("<SQL>" | --preset <name> [--from <time>] [--to <time>] [--tower <id>]) [--format table|csv|json] [--archive <dir> | --athena [--workgroup <name>] [--database <name>]]';

const columnsOf = (columns: readonly { name: string }[]) =>
  [...columns.map((c) => c.name), ARCHIVE_PARTITION.key].join(', ');

const EXAMPLES = `
Tables: ${ARCHIVE_TABLE_NAMES.map((t) => `${t} (${columnsOf(ARCHIVE_TABLES[t].columns)})`).join(' and ')};
locally also ${ROLLUP_RESOLUTION_NAMES.map((r) => ROLLUP_RESOLUTIONS[r].table).join(' and ')} (${columnsOf(ROLLUP_COLUMNS)}).
dt is the UTC day partition ('YYYY-MM-DD'): filter on it so only those days' files are read.
A redelivered batch is archived twice; count readings with DISTINCT tower_id, seq, reading_index.

Examples:
  towerwatch query --preset list
  towerwatch query --preset daily-max --from 2026-12-01 --to 2026-12-07T23:59:59Z
  towerwatch query --preset offline-hours --tower tower-0001 --format csv > offline.csv
  towerwatch query "SELECT tower_id, count(*) AS n FROM readings WHERE dt = '2026-12-01' GROUP BY tower_id"
  towerwatch query --athena --region eu-west-1 --preset alerts-per-tower --format json

Times are ISO 8601 (2026-12-01T12:00:00Z, 2026-12-01) or epoch ms, UTC; a preset covers the last
7 days unless --from/--to say otherwise. Exit code 0: the query ran; 2: error (one line on stderr).`;

interface Options {
  preset?: string;
  listPresets?: boolean;
  from?: string;
  to?: string;
  tower?: string;
  format: string;
  archive?: string;
  stateDir?: string;
  athena?: boolean;
  workgroup?: string;
  database?: string;
  region?: string;
  endpoint?: string;
  timeout?: string;
}

export interface QueryCommandDeps {
  clock?: Clock;
  /** How the Athena engine waits between polls (tests pass one that returns at once). */
  sleep?: (ms: number) => Promise<void>;
}

function program(onRun: (sql: string | undefined, o: Options) => void): Command {
  return new Command('towerwatch query')
    .description(
      'Run SQL over the archive (every reading and alert transition): DuckDB locally, Athena in AWS',
    )
    .argument('[sql]', 'the statement (quote it); or use --preset')
    .option('--preset <name>', `a ready-made query: ${PRESET_NAMES.join(', ')} (list: --preset list)`)
    .option('--list-presets', 'print the presets with what each answers')
    .option(
      '--from <time>',
      'preset range start, inclusive: ISO 8601 or epoch ms (default: 7 days before --to)',
    )
    .option('--to <time>', 'preset range end, inclusive: ISO 8601 or epoch ms (default: now)')
    .option('--tower <id>', 'preset: only this tower')
    .option('--format <format>', `output: ${QUERY_FORMATS.join(', ')}`, 'table')
    .option('--archive <dir>', `local archive folder (default: ${DEFAULT_ARCHIVE_DIR})`)
    .option('--state-dir <dir>', 'the state folder of `towerwatch local`: its archive/ is read')
    .option('--athena', 'run in Athena over the S3 archive instead of the local folder')
    .option(
      '--workgroup <name>',
      `Athena workgroup (default: ${ATHENA_DEFAULTS.workGroup}, as the CDK stack names it; its stack outputs print it)`,
    )
    .option(
      '--database <name>',
      `Glue database of the archive tables (default: ${ATHENA_DEFAULTS.database}, as the CDK stack names it)`,
    )
    .option('--region <region>', 'AWS region for --athena (default: AWS_REGION)')
    .option('--endpoint <url>', 'Athena endpoint instead of the default (a VPC endpoint)')
    .option(
      '--timeout <seconds>',
      `--athena: stop the query if it is still running after this long (default: ${ATHENA_POLL.timeoutMs / 1000})`,
    )
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput(HELP_TO_STDOUT)
    .action((sql: string | undefined, o: Options) => onRun(sql, o));
}

function parseFormat(text: string): QueryFormat {
  if (!(QUERY_FORMATS as readonly string[]).includes(text)) {
    throw new QueryCommandError(
      `--format ${JSON.stringify(text)} is not an output format: use ${QUERY_FORMATS.join(', ')}`,
    );
  }
  return text as QueryFormat;
}

function parseTimeoutMs(text: string): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(seconds > 0)) {
    throw new QueryCommandError(`--timeout ${JSON.stringify(text)} is not a number of seconds above 0`);
  }
  return seconds * 1000;
}

/** The statement to run: the SQL argument, or the preset rendered over its range and tower. */
function statement(sql: string | undefined, o: Options, nowMs: number): string {
  if (sql !== undefined && o.preset !== undefined) {
    throw new QueryCommandError('give either a SQL statement or --preset, not both');
  }
  if (o.preset === undefined) {
    const presetOnly = (['from', 'to', 'tower'] as const).filter((k) => o[k] !== undefined);
    if (presetOnly.length > 0) {
      throw new QueryCommandError(
        `--${presetOnly[0]} applies to --preset: put the condition in your SQL (filter dt too, so fewer partitions are read)`,
      );
    }
    if (sql === undefined || sql.trim() === '') {
      throw new QueryCommandError(
        `nothing to run: give a SQL statement or --preset <name> (usage: ${USAGE})`,
      );
    }
    return sql;
  }
  const range = resolveRange(
    {
      ...(o.from !== undefined && { fromMs: parseTime(o.from, '--from') }),
      ...(o.to !== undefined && { toMs: parseTime(o.to, '--to') }),
    },
    nowMs,
  );
  return presetSql(o.preset, { ...range, ...(o.tower !== undefined && { towerId: o.tower }) });
}

function openEngine(o: Options, deps: QueryCommandDeps): QueryEngine | Promise<QueryEngine> {
  if (o.athena) {
    if (o.archive !== undefined || o.stateDir !== undefined) {
      throw new QueryCommandError('--athena reads the S3 archive: drop --archive and --state-dir');
    }
    const client = new AthenaClient(
      cliClientConfig(
        {
          ...(o.region !== undefined && { region: o.region }),
          ...(o.endpoint !== undefined && { endpoint: o.endpoint }),
        },
        QueryCommandError,
      ),
    );
    const engine = new AthenaQueryEngine(client, {
      ...(o.workgroup !== undefined && { workGroup: o.workgroup }),
      ...(o.database !== undefined && { database: o.database }),
      ...(o.timeout !== undefined && { timeoutMs: parseTimeoutMs(o.timeout) }),
      ...(deps.sleep && { sleep: deps.sleep }),
      ...(deps.clock && { clock: deps.clock }),
    });
    return {
      name: engine.name,
      run: (sql) => engine.run(sql),
      close: async () => client.destroy(),
    };
  }
  const athenaOnly = (['workgroup', 'database', 'region', 'endpoint', 'timeout'] as const).filter(
    (k) => o[k] !== undefined,
  );
  if (athenaOnly.length > 0) {
    throw new QueryCommandError(`--${athenaOnly[0]} applies to --athena: add --athena, or drop it`);
  }
  if (o.archive !== undefined && o.stateDir !== undefined) {
    throw new QueryCommandError('give either --archive or --state-dir, not both');
  }
  const dir = o.archive ?? (o.stateDir !== undefined ? join(o.stateDir, 'archive') : DEFAULT_ARCHIVE_DIR);
  return openArchiveEngine(dir);
}

function reportStats(result: QueryResult): void {
  const s = result.stats;
  if (s?.dataScannedBytes === undefined) return;
  const engine = s.engineMs !== undefined ? ` in ${(s.engineMs / 1000).toFixed(1)} s` : '';
  console.error(`scanned ${formatBytes(s.dataScannedBytes)}${engine} (Athena query ${s.queryId})`);
}

export async function main(argv: string[], deps: QueryCommandDeps = {}): Promise<number> {
  let parsed: { sql: string | undefined; o: Options } | undefined;
  try {
    await program((sql, o) => {
      parsed = { sql, o };
    }).parseAsync(argv, { from: 'user' });
  } catch (e) {
    return parseFailureExitCode(e, 'towerwatch query', `usage: ${USAGE}`);
  }
  if (!parsed) return 0;
  const { sql, o } = parsed;
  if (o.listPresets || o.preset === 'list') {
    for (const line of presetListing()) console.log(line);
    return 0;
  }
  let engine: QueryEngine | undefined;
  try {
    const format = parseFormat(o.format);
    const text = statement(sql, o, (deps.clock ?? { now: Date.now }).now());
    engine = await openEngine(o, deps);
    const result = await engine.run(text);
    process.stdout.write(formatResult(result, format));
    if (format === 'table') console.error(`${result.rows.length} row${result.rows.length === 1 ? '' : 's'}`);
    reportStats(result);
    return 0;
  } catch (e) {
    console.error(`towerwatch query: ${e instanceof QueryError ? e.message : awsErrorLine(e)}`);
    return 2;
  } finally {
    await engine?.close();
  }
}
