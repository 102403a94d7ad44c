import * as z from 'zod';
import { SensorIdSchema, TowerIdSchema } from '../ids.js';
import { AlertRuleSchema, SeveritySchema } from './alert.js';
import { EpochMsSchema, SchemaVersionSchema } from './common.js';

/** The named shadow `twin`: the cloud's view of a tower, written only by twin-updater (reported state). */
export const TwinStateSchema = z.object({
  schema: SchemaVersionSchema,
  towerId: TowerIdSchema,
  lastSeenAt: EpochMsSchema.nullable(),
  connectivity: z.object({
    online: z.boolean(),
    since: EpochMsSchema.nullable(),
    lastDisconnectReason: z.string().nullable().optional(),
    /** MQTT client id of the session `online` refers to: a late disconnect of an older session must not mark the tower offline. */
    clientId: z.string().nullable().optional(),
  }),
  latest: z.record(
    SensorIdSchema,
    z.object({
      value: z.number().nullable(),
      time: EpochMsSchema,
      quality: z.enum(['uncertain', 'bad']).optional(),
    }),
  ),
  activeAlerts: z.record(
    z.string(),
    z.object({
      rule: AlertRuleSchema,
      sensorId: SensorIdSchema,
      severity: SeveritySchema,
      since: EpochMsSchema,
      value: z.number().nullable(),
    }),
  ),
  buffer: z
    .object({
      depthBytes: z.number().int(),
      depthMessages: z.number().int(),
      droppedReadings: z.number().int(),
    })
    .nullable()
    .optional(),
  updatedAt: EpochMsSchema,
});
export type TwinState = z.infer<typeof TwinStateSchema>;
