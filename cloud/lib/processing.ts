import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FUNCTIONS, type FunctionDefinition, type FunctionName } from '../data/tables.js';
import { towerwatchFunction } from './function.js';
import { REPO_ROOT } from './lambda-bundling.js';

/** Sizing per function (what `cloud/data/tables.ts` leaves to the deployment). */
export const FUNCTION_SIZING = {
  // Each record is a whole batch (~300 readings in 5 KB): a batch of records makes many batch writes.
  telemetryWriter: {
    memorySizeMb: 512,
    timeoutSeconds: 120,
    description: 'Writes telemetry batches to DynamoDB',
  },
  twinUpdater: {
    memorySizeMb: 256,
    timeoutSeconds: 60,
    description: "Keeps each tower's twin shadow current",
  },
  alertNotifier: {
    memorySizeMb: 256,
    timeoutSeconds: 60,
    description: 'Records alerts and notifies SNS once',
  },
  alertSweep: {
    memorySizeMb: 256,
    timeoutSeconds: 50,
    description: 'Raises overdue tower-offline and deferred clears',
  },
} as const satisfies Record<
  FunctionName,
  { memorySizeMb: number; timeoutSeconds: number; description: string }
>;

export const STREAM_CONSUMER_NAMES = (Object.keys(FUNCTIONS) as FunctionName[]).filter(
  (n) => (FUNCTIONS[n] as FunctionDefinition).eventSource !== undefined,
);

export interface ProcessingProps {
  readonly stream: kinesis.IStream;
  readonly retentionHours: number;
  /** Receives the records (not pointers) of batches, and the direct invokes, that failed every retry. */
  readonly failureBucket: s3.IBucket;
  /** Handler entry per function; defaults to `FUNCTIONS[name].entry` under the repository root. */
  readonly entries?: Partial<Readonly<Record<FunctionName, string>>>;
  /** Value of every environment variable a function may declare in `FUNCTIONS[name].env`. */
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetentionDays: number;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The functions of `cloud/data/tables.ts` as arm64 NodejsFunctions: the stream consumers with their
 * Kinesis event source mappings, and the scheduled ones on their EventBridge schedule.
 */
export class Processing extends Construct {
  readonly functions: Readonly<Record<FunctionName, NodejsFunction>>;

  constructor(scope: Construct, id: string, props: ProcessingProps) {
    super(scope, id);
    const failure = new S3FailureDestination(props.failureBucket);
    const fns = {} as Record<FunctionName, NodejsFunction>;
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const def: FunctionDefinition = FUNCTIONS[name];
      const fn = this.createFunction(name, def, props);
      fns[name] = fn;
      if (def.eventSource) {
        const es = def.eventSource;
        if (es.maximumRecordAgeSeconds >= props.retentionHours * 3600) {
          throw new Error(
            `${name}: maximumRecordAgeSeconds ${es.maximumRecordAgeSeconds} must stay below the stream retention (${props.retentionHours} h)`,
          );
        }
        fn.addEventSource(
          new KinesisEventSource(props.stream, {
            startingPosition: lambda.StartingPosition[es.startingPosition],
            batchSize: es.batchSize,
            maxBatchingWindow: Duration.millis(es.maxBatchingWindowMs),
            bisectBatchOnError: es.bisectBatchOnFunctionError,
            reportBatchItemFailures: es.reportBatchItemFailures,
            retryAttempts: es.maximumRetryAttempts,
            maxRecordAge: Duration.seconds(es.maximumRecordAgeSeconds),
            onFailure: failure,
          }),
        );
      }
      if (def.asyncInvoke) {
        // An IoT rule invokes it directly (asynchronously): events that fail every retry, or outlive
        // their maximum age, land in the same failure bucket as the stream's failed batches.
        fn.configureAsyncInvoke({
          retryAttempts: def.asyncInvoke.maximumRetryAttempts,
          maxEventAge: Duration.seconds(def.asyncInvoke.maximumEventAgeSeconds),
          onFailure: failure,
        });
      }
      if (def.schedule) {
        new events.Rule(this, `${pascal(name)}Schedule`, {
          schedule: events.Schedule.expression(def.schedule),
          description: `Runs ${name} on ${def.schedule}`,
          targets: [new targets.LambdaFunction(fn, { retryAttempts: 2 })],
        });
      }
    }
    this.functions = fns;
  }

  private createFunction(
    name: FunctionName,
    def: FunctionDefinition,
    props: ProcessingProps,
  ): NodejsFunction {
    const sizing = FUNCTION_SIZING[name];
    const environment: Record<string, string> = {};
    for (const key of def.env) {
      const value = key === 'POWERTOOLS_SERVICE_NAME' ? name : props.environment[key];
      if (value === undefined) throw new Error(`${name}: no value for environment variable ${key}`);
      environment[key] = value;
    }
    return towerwatchFunction(this, pascal(name), {
      name,
      entry: props.entries?.[name] ?? `${REPO_ROOT}/${def.entry}`,
      handler: def.handler,
      description: sizing.description,
      memorySizeMb: sizing.memorySizeMb,
      timeoutSeconds: sizing.timeoutSeconds,
      environment,
      logRetentionDays: props.logRetentionDays,
      removalPolicy: props.removalPolicy,
    });
  }
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * On-failure destination of event source mappings and of asynchronous invokes, granting only what
 * Lambda documents for S3 destinations (`s3:PutObject`, `s3:ListBucket`): the stock
 * S3OnFailureDestination and S3Destination grant read (and delete) too.
 */
class S3FailureDestination implements lambda.IEventSourceDlq, lambda.IDestination {
  constructor(private readonly bucket: s3.IBucket) {}

  bind(
    _scope: unknown,
    targetHandler: lambda.IFunction,
  ): lambda.DlqDestinationConfig & lambda.DestinationConfig {
    targetHandler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('*')] }),
    );
    targetHandler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    return { destination: this.bucket.bucketArn };
  }
}
