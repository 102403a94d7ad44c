// A namespace import (not `{ z }`) lets esbuild drop the zod locales the Lambdas never use: 510 KB → 167 KB.
import * as z from 'zod';

export const SCHEMA_VERSION = 1 as const;

/** Epoch milliseconds UTC. Bounded to 2000-01-01 .. 2100-01-01 so a seconds-vs-ms mistake is caught. */
export const EpochMsSchema = z
  .number()
  .int()
  .min(946_684_800_000, 'time must be epoch milliseconds (after 2000-01-01)')
  .max(4_102_444_800_000, 'time must be epoch milliseconds (before 2100-01-01)');

/** z.number() already refuses NaN; Infinity must be refused explicitly because JSON cannot carry it. */
export const FiniteNumberSchema = z.number().refine(Number.isFinite, 'must be a finite number');

export const SchemaVersionSchema = z.literal(SCHEMA_VERSION);
