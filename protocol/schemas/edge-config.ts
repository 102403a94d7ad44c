import { z } from 'zod';
import { TowerIdSchema } from '../ids.js';
import { BatchingSchema, ConfigShadowStateSchema } from './config.js';
import { BufferConfigSchema, TransportConfigSchema } from './delivery-config.js';

/**
 * The edge component's whole configuration: the Greengrass recipe's DefaultConfiguration merged by
 * the nucleus, or a JSON/YAML file outside Greengrass. The `config` shadow overlays `tunable`.
 * Sensor source definitions are added by the sensing module.
 */
export const EdgeConfigSchema = z
  .object({
    towerId: TowerIdSchema,
    sensors: z.array(z.record(z.string(), z.unknown())).default([]),
    tunable: ConfigShadowStateSchema.default({}),
    batching: BatchingSchema.default({}),
    buffer: BufferConfigSchema.default({ maxBytes: 256 * 1024 * 1024, fsyncWindowMs: 100 }),
    transport: TransportConfigSchema.default({
      kind: 'auto',
      maxInflight: 100,
      maxPublishesPerSecond: 100,
      maxBytesPerSecond: 512 * 1024,
      drainMaxBytes: 128 * 1024,
    }),
  })
  .strict();
export type EdgeConfig = z.infer<typeof EdgeConfigSchema>;
