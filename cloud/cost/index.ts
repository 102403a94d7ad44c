/**
 * `towerwatch cost` (also `npm run cost`): the monthly AWS bill of a fleet running towerwatch, side by
 * side with the same fleet built as the public tutorials build it (one message per reading), then
 * the archive the stack deploys beside it (Firehose, Parquet in S3, Athena), which the tutorials lack.
 */
import { Command, InvalidArgumentError } from 'commander';
import { HELP_TO_STDOUT, parseFailureExitCode } from '../cli/program.js';
import { formatComparison, formatPrices } from './format.js';
import { estimateMonthlyCost } from './model.js';
import { PRICE_REGION, PRICES_AS_OF } from './prices.js';

export {
  ARCHIVE_ASSUMPTIONS,
  type ArchiveAssumptions,
  type ArchiveTraffic,
  archiveDesign,
  archiveRowBytes,
  lifecycleMonths,
} from './archive.js';
export {
  ASSUMPTIONS,
  batchProfile,
  consumerInvocationsPerSecond,
  estimateMonthlyCost,
  iotMessagingUsd,
  STORED_ACK_ITEM,
  type StreamTraffic,
  storedAcksPerTowerPerMonth,
  streamTraffic,
  tracesRecorded,
} from './model.js';
export {
  PRICE_REGION,
  PRICES,
  PRICES_AS_OF,
  type PriceKey,
  type PriceTable,
  type UnitPrice,
} from './prices.js';
export * from './types.js';

const UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `60s`, `1m`, `500ms`, `2h`; a bare number is seconds. */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`'${text}' is not a duration: use e.g. 60s, 1m, 500ms`);
  const ms = Number(m[1]) * UNITS_MS[(m[2] ?? 's') as keyof typeof UNITS_MS];
  if (ms < 100) throw new InvalidArgumentError(`'${text}' is shorter than 100ms`);
  return Math.round(ms);
}

const integer = (name: string, min: number) => (text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new InvalidArgumentError(`${name} must be a whole number ≥ ${min}`);
  return n;
};
const nonNegative = (name: string) => (text: string) => {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0`);
  return n;
};

export async function main(argv: string[]): Promise<number> {
  const program = new Command('towerwatch cost')
    .description(
      `Monthly AWS cost of a towerwatch fleet by service, next to one message per reading (${PRICE_REGION} list prices as of ${PRICES_AS_OF})`,
    )
    .option('--towers <n>', 'towers in the fleet', integer('--towers', 1), 1000)
    .option('--sensors <n>', 'sensors per tower', integer('--sensors', 1), 20)
    .option('--interval <duration>', 'how often each sensor is read (60s, 1m, 500ms)', parseInterval, 60_000)
    .option('--alerts-per-day <n>', 'alerts per tower per day', nonNegative('--alerts-per-day'), 1)
    .option('--retention-days <n>', 'days readings stay in DynamoDB', integer('--retention-days', 1), 30)
    .option('--emails <n>', 'e-mail subscribers of the alert topic', integer('--emails', 0), 1)
    .option(
      '--shards <n>',
      'price a provisioned stream with this many shards (default: on-demand)',
      integer('--shards', 1),
    )
    .option('--json', 'print the full breakdown as JSON')
    .option('--prices', 'print the unit price table and exit')
    .exitOverride()
    .configureOutput(HELP_TO_STDOUT);
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    return parseFailureExitCode(e, 'towerwatch cost', "run 'towerwatch cost --help'");
  }
  const o = program.opts<{
    towers: number;
    sensors: number;
    interval: number;
    alertsPerDay: number;
    retentionDays: number;
    emails: number;
    shards?: number;
    json?: boolean;
    prices?: boolean;
  }>();
  if (o.prices) {
    console.log(`${PRICE_REGION} list prices as of ${PRICES_AS_OF}\n\n${formatPrices()}`);
    return 0;
  }
  const comparison = estimateMonthlyCost({
    towers: o.towers,
    sensorsPerTower: o.sensors,
    intervalMs: o.interval,
    alertsPerTowerPerDay: o.alertsPerDay,
    retentionDays: o.retentionDays,
    alertEmailSubscribers: o.emails,
    kinesis: o.shards === undefined ? { mode: 'on-demand' } : { mode: 'provisioned', shards: o.shards },
  });
  console.log(o.json ? JSON.stringify(comparison, null, 2) : formatComparison(comparison));
  return 0;
}
