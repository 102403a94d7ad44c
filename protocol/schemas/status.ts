import * as z from 'zod';
import { TowerIdSchema } from '../ids.js';
import { EpochMsSchema, SchemaVersionSchema } from './common.js';

const Count = z.number().int().nonnegative();

export const StatusSchema = z.object({
  schema: SchemaVersionSchema,
  towerId: TowerIdSchema,
  time: EpochMsSchema,
  uptimeS: z.number().nonnegative(),
  buffer: z.object({
    depthBytes: Count,
    depthMessages: Count,
    oldestAgeMs: Count.nullable(),
  }),
  drops: z.object({
    /** Readings dropped because the disk budget was exceeded. */
    readings: Count,
    /** Records skipped because their CRC failed. */
    corruptRecords: Count,
  }),
  connectivity: z.object({
    connected: z.boolean(),
    reconnects: Count,
    lastConnectedAt: EpochMsSchema.nullable(),
  }),
  /**
   * Telemetry batches PUBACK'd but not yet named by a stored acknowledgement (they stay in the
   * buffer). Absent from edges that predate stored acknowledgements.
   */
  unconfirmed: z
    .object({
      depthMessages: Count,
      /** Since the first PUBACK of the oldest of them; null when none waits. */
      oldestAgeMs: Count.nullable(),
      /** Batches sent again because no acknowledgement named them within `transport.confirmTimeoutMs`. */
      resentAfterTimeout: Count,
      /** Newest batches sent once more after a quiet spell, so the cloud acknowledges what it throttled. */
      nudges: Count.optional(),
    })
    .optional(),
  sensors: z.object({ ok: Count, failing: Count }).optional(),
  configVersion: Count.optional(),
});
export type Status = z.infer<typeof StatusSchema>;
