import { mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PRESET_NAMES, presetSql } from '../../../cloud/query/index.js';
import { main as towerwatch } from '../../../local/cli/main.js';
import { main, type QueryCommandDeps } from '../../../local/cli/query.js';
import { archiveOf, DAY, writeCorruptFile } from './fixtures.js';
import {
  expectedAlertsPerTower,
  expectedDailyMax,
  expectedOfflineHours,
  FROM,
  fleetAlerts,
  fleetFiles,
  fleetReadings,
  TO,
} from './scenario.js';

async function run(argv: string[], deps: QueryCommandDeps = {}, entry = main) {
  const out: string[] = [];
  const err: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(`${s}\n`));
  const error = vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
  try {
    const code = await entry(argv, deps);
    return { code, stdout: out.join(''), stderr: err };
  } finally {
    write.mockRestore();
    log.mockRestore();
    error.mockRestore();
  }
}

const RANGE = ['--from', new Date(FROM).toISOString(), '--to', String(TO)];

describe('towerwatch query (local archive)', () => {
  let archive: string;
  beforeAll(async () => {
    archive = await archiveOf(fleetFiles({ redelivered: true }));
    writeCorruptFile(archive, 'readings', '2026-12-20');
  });

  it('--preset daily-max --format json prints one array equal to the readings computed by hand', async () => {
    const r = await run(['--preset', 'daily-max', '--archive', archive, '--format', 'json', ...RANGE]);
    expect(r.code).toBe(0);
    expect(r.stderr).toEqual([]);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    const want = expectedDailyMax(fleetReadings(), FROM, TO);
    expect(rows.map(({ mean_value: _, ...row }) => row)).toEqual(
      want.map(({ mean_value: _, ...row }) => row),
    );
    for (const [i, row] of rows.entries())
      expect(row.mean_value as number).toBeCloseTo(want[i]!.mean_value!, 9);
  });

  it('--format table aligns under a header and counts the rows on stderr', async () => {
    const r = await run(['--preset', 'offline-hours', '--archive', archive, ...RANGE]);
    const want = expectedOfflineHours(fleetReadings(), FROM, TO);
    const lines = r.stdout.trimEnd().split('\n');
    expect(r.code).toBe(0);
    expect(lines[0]).toMatch(/^tower_id\s+hours_in_range\s+hours_with_readings\s+offline_hours$/);
    expect(lines).toHaveLength(2 + want.length);
    expect(lines[2]!.split(/\s+/)).toEqual(Object.values(want[0]!).map(String));
    expect(r.stderr).toEqual([`${want.length} rows`]);
  });

  it('--format csv, a tower, and --state-dir (its archive/ folder)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'tw-query-state-'));
    const copy = await archiveOf(fleetFiles());
    renameSync(copy, join(stateDir, 'archive'));
    const r = await run([
      '--preset',
      'alerts-per-tower',
      '--tower',
      'tw-001',
      '--state-dir',
      stateDir,
      '--format',
      'csv',
      ...RANGE,
    ]);
    expect(r.code).toBe(0);
    const want = expectedAlertsPerTower(fleetAlerts(), FROM, TO, 'tw-001');
    expect(r.stdout).toBe(
      ['tower_id,severity,raises', ...want.map((w) => `${w.tower_id},${w.severity},${w.raises}`), ''].join(
        '\r\n',
      ),
    );
  });

  it('a preset covers the last 7 days by default', async () => {
    const r = await run(['--preset', 'offline-hours', '--archive', archive, '--format', 'json'], {
      clock: { now: () => TO },
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expectedOfflineHours(fleetReadings(), TO - 7 * DAY, TO));
  });

  it('runs SQL as given, with typed JSON values', async () => {
    const sql =
      "SELECT tower_id, count(DISTINCT seq) AS batches, min(ts) AS first FROM readings WHERE dt BETWEEN '2026-12-01' AND '2026-12-03' AND tower_id = 'tw-001' GROUP BY tower_id";
    const r = await run([sql, '--archive', archive, '--format', 'json']);
    expect(r.code).toBe(0);
    const batches = fleetReadings().filter(
      (b) => b[0]!.tower_id === 'tw-001' && b[0]!.ts >= FROM && b[0]!.ts <= TO,
    );
    expect(JSON.parse(r.stdout)).toEqual([
      { tower_id: 'tw-001', batches: batches.length, first: new Date(batches[0]![0]!.ts).toISOString() },
    ]);
  });

  it('--preset list and --list-presets print each preset with its description', async () => {
    for (const argv of [['--preset', 'list'], ['--list-presets']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(PRESET_NAMES);
    }
  });

  it('is a towerwatch command, with --help examples', async () => {
    const listed = await run(['query', '--list-presets'], {}, (argv) => towerwatch(argv));
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('daily-max');
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('towerwatch query --preset daily-max');
  });

  it.each([
    [['SELEC 1'], 'towerwatch query: Parser Error: syntax error at or near "SELEC"'],
    [
      ['--preset', 'daily-min'],
      'towerwatch query: unknown preset "daily-min": use one of daily-max, offline-hours, alerts-per-tower',
    ],
    [
      ['--preset', 'daily-max', '--tower', "x' OR 1=1 --"],
      /^towerwatch query: invalid --tower "x' OR 1=1 --"/,
    ],
    [['--preset', 'daily-max', '--from', 'yesterday'], /^towerwatch query: --from "yesterday" is not a time/],
    [
      ['--preset', 'daily-max', ...RANGE.slice(2), '--from', '2027-01-01'],
      /--from 2027-01-01T00:00:00.000Z is after --to/,
    ],
    [['SELECT 1', '--from', '2026-12-01'], /^towerwatch query: --from applies to --preset/],
    [
      ['SELECT 1', '--preset', 'daily-max'],
      'towerwatch query: give either a SQL statement or --preset, not both',
    ],
    [
      ['SELECT 1', '--format', 'xml'],
      'towerwatch query: --format "xml" is not an output format: use table, csv, json',
    ],
    [
      ['SELECT 1', '--workgroup', 'wg'],
      'towerwatch query: --workgroup applies to --athena: add --athena, or drop it',
    ],
    [['SELECT 1', '--athena', '--archive', 'x', '--region', 'eu-west-1'], /--athena reads the S3 archive/],
    [
      ['SELECT 1', '--athena', '--timeout', 'soon', '--region', 'eu-west-1'],
      /--timeout "soon" is not a number/,
    ],
    [[], /^towerwatch query: nothing to run: give a SQL statement or --preset <name>/],
    [['--bogus'], /^towerwatch query: unknown option '--bogus' \(usage: towerwatch query/],
  ])('refuses %j in one line, exit code 2', async (argv, line) => {
    const r = await run([...argv, ...(argv.includes('--athena') ? [] : ['--archive', archive])]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toHaveLength(1);
    if (typeof line === 'string') expect(r.stderr[0]).toBe(line);
    else expect(r.stderr[0]).toMatch(line);
  });

  it('names --archive and `npm start` when the archive folder is missing', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'tw-query-none-')), 'archive');
    const r = await run(['--preset', 'daily-max', '--archive', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual([
      `towerwatch query: --archive ${missing} does not exist: start the local stack (npm start) to write the archive there, or name the folder with --archive`,
    ]);
  });

  it('an empty archive folder still answers every preset (no rows)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tw-query-empty-'));
    mkdirSync(join(empty, 'readings'));
    for (const name of PRESET_NAMES) {
      const r = await run(['--preset', name, '--archive', empty, '--format', 'json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([]);
    }
  });
});

describe('towerwatch query --athena', () => {
  const athena = mockClient(AthenaClient);
  afterEach(() => athena.reset());

  it('runs the preset in Athena and prints the same shape, with the data scanned on stderr', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-7' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({
        QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 2_500_000 } },
      });
    const columns = [
      { Name: 'tower_id', Type: 'varchar' },
      { Name: 'severity', Type: 'varchar' },
      { Name: 'raises', Type: 'bigint' },
    ];
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: columns },
        Rows: [
          { Data: [{ VarCharValue: 'tower_id' }, { VarCharValue: 'severity' }, { VarCharValue: 'raises' }] },
          { Data: [{ VarCharValue: 'tw-001' }, { VarCharValue: 'critical' }, { VarCharValue: '3' }] },
        ],
      },
    });
    const sleeps: number[] = [];
    const r = await run(
      [
        '--athena',
        '--region',
        'eu-west-1',
        '--workgroup',
        'wg-1',
        '--database',
        'db_1',
        '--preset',
        'alerts-per-tower',
        '--tower',
        'tw-001',
        '--format',
        'json',
        ...RANGE,
      ],
      { sleep: async (ms) => void sleeps.push(ms) },
    );
    expect(r.code).toBe(0);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toEqual({
      QueryString: presetSql('alerts-per-tower', { fromMs: FROM, toMs: TO, towerId: 'tw-001' }),
      WorkGroup: 'wg-1',
      QueryExecutionContext: { Database: 'db_1' },
    });
    expect(sleeps).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual([{ tower_id: 'tw-001', severity: 'critical', raises: 3 }]);
    expect(r.stderr).toEqual(['scanned 2.50 MB (Athena query q-7)']);
  });

  it('a FAILED query is one line with Athena’s reason, exit code 2', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-8' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: 'FAILED',
          StateChangeReason:
            "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.towerwatch.nope' does not exist",
        },
      },
    });
    const r = await run(['SELECT * FROM nope', '--athena', '--region', 'eu-west-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual([
      "towerwatch query: Athena query q-8 failed: TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.towerwatch.nope' does not exist",
    ]);
  });
});
