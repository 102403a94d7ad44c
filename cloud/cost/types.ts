import { z } from 'zod';

export const KinesisModeSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('on-demand') }),
  z.object({ mode: z.literal('provisioned'), shards: z.number().int().min(1) }),
]);

/** The fleet being priced. */
export const FleetProfileSchema = z.object({
  towers: z.number().int().min(1, 'towers must be at least 1'),
  sensorsPerTower: z.number().int().min(1, 'sensors must be at least 1'),
  /** Every sensor is read once per interval. */
  intervalMs: z.number().int().min(100, 'interval must be at least 100ms'),
  alertsPerTowerPerDay: z.number().min(0).default(1),
  /** Days a reading is kept in DynamoDB (TTL): storage grows to this steady state. */
  retentionDays: z.number().int().min(1).default(30),
  alertEmailSubscribers: z.number().int().min(0).default(1),
  kinesis: KinesisModeSchema.default({ mode: 'on-demand' }),
});
export type FleetProfileInput = z.input<typeof FleetProfileSchema>;
export type FleetProfile = z.output<typeof FleetProfileSchema>;

export interface LineItem {
  service: string;
  item: string;
  /** Quantity in the unit of `price`. */
  quantity: number;
  unit: string;
  usd: number;
}

/** A priced design: its line items, their total and their sum per service, and what it uses. */
export interface PricedDesign<U> {
  design: string;
  description: string;
  monthlyUsd: number;
  byService: Record<string, number>;
  items: LineItem[];
  usage: U;
}

export interface DesignUsage {
  /** Device messages and stored acknowledgements (each a publish and a delivery). */
  iotMessagesPerMonth: number;
  /** Stored acknowledgements the telemetry writer publishes to the towers. */
  storedAcksPerMonth: number;
  kinesisRecordsPerMonth: number;
  dynamoWriteUnitsPerMonth: number;
  storageGb: number;
  lambdaInvocationsPerMonth: number;
}
export type DesignCost = PricedDesign<DesignUsage>;

export interface ArchiveUsage {
  /** Stream records the delivery stream reads (every record, status reports included). */
  firehoseRecordsPerMonth: number;
  /** What Firehose bills as ingested: each record rounded up to 5 KB. */
  firehoseIngestGb: number;
  /** Archive rows the processor emits (readings and alert transitions). */
  rowsPerMonth: number;
  /** The processor's output: JSON rows, the bytes partitioned and converted to Parquet. */
  rowJsonGb: number;
  /** Format conversion billed: the larger reading of the meter (see the model). */
  conversionGb: number;
  processorInvocationsPerMonth: number;
  /** Parquet objects delivered (both tables). */
  objectsPerMonth: number;
  /** Parquet written in a month. */
  parquetGbPerMonth: number;
  /** Month of the archive's life whose storage is priced (storage grows for as long as nothing expires). */
  pricedMonth: number;
  /** Parquet stored, averaged over the priced month, in all storage classes. */
  archiveGb: number;
  athenaQueriesPerMonth: number;
  /** Bytes Athena bills, the 10 MB minimum per query applied. */
  athenaScannedGb: number;
}
/** The archive the CDK app deploys beside the real-time path. */
export type ArchiveCost = PricedDesign<ArchiveUsage>;

export interface CostComparison {
  pricesAsOf: string;
  region: string;
  fleet: FleetProfile;
  readingsPerMonth: number;
  /** The real-time path: IoT Core → Kinesis → consumers → DynamoDB and alerts. */
  towerwatch: DesignCost;
  /** Firehose → Parquet in S3 → Athena, read from the same stream; `towerwatch` excludes it. */
  archive: ArchiveCost;
  /** What the deployed stack bills: `towerwatch` + `archive`. */
  deployedMonthlyUsd: number;
  tutorial: DesignCost;
  /**
   * tutorial ÷ towerwatch monthly total, the archive left out of both: the tutorial design keeps no
   * archive, so only the real-time paths do the same job.
   */
  ratio: number;
}
