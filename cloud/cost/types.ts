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

export interface DesignCost {
  design: string;
  description: string;
  monthlyUsd: number;
  byService: Record<string, number>;
  items: LineItem[];
  usage: {
    /** Device messages and stored acknowledgements (each a publish and a delivery). */
    iotMessagesPerMonth: number;
    /** Stored acknowledgements the telemetry writer publishes to the towers. */
    storedAcksPerMonth: number;
    kinesisRecordsPerMonth: number;
    dynamoWriteUnitsPerMonth: number;
    storageGb: number;
    lambdaInvocationsPerMonth: number;
  };
}

export interface CostComparison {
  pricesAsOf: string;
  region: string;
  fleet: FleetProfile;
  readingsPerMonth: number;
  towerwatch: DesignCost;
  tutorial: DesignCost;
  /** tutorial ÷ towerwatch monthly total. */
  ratio: number;
}
