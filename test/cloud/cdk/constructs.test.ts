import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ContextError,
  componentRecipe,
  EdgeBundleError,
  EdgeComponent,
  Ingest,
  parseStackContext,
  Storage,
} from '../../../cloud/lib/index.js';
import { FIXTURE_EDGE_DIST } from './helpers.js';

// Constructs on their own in a bare stack: no Lambda bundling, so these synthesize in milliseconds.
const bareStack = () => new Stack(new App(), 'Bare');

describe('context', () => {
  it('defaults to an on-demand, retained, protected, environment-agnostic deployment', () => {
    const c = parseStackContext({});
    expect(c).toMatchObject({
      stackName: 'Towerwatch',
      retentionHours: 24,
      removalPolicy: 'retain',
      deletionProtection: true,
      deployToThingGroup: false,
    });
    expect(c.shardCount).toBeUndefined();
    expect(c.region).toBeUndefined();
  });

  it('coerces the strings `cdk -c key=value` passes', () => {
    const c = parseStackContext({
      shardCount: '4',
      retentionHours: '48',
      deletionProtection: 'false',
      deployToThingGroup: 'true',
      region: 'eu-west-1',
    });
    expect(c).toMatchObject({
      shardCount: 4,
      retentionHours: 48,
      deletionProtection: false,
      deployToThingGroup: true,
    });
  });

  it('names the key and the fix for a bad value', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ shardCount: 'two' }, 'shardCount'],
      [{ retentionHours: '12' }, 'retentionHours'],
      [{ alertEmail: 'not-an-address' }, 'alertEmail'],
      [{ removalPolicy: 'keep' }, 'removalPolicy'],
      [{ componentVersion: '1.0' }, 'componentVersion'],
      [{ region: 'Ireland' }, 'region'],
    ];
    for (const [raw, key] of bad) {
      expect(() => parseStackContext(raw)).toThrow(ContextError);
      expect(() => parseStackContext(raw)).toThrow(
        new RegExp(`^context '${key}': .+ \\(set it with -c ${key}=`),
      );
    }
  });
});

describe('Ingest', () => {
  it('switches to provisioned shards and the given retention when shardCount is set', () => {
    const stack = bareStack();
    const ingest = new Ingest(stack, 'Ingest', {
      retentionHours: 72,
      shardCount: 3,
      ruleErrorBucket: new s3.Bucket(stack, 'Errors'),
    });
    ingest.invokeFromRules(
      'alert-notifier',
      new lambda.Function(stack, 'Notifier', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => {}'),
      }),
    );
    Template.fromStack(stack).hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 3,
      RetentionPeriodHours: 72,
    });
  });
});

describe('Storage', () => {
  it('takes removal policy and deletion protection from its props', () => {
    const stack = bareStack();
    new Storage(stack, 'Storage', { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });
});

describe('Greengrass component', () => {
  const recipe = `
ComponentName: '{COMPONENT_NAME}'
ComponentVersion: '{COMPONENT_VERSION}'
Manifests:
  - Platform: { os: linux }
    Artifacts:
      - URI: s3://BUCKET_NAME/COMPONENT_NAME/COMPONENT_VERSION/towerwatch-edge.zip
        Unarchive: ZIP
      - URI: s3://elsewhere/other.bin
`;

  it('names and versions the recipe and points only the component zip at the asset', () => {
    const r = componentRecipe(recipe, {
      componentName: 'com.example.Edge',
      componentVersion: '1.2.3',
      artifactUri: 's3://assets/abc.zip',
    });
    expect(r.ComponentName).toBe('com.example.Edge');
    expect(r.ComponentVersion).toBe('1.2.3');
    expect(r.Manifests?.[0]?.Artifacts).toEqual([
      { URI: 's3://assets/abc.zip', Unarchive: 'ZIP' },
      { URI: 's3://elsewhere/other.bin' },
    ]);
  });

  it("keeps the built recipe's version unless one is given, and refuses a placeholder", () => {
    const built = recipe.replace("'{COMPONENT_VERSION}'", '0.4.2');
    const base = { componentName: 'c', artifactUri: 's3://a/b.zip' };
    expect(componentRecipe(built, base).ComponentVersion).toBe('0.4.2');
    expect(componentRecipe(built, { ...base, componentVersion: '1.0.0' }).ComponentVersion).toBe('1.0.0');
    expect(() => componentRecipe(recipe, base)).toThrow(/set the context key componentVersion/);
  });

  it('refuses a recipe without the component zip artifact or without manifests', () => {
    const opts = { componentName: 'c', componentVersion: '1.0.0', artifactUri: 's3://a/b.zip' };
    expect(() => componentRecipe('Manifests:\n  - Artifacts: []\n', opts)).toThrow(/towerwatch-edge\.zip/);
    expect(() => componentRecipe('ComponentName: x\n', opts)).toThrow(EdgeBundleError);
  });

  let tmp: string | undefined;
  afterEach(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  });

  it('tells the user to run npm run build:edge when the build output is missing', () => {
    tmp = mkdtempSync(join(tmpdir(), 'towerwatch-edge-'));
    const stack = bareStack();
    const role = new iam.Role(stack, 'Tes', {
      assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com'),
    });
    expect(
      () =>
        new EdgeComponent(stack, 'Edge', {
          distDir: tmp!,
          shadowManagerVersion: '2.3.12',
          tokenExchangeRole: role,
        }),
    ).toThrow(/towerwatch-edge\.zip not found: run `npm run build:edge` first/);
  });

  it('runs the build before reading its output, and publishes without deploying by default', () => {
    const stack = bareStack();
    const role = new iam.Role(stack, 'Tes', {
      assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com'),
    });
    let built = 0;
    new EdgeComponent(stack, 'Edge', {
      distDir: FIXTURE_EDGE_DIST,
      build: () => {
        built++;
      },
      componentVersion: '1.0.0',
      shadowManagerVersion: '2.3.12',
      tokenExchangeRole: role,
    });
    expect(built).toBe(1);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::GreengrassV2::ComponentVersion', 1);
    t.resourceCountIs('AWS::GreengrassV2::Deployment', 0);
  });
});
