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
  /**
   * Whether the buffer can write its directory. 'memory': it could not be opened (read-only,
   * missing, not writable); alerts are kept in memory (a restart loses the undelivered ones) and
   * telemetry is refused. Absent from edges that predate it.
   */
  storage: z
    .object({
      mode: z.enum(['disk', 'memory']),
      /** The storage problem while it lasts (open, write or cursor save), one line; else null. */
      error: z.string().max(1024).nullable(),
      /** Alerts the disk refused that went out from memory instead. */
      alertsInMemory: Count,
      alertsDroppedFromMemory: Count,
      /** Readings of telemetry batches the disk refused. */
      readingsRefused: Count,
      /** Failed saves of a lane's delivery cursor since its last success (a restart redelivers). */
      cursorSaveFailures: Count,
    })
    .optional(),
  sensors: z.object({ ok: Count, failing: Count }).optional(),
  configVersion: Count.optional(),
});
export type Status = z.infer<typeof StatusSchema>;
