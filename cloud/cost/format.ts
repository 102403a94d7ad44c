import { ASSUMPTIONS, STORED_ACK_ITEM } from './model.js';
import { PRICES } from './prices.js';
import type { CostComparison } from './types.js';

const usd = (n: number) => (n >= 100 ? `$${Math.round(n).toLocaleString('en-US')}` : `$${n.toFixed(2)}`);
const count = (n: number) => Math.round(n).toLocaleString('en-US');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   '),
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
    table(usage),
  ].join('\n');
}

export function formatPrices(): string {
  return table([
    ['service', 'what', 'USD', 'per'],
    ...Object.values(PRICES).map((p) => [p.service, p.what, String(p.usd), p.per]),
  ]);
}
