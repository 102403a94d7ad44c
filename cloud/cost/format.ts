import { ASSUMPTIONS, STORED_ACK_ITEM } from './model.js';
import { PRICES } from './prices.js';
import type { CostComparison, LineItem } from './types.js';

const usd = (n: number) => (n >= 100 ? `$${Math.round(n).toLocaleString('en-US')}` : `$${n.toFixed(2)}`);
const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** A line's quantity in its own unit: the count a per-1K or per-1M price is quoted for, not the thousands. */
function quantity(i: LineItem): string {
  const unit = i.unit.replace(/^\d+[KM]?\s+/, '');
  const n = i.quantity >= 100 ? count(i.quantity) : String(Number(i.quantity.toPrecision(3)));
  return `${n} ${unit}`;
}

/** Columns before `left` are text, padded on the right; the rest are figures, padded on the left. */
function table(rows: string[][], left = 1): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r.map((cell, c) => (c < left ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   '),
    )
    .join('\n');
}

export function formatComparison(c: CostComparison): string {
  const f = c.fleet;
  const services = [
    ...new Set([...Object.keys(c.towerwatch.byService), ...Object.keys(c.tutorial.byService)]),
  ];
  const rows = [
    ['service', c.towerwatch.design, c.tutorial.design],
    ...services.map((s) => [s, usd(c.towerwatch.byService[s] ?? 0), usd(c.tutorial.byService[s] ?? 0)]),
    ['total / month', usd(c.towerwatch.monthlyUsd), usd(c.tutorial.monthlyUsd)],
  ];
  const usage = [
    ['usage / month', c.towerwatch.design, c.tutorial.design],
    ...(
      [
        ['IoT messages', 'iotMessagesPerMonth'],
        ['stored acknowledgements', 'storedAcksPerMonth'],
        ['Kinesis records', 'kinesisRecordsPerMonth'],
        ['Lambda invocations', 'lambdaInvocationsPerMonth'],
        ['DynamoDB write units', 'dynamoWriteUnitsPerMonth'],
      ] as const
    ).map(([label, key]) => [label, count(c.towerwatch.usage[key]), count(c.tutorial.usage[key])]),
    ['DynamoDB storage (GB)', c.towerwatch.usage.storageGb.toFixed(1), c.tutorial.usage.storageGb.toFixed(1)],
  ];
  const ack = c.towerwatch.items.find((i) => i.service === 'IoT Core' && i.item === STORED_ACK_ITEM);
  const acks = c.towerwatch.usage.storedAcksPerMonth;
  const ar = c.archive;
  const kinesis = f.kinesis.mode === 'provisioned' ? `provisioned, ${f.kinesis.shards} shards` : 'on-demand';
  return [
    `${count(f.towers)} towers × ${f.sensorsPerTower} sensors every ${f.intervalMs / 1000}s = ${count(c.readingsPerMonth)} readings/month`,
    `Kinesis ${kinesis}; ${f.alertsPerTowerPerDay} alert/tower/day; ${f.retentionDays} days kept in DynamoDB`,
    `${c.region} list prices as of ${c.pricesAsOf}, USD, no free tier (see cloud/cost/prices.ts)`,
    '',
    table(rows),
    ...(ack
      ? [
          `IoT Core includes ${usd(ack.usd)} for ${count(acks)} stored acknowledgements (at most 1 per tower per ${ASSUMPTIONS.storedAck.intervalMs / 1000}s, ${count(ack.quantity)} messages: the writer's publish and the delivery to the tower)`,
        ]
      : []),
    '',
    `one message per reading costs ${c.ratio.toFixed(1)}× as much`,
    '',
    `archive, beside towerwatch and not in the ratio (the tutorial design keeps none); storage at month ${ar.usage.pricedMonth} of its life`,
    table(
      [
        ['service', 'item', 'quantity / month', 'USD'],
        ...ar.items.map((i) => [i.service, i.item, quantity(i), usd(i.usd)]),
        ['archive total / month', '', '', usd(ar.monthlyUsd)],
      ],
      2,
    ),
    `${count(ar.usage.firehoseRecordsPerMonth)} stream records read, ${count(ar.usage.rowsPerMonth)} rows, ${ar.usage.parquetGbPerMonth.toFixed(2)} GB of Parquet a month, ${ar.usage.archiveGb.toFixed(1)} GB stored in month ${ar.usage.pricedMonth}`,
    '',
    `towerwatch with its archive, as the CDK app deploys it: ${usd(c.deployedMonthlyUsd)} / month`,
    '',
    table(usage),
  ].join('\n');
}

export function formatPrices(): string {
  return table(
    [
      ['service', 'what', 'USD', 'per'],
      ...Object.values(PRICES).map((p) => [p.service, p.what, String(p.usd), p.per]),
    ],
    2,
  );
}
