import * as z from 'zod';
import { SensorIdSchema } from '../ids.js';
import { IOT } from '../limits.js';
import { FiniteNumberSchema, SchemaVersionSchema } from './common.js';
import { SeveritySchema } from './alert.js';

export const SENSOR_KINDS = [
  'temperature',
  'humidity',
  'voltage',
  'current',
  'power',
  'door',
  'vibration',
  'generic',
] as const;
export const SensorKindSchema = z.enum(SENSOR_KINDS);
export type SensorKind = z.infer<typeof SensorKindSchema>;

/**
 * Numbers may arrive as strings from the Greengrass nucleus configuration merge, so every number
 * in configuration is coerced; "abc" still fails with the field's path.
 */
export const ConfigNumber = z.coerce.number().refine(Number.isFinite, 'must be a finite number');
export const ConfigInt = z.coerce.number().int('must be a whole number');
export const ConfigBoolean = z.preprocess(
  (v) => (v === 'true' ? true : v === 'false' ? false : v),
  z.boolean(),
);

const LimitLevels = z
  .object({ warning: ConfigNumber.optional(), critical: ConfigNumber.optional() })
  .strict();

export const DetectionRulesSchema = z
  .object({
    /** Raise above these. */
    high: LimitLevels.optional(),
    /** Raise below these. */
    low: LimitLevels.optional(),
    /** A raised threshold alert clears only once the value is back inside the limit by this much. */
    hysteresis: ConfigNumber.pipe(z.number().nonnegative()).optional(),
    rateOfChange: z
      .object({
        maxDelta: ConfigNumber.pipe(z.number().positive()),
        windowMs: ConfigInt.pipe(z.number().int().positive()),
        severity: SeveritySchema.optional(),
      })
      .strict()
      .optional(),
    /** Raise when the value has not moved by more than `epsilon` for `windowMs`. */
    flatLine: z
      .object({
        windowMs: ConfigInt.pipe(z.number().int().positive()),
        epsilon: ConfigNumber.pipe(z.number().nonnegative()).optional(),
      })
      .strict()
      .optional(),
    /** Raise sensor-offline when no good reading arrived for this long. */
    offlineAfterMs: ConfigInt.pipe(z.number().int().positive()).optional(),
    /** Raise only when k of the last n samples breach. */
    debounce: z
      .object({
        k: ConfigInt.pipe(z.number().int().min(1)),
        n: ConfigInt.pipe(z.number().int().min(1).max(100)),
      })
      .strict()
      .refine((d) => d.k <= d.n, { message: 'debounce.k must be <= debounce.n', path: ['k'] })
      .optional(),
    /** After a clear, the same (sensor, rule) cannot raise again for this long. */
    cooldownMs: ConfigInt.pipe(z.number().int().nonnegative()).optional(),
    /** Raise sensor-fault after this many consecutive failed reads. */
    faultAfter: ConfigInt.pipe(z.number().int().min(1)).optional(),
  })
  .strict();
export type DetectionRules = z.infer<typeof DetectionRulesSchema>;

export const BatchingSchema = z
  .object({
    maxBytes: ConfigInt.pipe(z.number().int().min(512).max(IOT.maxPayloadBytes)).optional(),
    maxAgeMs: ConfigInt.pipe(z.number().int().min(100)).optional(),
  })
  .strict();

export const SensorOverrideSchema = z
  .object({
    enabled: ConfigBoolean.optional(),
    intervalMs: ConfigInt.pipe(z.number().int().min(100)).optional(),
  })
  .strict();

/**
 * The named shadow `config`: what an operator may change per tower without a redeploy.
 * `desired` and `reported` both carry this document; every section is optional and overlays
 * the component configuration.
 */
export const ConfigShadowStateSchema = z
  .object({
    schema: SchemaVersionSchema.optional(),
    /** Rules per sensor kind (e.g. all temperature sensors). */
    rules: z.partialRecord(SensorKindSchema, DetectionRulesSchema).optional(),
    /** Rules for one sensor; override its kind's rules field by field. */
    sensorRules: z.record(SensorIdSchema, DetectionRulesSchema).optional(),
    sensors: z.record(SensorIdSchema, SensorOverrideSchema).optional(),
    batching: BatchingSchema.optional(),
    statusIntervalMs: ConfigInt.pipe(z.number().int().min(1000)).optional(),
  })
  .strict();
export type ConfigShadowState = z.infer<typeof ConfigShadowStateSchema>;

/** What the edge adds to `reported` besides the applied config. */
export const ConfigReportedExtrasSchema = z.object({
  configError: z.string().nullable().optional(),
  appliedAt: z.number().int().optional(),
  appliedVersion: z.number().int().optional(),
});

export const DEFAULT_DETECTION_RULES = {
  temperature: {
    high: { warning: 40, critical: 45 },
    hysteresis: 1,
    rateOfChange: { maxDelta: 5, windowMs: 60_000 },
    flatLine: { windowMs: 30 * 60_000, epsilon: 0 },
    offlineAfterMs: 5 * 60_000,
    debounce: { k: 2, n: 3 },
    cooldownMs: 60_000,
  },
  humidity: {
    high: { warning: 85 },
    low: { warning: 10 },
    hysteresis: 2,
    offlineAfterMs: 5 * 60_000,
    debounce: { k: 2, n: 3 },
    cooldownMs: 60_000,
  },
  /** -48 V DC telecom plant (reported as magnitude): float ~53.6 V, low-voltage disconnect ~44 V. */
  voltage: {
    low: { warning: 47, critical: 44 },
    high: { warning: 57.5 },
    hysteresis: 0.5,
    debounce: { k: 2, n: 3 },
    cooldownMs: 60_000,
  },
  vibration: {
    high: { warning: 0.5, critical: 1 },
    hysteresis: 0.05,
    debounce: { k: 3, n: 5 },
    cooldownMs: 60_000,
  },
} as const satisfies Partial<Record<SensorKind, DetectionRules>>;

/** Health rules every sensor gets whatever its kind; kind and per-sensor rules override them. */
export const DEFAULT_SENSOR_HEALTH_RULES = {
  offlineAfterMs: 5 * 60_000,
  faultAfter: 3,
  cooldownMs: 60_000,
} as const satisfies DetectionRules;

export const DEFAULT_BATCHING = { maxBytes: IOT.billingUnitBytes, maxAgeMs: 10_000 } as const;

export function finiteOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export { FiniteNumberSchema };
