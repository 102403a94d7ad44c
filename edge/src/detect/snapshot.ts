import * as z from 'zod';
import {
  AlertRuleSchema,
  FiniteNumberSchema,
  SensorIdSchema,
  SensorKindSchema,
  SeveritySchema,
} from '../../../protocol/index.js';

/** The rules detection evaluates per sensor; `tower-offline` is the cloud's to raise. */
export const SensorRuleSchema = AlertRuleSchema.exclude(['tower-offline']);

const TimeSchema = FiniteNumberSchema;

/**
 * What a rule's evaluator had seen when its incident was open, so that after a restart it still sees
 * the condition (a stuck value, silence, failed reads, a recent jump) instead of starting blind and
 * clearing at the first sample.
 */
export const ResumeContextSchema = z
  .object({
    /** sensor-offline: the last good reading before the silence. */
    lastGoodTime: TimeSchema.optional(),
    /** sensor-fault: failed reads in a row so far. */
    consecutiveFailures: z.number().int().nonnegative().optional(),
    /** flat-line: the value the sensor is stuck at and since when. */
    flat: z.object({ anchor: FiniteNumberSchema, since: TimeSchema }).strict().optional(),
    /** rate-of-change: the samples of the window. */
    rate: z
      .object({ times: z.array(TimeSchema), values: z.array(FiniteNumberSchema) })
      .strict()
      .refine((w) => w.times.length === w.values.length, 'times and values must pair up')
      .optional(),
  })
  .strict();

/** An incident raised and not yet cleared: enough to clear it later under its original alertId. */
export const OpenIncidentSchema = z
  .object({
    alertId: z.string().min(1).max(192),
    sensorId: SensorIdSchema,
    kind: SensorKindSchema,
    rule: SensorRuleSchema,
    severity: SeveritySchema,
    level: z.union([z.literal(1), z.literal(2)]),
    raisedAt: TimeSchema,
    value: FiniteNumberSchema.nullable(),
    threshold: FiniteNumberSchema.nullable(),
    resume: ResumeContextSchema.optional(),
  })
  .strict();

/** A (sensor, rule) cleared recently enough that its cooldown still holds back a new raise. */
export const CoolingRuleSchema = z
  .object({
    sensorId: SensorIdSchema,
    kind: SensorKindSchema,
    rule: SensorRuleSchema,
    clearedAt: TimeSchema,
  })
  .strict();

/** The alert state of a detector that must outlive the process. */
export const DetectorSnapshotSchema = z
  .object({
    open: z.array(OpenIncidentSchema),
    cooling: z.array(CoolingRuleSchema),
  })
  .strict();

export type ResumeContext = z.infer<typeof ResumeContextSchema>;
export type OpenIncident = z.infer<typeof OpenIncidentSchema>;
export type CoolingRule = z.infer<typeof CoolingRuleSchema>;
export type DetectorSnapshot = z.infer<typeof DetectorSnapshotSchema>;
