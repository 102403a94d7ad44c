import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, Stack } from 'aws-cdk-lib';
import * as greengrass from 'aws-cdk-lib/aws-greengrassv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { parse } from 'yaml';
import { FLEET, SHADOW_NAMES } from '../../protocol/index.js';

const SHADOW_MANAGER = 'aws.greengrass.ShadowManager';
/** Sync the tower's own `config` named shadow both ways (operators write desired, the edge reports). */
export const SHADOW_MANAGER_SYNC = {
  synchronize: {
    coreThing: { classic: false, namedShadows: [SHADOW_NAMES.config] },
    direction: 'betweenDeviceAndCloud',
  },
} as const;

/** What `npm run build:edge` leaves in `dist/edge/`. */
export const EDGE_BUNDLE = { zip: 'towerwatch-edge.zip', recipe: 'recipe.yaml' } as const;

export class EdgeBundleError extends Error {
  override name = 'EdgeBundleError';
}

export interface EdgeComponentProps {
  /** Directory holding the built component zip and recipe. */
  readonly distDir: string;
  /** Produces `distDir` (the app runs `npm run build:edge`); unset means it must already exist. */
  readonly build?: () => void;
  /** Overrides the version in the built recipe (Greengrass versions are immutable: bump on change). */
  readonly componentVersion?: string;
  /** Version of aws.greengrass.ShadowManager deployed alongside, to sync the `config` shadow. */
  readonly shadowManagerVersion: string;
  /** The token exchange role: the only principal that may download the artifact. */
  readonly tokenExchangeRole: iam.IRole;
  /** Deploy the component to this thing group; unset means publish the version only. */
  readonly deployToThingGroupArn?: string;
}

type Recipe = Record<string, unknown> & { Manifests?: Array<{ Artifacts?: Array<Record<string, unknown>> }> };

/**
 * Sets the component name and version, and points the recipe's zip artifact at the uploaded asset.
 * Pure so the substitution is tested without synthesizing anything.
 */
export function componentRecipe(
  recipeText: string,
  opts: { componentName: string; componentVersion?: string; artifactUri: string },
): Recipe {
  const recipe = parse(recipeText) as Recipe;
  if (!recipe || typeof recipe !== 'object' || !Array.isArray(recipe.Manifests)) {
    throw new EdgeBundleError('edge recipe has no Manifests list: rebuild it with `npm run build:edge`');
  }
  let replaced = 0;
  const Manifests = recipe.Manifests.map((m) => ({
    ...m,
    ...(m.Artifacts && {
      Artifacts: m.Artifacts.map((a) => {
        const uriKey = 'URI' in a ? 'URI' : 'Uri';
        const uri = a[uriKey];
        if (typeof uri !== 'string' || !uri.endsWith(`/${EDGE_BUNDLE.zip}`)) return a;
        replaced++;
        return { ...a, [uriKey]: opts.artifactUri };
      }),
    }),
  }));
  if (replaced === 0) {
    throw new EdgeBundleError(
      `edge recipe has no artifact ending in /${EDGE_BUNDLE.zip}: the recipe and the build disagree`,
    );
  }
  const version = opts.componentVersion ?? recipe.ComponentVersion;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new EdgeBundleError(
      `edge recipe version ${JSON.stringify(version)} is not major.minor.patch: set the context key componentVersion`,
    );
  }
  return { ...recipe, ComponentName: opts.componentName, ComponentVersion: version, Manifests };
}

/**
 * The edge component as a Greengrass component version: the built zip uploaded as an S3 asset, the
 * recipe pointing at it, the token exchange role allowed to read exactly that object, and
 * optionally a deployment of the version to the fleet's thing group.
 */
export class EdgeComponent extends Construct {
  readonly asset: s3assets.Asset;
  readonly componentVersion: greengrass.CfnComponentVersion;
  readonly deployment?: greengrass.CfnDeployment;
  /** The published component version. */
  readonly version: string;

  constructor(scope: Construct, id: string, props: EdgeComponentProps) {
    super(scope, id);
    props.build?.();
    const zipPath = join(props.distDir, EDGE_BUNDLE.zip);
    const recipePath = join(props.distDir, EDGE_BUNDLE.recipe);
    for (const file of [zipPath, recipePath]) {
      if (!existsSync(file)) {
        throw new EdgeBundleError(`${file} not found: run \`npm run build:edge\` first`);
      }
    }

    this.asset = new s3assets.Asset(this, 'Artifact', { path: zipPath });
    const recipe = componentRecipe(readFileSync(recipePath, 'utf8'), {
      componentName: FLEET.componentName,
      componentVersion: props.componentVersion,
      artifactUri: `s3://${this.asset.s3BucketName}/${this.asset.s3ObjectKey}`,
    });
    this.version = recipe.ComponentVersion as string;
    this.componentVersion = new greengrass.CfnComponentVersion(this, 'ComponentVersion', {
      inlineRecipe: Stack.of(this).toJsonString(recipe),
    });
    props.tokenExchangeRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::${this.asset.s3BucketName}/${this.asset.s3ObjectKey}`],
      }),
    );

    if (props.deployToThingGroupArn) {
      this.deployment = new greengrass.CfnDeployment(this, 'Deployment', {
        targetArn: props.deployToThingGroupArn,
        deploymentName: `${FLEET.componentName}-${this.version}`,
        components: {
          [FLEET.componentName]: { componentVersion: this.version },
          // The edge reads its `config` shadow through ShadowManager: it must sync that shadow with the cloud.
          [SHADOW_MANAGER]: {
            componentVersion: props.shadowManagerVersion,
            configurationUpdate: { merge: JSON.stringify(SHADOW_MANAGER_SYNC) },
          },
        },
        deploymentPolicies: {
          failureHandlingPolicy: 'ROLLBACK',
          componentUpdatePolicy: { action: 'NOTIFY_COMPONENTS', timeoutInSeconds: 60 },
        },
      });
      this.deployment.addResourceDependency(this.componentVersion);
    }
  }
}
