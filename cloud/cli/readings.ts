import { join } from 'node:path';
/**
 * `towerwatch readings <towerId> --from <time> --to <time> [--sensor <id>]`: reads a tower's stored
 * readings back out of DynamoDB through the query module — the proof that the one-item-per-batch
 * layout answers time-range questions.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Command } from 'commander';
import {
  assertTowerId,
  ROLLUP_RESOLUTION_NAMES,
  ROLLUP_RESOLUTIONS,
  type RollupQuery,
  type RollupResolution,
  type RollupRow,
  SENSOR_ID_PATTERN,
} from '../../protocol/index.js';
import { queryReadings } from '../data/readings.js';
import type { StoredReading } from '../data/types.js';
import { ENV, TABLE } from '../data/tables.js';
import { awsErrorLine, cliClientConfig, HELP_TO_STDOUT, parseFailureExitCode } from './program.js';

export class ReadingsCommandError extends Error {
  override name = 'ReadingsCommandError';
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** ISO 8601 (`2026-11-23T12:00:00Z`, `2026-11-23`) or epoch milliseconds. */
export function parseTime(text: string, option: string): number {
  const value = /^\d{12,13}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(value)) {
    throw new ReadingsCommandError(
      `${option} ${JSON.stringify(text)} is not a time: use ISO 8601 (2026-11-23T12:00:00Z) or epoch milliseconds`,
    );
  }
  return value;
}

export function formatReading(r: StoredReading): string {
  const flags = [
    r.quality,
    r.clockDrift && `clock-drift (received ${new Date(r.receivedAt!).toISOString()})`,
  ].filter(Boolean);
  return [
    new Date(r.time).toISOString(),
    r.sensorId.padEnd(16),
    String(r.value ?? 'null').padStart(10),
    `${r.seq}/${r.index}`,
    ...flags,
  ].join('  ');
}

export function formatRollup(r: RollupRow): string {
  const n = (v: number) => (Math.round(v * 1000) / 1000).toString().padStart(10);
  return [
    new Date(r.bucket).toISOString(),
    r.sensorId.padEnd(16),
    `min ${n(r.min)}`,
    `max ${n(r.max)}`,
    `mean ${n(r.mean)}`,
    `n ${String(r.count).padStart(5)}`,
  ].join('  ');
}

/** Where `--resolution` reads rollups from; the local CLI injects the archive's, tests a fake. */
export interface RollupSource {
  read(query: RollupQuery): Promise<RollupRow[]>;
  close(): void;
}
export interface ReadingsDeps {
  /** Opens the rollups of `--archive` (a local archive folder); absent: `--resolution` is refused. */
  openRollups?: (archiveDir: string) => Promise<RollupSource>;
}

export function createDocClient(opts: { endpoint?: string; region?: string }): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(cliClientConfig(opts, ReadingsCommandError)));
}

interface Options {
  from?: string;
  to?: string;
  sensor?: string;
  table?: string;
  endpoint?: string;
  region?: string;
  json?: boolean;
  resolution?: string;
  archive?: string;
  stateDir?: string;
}

/** The archive `towerwatch local` writes (`local/archive`), relative to the working directory. */
export const DEFAULT_ARCHIVE_DIR = '.towerwatch/state/archive';
/** The archive's folder inside a state folder (as `local/archive` lays it out). */
const ARCHIVE_FOLDER = 'archive';

const USAGE =
  'towerwatch readings <towerId> --from <time> [--to <time>] [--sensor <id>] [--table <name>] [--endpoint <url>] [--resolution 1m|1h [--archive <dir> | --state-dir <dir>]]';

function program(onRun: (towerId: string, opts: Options) => void): Command {
  return new Command('towerwatch readings')
    .description("Print a tower's stored readings in a time range (oldest first)")
    .argument('<towerId>', 'the tower (IoT thing name)')
    .option('--from <time>', 'start, inclusive: ISO 8601 or epoch ms (default: one hour before --to)')
    .option('--to <time>', 'end, inclusive: ISO 8601 or epoch ms (default: now)')
    .option('--sensor <id>', 'only this sensor')
    .option('--table <name>', `DynamoDB table (default: $${ENV.tableName}, else ${TABLE.localName})`)
    .option('--endpoint <url>', 'DynamoDB endpoint, e.g. the local one `towerwatch local` prints')
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--json', 'one JSON object per reading')
    .option(
      '--resolution <res>',
      `rollups instead of raw readings: ${ROLLUP_RESOLUTION_NAMES.join(' or ')} min/max/mean/count buckets from the archive`,
    )
    .option('--archive <dir>', `archive folder the rollups are in (default: ${DEFAULT_ARCHIVE_DIR})`)
    .option('--state-dir <dir>', 'the state folder of `towerwatch local`: its archive/ is read')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  towerwatch readings tower-0001 --from 2026-11-23T12:00Z --to 2026-11-23T13:00Z --sensor temp-cabinet --endpoint http://127.0.0.1:4567',
        '  towerwatch readings tower-0001 --resolution 1h --from 2026-11-01 --to 2026-12-01 --sensor temp-cabinet',
      ].join('\n'),
    )
    .exitOverride()
    .configureOutput(HELP_TO_STDOUT)
    .action((towerId: string, opts: Options) => onRun(towerId, opts));
}

export async function main(argv: string[], deps: ReadingsDeps = {}): Promise<number> {
  let parsed: { towerId: string; opts: Options } | undefined;
  try {
    await program((towerId, opts) => {
      parsed = { towerId, opts };
    }).parseAsync(argv, { from: 'user' });
  } catch (e) {
    return parseFailureExitCode(e, 'towerwatch readings', `usage: ${USAGE}`);
  }
  if (!parsed) return 0;
  try {
    const { towerId, opts } = parsed;
    assertTowerId(towerId);
    if (opts.sensor !== undefined && !SENSOR_ID_PATTERN.test(opts.sensor)) {
      throw new ReadingsCommandError(
        `--sensor ${JSON.stringify(opts.sensor)} is not a sensor id (A-Z a-z 0-9 _ . : -)`,
      );
    }
    const to = opts.to === undefined ? Date.now() : parseTime(opts.to, '--to');
    if (opts.resolution !== undefined) {
      const from = opts.from === undefined ? to - DAY_MS : parseTime(opts.from, '--from');
      return await printRollups(deps, { towerId, opts, from, to });
    }
    const from = opts.from === undefined ? to - HOUR_MS : parseTime(opts.from, '--from');
    const table = opts.table ?? process.env[ENV.tableName] ?? TABLE.localName;
    const doc = createDocClient({
      ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
      ...(opts.region !== undefined && { region: opts.region }),
    });
    try {
      const readings = await queryReadings(doc, table, {
        towerId,
        from,
        to,
        ...(opts.sensor !== undefined && { sensorId: opts.sensor }),
      });
      for (const r of readings) console.log(opts.json ? JSON.stringify(r) : formatReading(r));
      if (!opts.json) console.error(`${readings.length} readings of ${towerId}`);
    } finally {
      doc.destroy();
    }
    return 0;
  } catch (e) {
    console.error(`towerwatch readings: ${oneLine(e)}`);
    return 2;
  }
}

function parseResolution(text: string): RollupResolution {
  if (!(text in ROLLUP_RESOLUTIONS)) {
    throw new ReadingsCommandError(
      `--resolution ${JSON.stringify(text)} is not a rollup resolution: use ${ROLLUP_RESOLUTION_NAMES.join(' or ')}`,
    );
  }
  return text as RollupResolution;
}

async function printRollups(
  deps: ReadingsDeps,
  args: { towerId: string; opts: Options; from: number; to: number },
): Promise<number> {
  const { towerId, opts, from, to } = args;
  const resolution = parseResolution(opts.resolution!);
  if (opts.table !== undefined || opts.endpoint !== undefined) {
    throw new ReadingsCommandError(
      '--resolution reads the archive: drop --table and --endpoint (they name the raw store)',
    );
  }
  if (!deps.openRollups) {
    throw new ReadingsCommandError(
      '--resolution needs the local archive: run it through `npx towerwatch readings`',
    );
  }
  if (opts.archive !== undefined && opts.stateDir !== undefined) {
    throw new ReadingsCommandError('--archive and --state-dir both name the archive: give one');
  }
  const archive =
    opts.archive ?? (opts.stateDir !== undefined ? join(opts.stateDir, ARCHIVE_FOLDER) : DEFAULT_ARCHIVE_DIR);
  const source = await deps.openRollups(archive);
  try {
    // Inclusive --to, as for raw readings: the bucket holding it is the last one.
    const rows = await source.read({
      towerId,
      resolution,
      fromMs: from,
      toMs: to + 1,
      ...(opts.sensor !== undefined && { sensorId: opts.sensor }),
    });
    for (const r of rows) console.log(opts.json ? JSON.stringify(r) : formatRollup(r));
    if (!opts.json) console.error(`${rows.length} ${resolution} rollups of ${towerId}`);
  } finally {
    source.close();
  }
  return 0;
}

function oneLine(e: unknown): string {
  const err = e as Error;
  if (err.name === 'ResourceNotFoundException') return `${err.message} (check --table or $${ENV.tableName})`;
  return awsErrorLine(e);
}
