import * as z from 'zod';
import { SensorIdSchema, TowerIdSchema } from '../ids.js';
import { EpochMsSchema, FiniteNumberSchema, SchemaVersionSchema } from './common.js';

export const ALERT_RULES = [
  'threshold-high',
  'threshold-low',
  'rate-of-change',
  'flat-line',
  'sensor-offline',
  'sensor-fault',
  'tower-offline',
] as const;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;

export const AlertRuleSchema = z.enum(ALERT_RULES);
export const SeveritySchema = z.enum(SEVERITIES);
export type AlertRule = z.infer<typeof AlertRuleSchema>;
export type Severity = z.infer<typeof SeveritySchema>;

/**
 * An alert transition. `alertId` names the incident: the raise and its clear share it, so
 * (alertId, state) identifies a message and is what notification de-duplication keys on.
 * Severity escalation (warning → critical) is a new incident with its own alertId.
 */
export const AlertSchema = z.object({
  schema: SchemaVersionSchema,
  towerId: TowerIdSchema,
  /** `<towerId>:<sensorId>:<rule>:<severity>:<raisedAt>` from the edge; at most 192 characters. */
  alertId: z.string().min(1).max(192),
  state: z.enum(['raise', 'clear']),
  severity: SeveritySchema,
  rule: AlertRuleSchema,
  /** `tower` for tower-wide alerts (e.g. tower-offline). */
  sensorId: SensorIdSchema,
  value: FiniteNumberSchema.nullable(),
  threshold: FiniteNumberSchema.nullable(),
  /** When the transition was detected on the tower (epoch ms). */
  time: EpochMsSchema,
  message: z.string().max(256).optional(),
});
export type Alert = z.infer<typeof AlertSchema>;
