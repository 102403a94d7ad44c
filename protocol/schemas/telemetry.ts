import * as z from 'zod';
import { SensorIdSchema, TowerIdSchema } from '../ids.js';
import { EpochMsSchema, FiniteNumberSchema, SchemaVersionSchema } from './common.js';

/**
 * Reading quality. `good` is implied when absent. `bad` carries `value: null` (the read failed);
 * `uncertain` keeps the value (e.g. clock not yet synced, sensor warming up).
 */
export const QUALITY = { good: 0, uncertain: 1, bad: 2 } as const;
export type Quality = keyof typeof QUALITY;
export const QUALITY_BY_CODE = ['good', 'uncertain', 'bad'] as const satisfies readonly Quality[];

/** One reading in its decoded, readable form. */
export interface Reading {
  sensorId: string;
  /** epoch ms */
  time: number;
  value: number | null;
  quality?: Exclude<Quality, 'good'>;
}

const EPOCH_MS_MIN = EpochMsSchema.minValue!;
const EPOCH_MS_MAX = EpochMsSchema.maxValue!;
/** No offset can be wider than the epoch-ms range itself; bounding it keeps `t0 + offset` exact arithmetic. */
const MAX_OFFSET_MS = EPOCH_MS_MAX - EPOCH_MS_MIN;

/**
 * Compact wire form of a reading: [sensorIndex, timeOffsetMs, value] or [sensorIndex, timeOffsetMs, value, qualityCode].
 * sensorIndex points into the batch's `sensors`; timeOffsetMs is relative to the batch's `t0` (negative when a sensor's sample predates the first one).
 * About 15 bytes a reading, where an object per reading costs ~45.
 */
export const CompactReadingSchema = z.tuple([
  z.number().int().nonnegative(),
  z
    .number()
    .int()
    .min(-MAX_OFFSET_MS, 'time offset must keep the reading inside the epoch-ms range')
    .max(MAX_OFFSET_MS, 'time offset must keep the reading inside the epoch-ms range'),
  FiniteNumberSchema.nullable(),
  z.union([z.literal(1), z.literal(2)]).optional(),
]);
export type CompactReading = z.infer<typeof CompactReadingSchema>;

export const TelemetryBatchSchema = z
  .object({
    schema: SchemaVersionSchema,
    towerId: TowerIdSchema,
    /** Per-tower, strictly increasing across restarts. (towerId, seq, index) names a reading everywhere. */
    seq: z.number().int().nonnegative(),
    sentAt: EpochMsSchema,
    /** Base time of the batch; reading times are offsets from it. */
    t0: EpochMsSchema,
    sensors: z.array(SensorIdSchema).min(1).max(1024),
    readings: z.array(CompactReadingSchema).min(1),
  })
  .superRefine((b, ctx) => {
    b.readings.forEach((r, i) => {
      if (r[0] >= b.sensors.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['readings', i, 0],
          message: `sensor index ${r[0]} out of range`,
        });
      }
      // A reading time outside the range is no date the consumers can key or query by (`-9e15`
      // passes as an integer but makes an invalid Date): the batch is refused as a whole.
      const time = b.t0 + r[1];
      if (time < EPOCH_MS_MIN || time > EPOCH_MS_MAX) {
        ctx.addIssue({
          code: 'custom',
          path: ['readings', i, 1],
          message: `time offset ${r[1]} puts the reading at ${time}, outside epoch ms ${EPOCH_MS_MIN}..${EPOCH_MS_MAX} (2000-2100)`,
        });
      }
      if (r.length === 3 && r[2] === null) {
        ctx.addIssue({
          code: 'custom',
          path: ['readings', i, 2],
          message: 'null value needs quality code 2 (bad)',
        });
      }
      if (r.length === 4 && r[2] === null && r[3] !== 2) {
        ctx.addIssue({
          code: 'custom',
          path: ['readings', i, 3],
          message: 'null value needs quality code 2 (bad)',
        });
      }
    });
  });
export type TelemetryBatch = z.infer<typeof TelemetryBatchSchema>;

/**
 * Several consecutive stored batches in one message, used to drain a backlog under the
 * publishes-per-second limit. Each inner batch keeps its own seq, so regrouping on redelivery
 * never changes a reading's identity.
 */
export const TelemetryBundleSchema = z.object({
  schema: SchemaVersionSchema,
  towerId: TowerIdSchema,
  sentAt: EpochMsSchema,
  batches: z.array(TelemetryBatchSchema).min(1),
});
export type TelemetryBundle = z.infer<typeof TelemetryBundleSchema>;

/** Expands a batch into readable readings, in wire order (index = position). */
export function expandReadings(batch: TelemetryBatch): Reading[] {
  return batch.readings.map((r) => {
    const reading: Reading = { sensorId: batch.sensors[r[0]]!, time: batch.t0 + r[1], value: r[2] };
    if (r[3] !== undefined) reading.quality = QUALITY_BY_CODE[r[3]] as Exclude<Quality, 'good'>;
    return reading;
  });
}
