import { type CfnResource, Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { NODEJS_BUNDLING, REPO_ROOT } from './lambda-bundling.js';
import { ignoreCfnLint } from './lint.js';

export interface TowerwatchFunctionProps {
  /** The function's name in `cloud/data/tables.ts` (role description, log lines). */
  readonly name: string;
  /** Absolute path of the handler module. */
  readonly entry: string;
  readonly handler: string;
  readonly description: string;
  readonly memorySizeMb: number;
  readonly timeoutSeconds: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetentionDays: number;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Every towerwatch Lambda: arm64 on nodejs24.x, bundled the one way (LAMBDA_BUNDLING), JSON logs to
 * its own log group with a retention, and its own role that may log only there (instead of
 * AWSLambdaBasicExecutionRole's every-log-group grant), traced by X-Ray. Callers add what else the role may do.
 */
export function towerwatchFunction(
  scope: Construct,
  id: string,
  props: TowerwatchFunctionProps,
): NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: props.logRetentionDays as logs.RetentionDays,
    removalPolicy: props.removalPolicy,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `towerwatch ${props.name} execution role`,
  });
  logGroup.grantWrite(role);
  // Scoped to this role alone: X-Ray's PutTraceSegments and PutTelemetryRecords take no resource
  // but `*`; test/cloud/cdk/stack.test.ts checks every `*` statement holds X-Ray actions only.
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'Active tracing: X-Ray PutTraceSegments and PutTelemetryRecords accept only Resource "*"',
  });
  const fn = new NodejsFunction(scope, id, {
    entry: props.entry,
    handler: props.handler,
    description: props.description,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySizeMb,
    timeout: Duration.seconds(props.timeoutSeconds),
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    // X-Ray active tracing: each invocation is sampled and traced (the Lambda segment and its AWS calls).
    tracing: lambda.Tracing.ACTIVE,
    projectRoot: REPO_ROOT,
    depsLockFilePath: `${REPO_ROOT}/package-lock.json`,
    bundling: NODEJS_BUNDLING,
    environment: { POWERTOOLS_LOG_LEVEL: 'INFO', NODE_OPTIONS: '--enable-source-maps', ...props.environment },
  });
  ignoreCfnLint(
    fn.node.defaultChild as CfnResource,
    'W3005',
    'CDK makes a function depend on its role construct, so DependsOn names the role beside its policy; the role entry repeats the GetAtt and is harmless',
  );
  return fn;
}
