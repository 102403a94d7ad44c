import type { Node } from 'constructs';
import { z } from 'zod';

/**
 * Every deploy-time choice comes from CDK context (`cdk.json` or `-c key=value`), parsed once here.
 * Values given on the command line arrive as strings, so numbers and booleans are coerced.
 */
const Bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

export const StackContextSchema = z
  .object({
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must start with a letter and use A-Z a-z 0-9 -')
      .default('Towerwatch'),
    /** Pin the stack to one region; unset leaves it environment-agnostic (the CLI profile decides). */
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region name such as eu-west-1')
      .optional(),
    /** Kinesis retention: 24 h (the free tier of retention) up to 365 days. */
    retentionHours: z.coerce.number().int().min(24).max(8760).default(24),
    /** Set to switch the stream from on-demand to provisioned with this many shards. */
    shardCount: z.coerce.number().int().min(1).max(10_000).optional(),
    alertEmail: z.email('must be an e-mail address').optional(),
    removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
    deletionProtection: Bool.default(true),
    deployToThingGroup: Bool.default(false),
    /** Overrides the built recipe's version; Greengrass versions are immutable, so bump on every change. */
    componentVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, 'must be major.minor.patch, e.g. 1.0.3')
      .optional(),
    shadowManagerVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, 'must be major.minor.patch, e.g. 2.3.12')
      .default('2.3.12'),
    /** The account's IoT data endpoint for the twin updater; unset leaves the SDK's regional default. */
    iotDataEndpoint: z
      .url({ protocol: /^https$/, error: 'must be https://<id>-ats.iot.<region>.amazonaws.com' })
      .optional(),
    logRetentionDays: z.coerce.number().int().min(1).max(3653).default(30),
    /**
     * Athena stops (and bills up to) a query of the archive's workgroup that scans more than this,
     * in GiB; Athena's floor is 10 MB.
     */
    athenaScanLimitGb: z.coerce.number().int().min(1).max(1_000_000).default(10),
  })
  .strict();
export type StackContext = z.infer<typeof StackContextSchema>;
export const CONTEXT_KEYS = Object.keys(StackContextSchema.shape) as (keyof StackContext)[];

export class ContextError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`context '${key}': ${message} (set it with -c ${key}=<value> or in cdk.json)`);
    this.name = 'ContextError';
  }
}

/** Parses the known keys from a raw context map; the first bad key becomes one actionable line. */
export function parseStackContext(raw: Record<string, unknown>): StackContext {
  const picked = Object.fromEntries(
    CONTEXT_KEYS.filter((k) => raw[k] !== undefined && raw[k] !== '').map((k) => [k, raw[k]]),
  );
  const result = StackContextSchema.safeParse(picked);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new ContextError(String(issue.path[0] ?? '?'), issue.message);
}

export function readStackContext(node: Node): StackContext {
  return parseStackContext(Object.fromEntries(CONTEXT_KEYS.map((k) => [k, node.tryGetContext(k)])));
}
