import { readFileSync } from 'node:fs';
import { Document, parse, visit } from 'yaml';
import { z } from 'zod';
import { formatIssues } from '../../../protocol/index.js';

/**
 * The Greengrass v2 component recipe format (AWS IoT Greengrass component recipe reference,
 * RecipeFormatVersion 2020-01-25) as far as this component uses it, strict so a misspelt key fails.
 */
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
export const VERSION_PLACEHOLDER = '{COMPONENT_VERSION}' as const;

/** Names inside the component artifact; the recipe's Run script points at the bundle through them. */
export const ARTIFACT = {
  zip: 'towerwatch-edge.zip',
  /** Greengrass unarchives a ZIP into a folder named after it. */
  dir: 'towerwatch-edge',
  bundle: 'towerwatch-edge.cjs',
} as const;

const PermissionSchema = z
  .object({
    Read: z.enum(['NONE', 'OWNER', 'ALL']).optional(),
    Execute: z.enum(['NONE', 'OWNER', 'ALL']).optional(),
  })
  .strict();

export const ArtifactSchema = z
  .object({
    URI: z
      .string()
      .regex(/^(s3|docker|greengrass):\/\/.+/, 'artifact URI must be s3://, docker:// or greengrass://'),
    Unarchive: z.enum(['NONE', 'ZIP']).optional(),
    Permission: PermissionSchema.optional(),
    Digest: z.string().optional(),
    Algorithm: z.string().optional(),
  })
  .strict();

const StepSchema = z.union([
  z.string().min(1),
  z
    .object({
      Script: z.string().min(1),
      RequiresPrivilege: z.boolean().optional(),
      Skipif: z
        .string()
        .regex(/^(onpath|exists) .+/, 'Skipif is "onpath <exe>" or "exists <file>"')
        .optional(),
      Timeout: z.number().int().positive().optional(),
      Setenv: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
]);

/** Lifecycle step names are case-insensitive in recipes (`Run` and `run`). */
export const LifecycleSchema = z
  .preprocess(
    (v) =>
      typeof v === 'object' && v !== null && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toLowerCase(), x]))
        : v,
    z
      .object({
        setenv: z.record(z.string(), z.string()).optional(),
        bootstrap: StepSchema.optional(),
        install: StepSchema.optional(),
        startup: StepSchema.optional(),
        run: StepSchema.optional(),
        shutdown: StepSchema.optional(),
        recover: StepSchema.optional(),
      })
      .strict(),
  )
  .refine((l) => !(l.run && l.startup), 'a lifecycle has run or startup, not both');

export const PlatformSchema = z
  .object({
    os: z.enum(['linux', 'windows', 'darwin', '*']).optional(),
    architecture: z.string().optional(),
    'architecture.detail': z.string().optional(),
    runtime: z.string().optional(),
  })
  .catchall(z.string());

export const ManifestSchema = z
  .object({
    Name: z.string().optional(),
    Platform: PlatformSchema,
    Lifecycle: LifecycleSchema.optional(),
    Selections: z.array(z.string()).optional(),
    Artifacts: z.array(ArtifactSchema).optional(),
  })
  .strict();

export const AccessControlPolicySchema = z
  .object({
    policyDescription: z.string().optional(),
    operations: z.array(z.string().regex(/^(aws\.greengrass#[A-Za-z]+|\*)$/)).min(1),
    resources: z.array(z.string().min(1)).min(1),
  })
  .strict();

/** accessControl: IPC service identifier → policy id → policy. */
export const AccessControlSchema = z.record(z.string(), z.record(z.string(), AccessControlPolicySchema));

export const RecipeSchema = z
  .object({
    RecipeFormatVersion: z.literal('2020-01-25'),
    ComponentName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
    ComponentVersion: z.union([
      z.string().regex(SEMVER, 'ComponentVersion must be major.minor.patch'),
      z.literal(VERSION_PLACEHOLDER),
    ]),
    ComponentType: z
      .enum([
        'aws.greengrass.generic',
        'aws.greengrass.lambda',
        'aws.greengrass.plugin',
        'aws.greengrass.nucleus',
      ])
      .optional(),
    ComponentDescription: z.string().optional(),
    ComponentPublisher: z.string().min(1),
    ComponentSource: z.string().optional(),
    ComponentConfiguration: z
      .object({
        DefaultConfiguration: z.looseObject({ accessControl: AccessControlSchema.optional() }),
      })
      .strict()
      .optional(),
    ComponentDependencies: z
      .record(
        z.string(),
        z
          .object({
            VersionRequirement: z.string().min(1),
            DependencyType: z.enum(['HARD', 'SOFT']).optional(),
          })
          .strict(),
      )
      .optional(),
    Manifests: z.array(ManifestSchema).min(1),
    Lifecycle: LifecycleSchema.optional(),
  })
  .strict();
export type Recipe = z.infer<typeof RecipeSchema>;

/** Parses and validates recipe YAML; throws one line naming the first bad fields. */
export function parseRecipe(text: string, source = 'recipe'): Recipe {
  const result = RecipeSchema.safeParse(parse(text));
  if (!result.success)
    throw new Error(`${source} is not a valid Greengrass recipe: ${formatIssues(result.error.issues)}`);
  return result.data;
}

export function readRecipe(path: string): Recipe {
  return parseRecipe(readFileSync(path, 'utf8'), path);
}

/** The recipe with its version and artifact location filled in, as YAML (the template's text, placeholders replaced). */
export function renderRecipe(template: string, fill: { version: string; artifactUri?: string }): string {
  if (!SEMVER.test(fill.version))
    throw new Error(`component version ${fill.version} is not major.minor.patch`);
  const doc = parse(template) as Recipe;
  doc.ComponentVersion = fill.version;
  if (fill.artifactUri) {
    for (const m of doc.Manifests) for (const a of m.Artifacts ?? []) a.URI = fill.artifactUri;
  }
  const text = toYaml11Safe(doc);
  parseRecipe(text, 'rendered recipe');
  assertReadsAlikeInYaml11(text, 'rendered recipe');
  return text;
}

/**
 * YAML that YAML 1.1 and 1.2 parsers read alike: every string a 1.1 parser would take for something
 * else (a date such as 2020-01-25, a number, yes/no/on/off) is double-quoted.
 */
export function toYaml11Safe(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || node.value.includes('\n')) return;
      let as11: unknown;
      try {
        as11 = parse(node.value, { version: '1.1' });
      } catch {
        return; // not plain YAML at all: the writer already picks a style that keeps it a string
      }
      if (as11 !== node.value) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/**
 * Greengrass (SnakeYAML) and GDK (PyYAML) read YAML 1.1, where an unquoted 2020-01-25 is a date and
 * the recipe schema wants a string: a recipe must mean the same in YAML 1.1 and 1.2.
 */
export function assertReadsAlikeInYaml11(text: string, source = 'recipe'): void {
  const as12 = parse(text);
  const as11 = parse(text, { version: '1.1' });
  const diff = firstDifference(as12, as11, '');
  if (diff !== null) {
    throw new Error(`${source}: ${diff || 'the document'} reads differently in YAML 1.1 (quote it)`);
  }
}

function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (a === b) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path;
  if (Array.isArray(a) !== Array.isArray(b) || a instanceof Date || b instanceof Date) return path;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return path;
  for (const k of ka) {
    const d = firstDifference(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      path ? `${path}.${k}` : k,
    );
    if (d !== null) return d;
  }
  return null;
}
