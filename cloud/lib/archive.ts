import { Aws, CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  ARCHIVE_BUFFERING,
  ARCHIVE_CATALOG,
  ARCHIVE_ERROR_PREFIX,
  ARCHIVE_PARTITION,
  ARCHIVE_PROCESSOR_BUFFERING,
  ARCHIVE_S3_PREFIX,
  ARCHIVE_STORAGE,
  ARCHIVE_TABLE_NAMES,
  ARCHIVE_TABLES,
  ARCHIVE_UNION_COLUMNS,
  type ArchiveColumn,
  FIREHOSE,
} from '../../protocol/index.js';
import { ARCHIVE_PROCESSOR, DEFAULTS, ENV } from '../data/tables.js';
import { SecureBucket } from './buckets.js';
import { towerwatchFunction } from './function.js';
import { REPO_ROOT } from './lambda-bundling.js';
import { opsAlarm } from './observability.js';

/** Parquet as Glue and Athena name it (the tables' storage descriptor). */
const PARQUET = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

/** A Glue Data Catalog ARN in this stack's account and region (`catalog`, `database/…`, `table/…/…`). */
const glueArn = (resource: string) => `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;

/** Log stream of the delivery stream's S3 delivery errors (Firehose writes there when told to). */
const DELIVERY_LOG_STREAM = 'DestinationDelivery';

/** Alarm thresholds of the archive (README "reading the dashboard" quotes them). */
export const ARCHIVE_ALARM_THRESHOLDS = {
  /** The oldest record not yet in S3: two buffer intervals means deliveries are failing. */
  dataFreshnessSeconds: 2 * ARCHIVE_BUFFERING.intervalSeconds,
  /** Any record Firehose could not convert lands under errors/ instead of the tables. */
  failedConversionRecords: 1,
} as const;

export interface ArchiveProps {
  /** The telemetry stream; the delivery stream reads it as one more consumer. */
  readonly stream: kinesis.IStream;
  readonly accessLogs: s3.IBucket;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetentionDays: number;
  /** Athena cancels (and bills up to) a query of the workgroup that scans more than this. */
  readonly athenaScanLimitGb: number;
  /** Where the archive's alarms (and their OK) go. */
  readonly opsTopic: sns.ITopic;
  /** Processor handler to bundle instead of `ARCHIVE_PROCESSOR.entry` (tests use a fixture). */
  readonly processorEntry?: string;
}

/**
 * The archive (protocol/archive.ts): Firehose reads the stream, the processor Lambda flattens each
 * record into rows routed by table and day (dynamic partitioning), Firehose converts them to Parquet
 * through the Glue union schema and writes `<table>/dt=YYYY-MM-DD/` in S3; Glue tables with partition
 * projection (no crawler, no partitions to add) and an Athena workgroup with a scan limit query it.
 */
export class Archive extends Construct {
  readonly bucket: s3.Bucket;
  readonly resultsBucket: s3.Bucket;
  readonly processor: NodejsFunction;
  readonly deliveryStream: firehose.CfnDeliveryStream;
  readonly database: glue.CfnDatabase;
  readonly tables: Readonly<Record<(typeof ARCHIVE_TABLE_NAMES)[number], glue.CfnTable>>;
  readonly workGroup: athena.CfnWorkGroup;
  /** Attach to the people and roles that run `towerwatch query --athena`: read the archive, nothing else. */
  readonly queryPolicy: iam.ManagedPolicy;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ArchiveProps) {
    super(scope, id);
    assertBuffering();

    this.bucket = new SecureBucket(this, 'Data', {
      removalPolicy: props.removalPolicy,
      accessLogs: props.accessLogs,
      accessLogsPrefix: 'archive/',
      // Written every buffer interval by design: a request-metrics alarm would say nothing, and the
      // delivery stream's own metrics (alarms below) watch it.
      countWrites: false,
      lifecycleRules: [
        {
          id: 'ColderWithAge',
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(ARCHIVE_STORAGE.infrequentAccessAfterDays),
            },
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(ARCHIVE_STORAGE.glacierInstantRetrievalAfterDays),
            },
          ],
        },
        {
          id: 'ErrorsExpire',
          prefix: 'errors/',
          expiration: Duration.days(ARCHIVE_STORAGE.errorsExpireAfterDays),
        },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    }).bucket;
    this.resultsBucket = new SecureBucket(this, 'QueryResults', {
      removalPolicy: props.removalPolicy,
      accessLogs: props.accessLogs,
      accessLogsPrefix: 'athena-results/',
      // Results are re-computable: kept a week for a re-download, then gone.
      expireAfterDays: 7,
      countWrites: false,
    }).bucket;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: ARCHIVE_CATALOG.database,
        description: 'towerwatch archive: every reading and alert transition (protocol/archive.ts)',
      },
    });
    const tables = {} as Record<(typeof ARCHIVE_TABLE_NAMES)[number], glue.CfnTable>;
    for (const table of ARCHIVE_TABLE_NAMES) {
      tables[table] = this.table(
        table,
        ARCHIVE_TABLES[table].description,
        ARCHIVE_TABLES[table].columns,
        true,
      );
    }
    this.tables = tables;
    const conversion = this.table(
      ARCHIVE_CATALOG.conversionTable,
      'Schema Firehose converts the archive rows with (the union of the tables); query readings or alerts instead',
      ARCHIVE_UNION_COLUMNS,
      false,
    );

    this.processor = towerwatchFunction(this, 'Processor', {
      name: 'archiveProcessor',
      entry: props.processorEntry ?? `${REPO_ROOT}/${ARCHIVE_PROCESSOR.entry}`,
      handler: ARCHIVE_PROCESSOR.handler,
      description: 'Flattens stream records into archive rows for Firehose',
      memorySizeMb: ARCHIVE_PROCESSOR.memoryMb,
      timeoutSeconds: ARCHIVE_PROCESSOR.timeoutSeconds,
      environment: {
        [ENV.serviceName]: 'archiveProcessor',
        [ENV.metricsNamespace]: DEFAULTS.metricsNamespace,
      },
      logRetentionDays: props.logRetentionDays,
      removalPolicy: props.removalPolicy,
    });

    const logGroup = new logs.LogGroup(this, 'DeliveryLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.removalPolicy,
    });
    const logStream = logGroup.addStream('DeliveryLogStream', { logStreamName: DELIVERY_LOG_STREAM });
    const role = this.deliveryRole(props.stream, logGroup);

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: { kinesisStreamArn: props.stream.streamArn, roleArn: role.roleArn },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: ARCHIVE_S3_PREFIX,
        errorOutputPrefix: ARCHIVE_ERROR_PREFIX,
        bufferingHints: {
          sizeInMBs: ARCHIVE_BUFFERING.sizeMb,
          intervalInSeconds: ARCHIVE_BUFFERING.intervalSeconds,
        },
        // Parquet compresses its pages itself (Snappy, below); Firehose requires UNCOMPRESSED then.
        compressionFormat: 'UNCOMPRESSED',
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'Lambda',
              parameters: [
                { parameterName: 'LambdaArn', parameterValue: this.processor.functionArn },
                {
                  parameterName: 'BufferSizeInMBs',
                  parameterValue: String(ARCHIVE_PROCESSOR_BUFFERING.sizeMb),
                },
                {
                  parameterName: 'BufferIntervalInSeconds',
                  parameterValue: String(ARCHIVE_PROCESSOR_BUFFERING.intervalSeconds),
                },
                { parameterName: 'NumberOfRetries', parameterValue: '3' },
              ],
            },
          ],
        },
        // The processor names each record's table and day; Firehose builds ARCHIVE_S3_PREFIX from them.
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        dataFormatConversionConfiguration: {
          enabled: true,
          // The processor writes `ts` as epoch milliseconds; the Hive JSON SerDe reads those as
          // timestamps with the `millis` format (OpenX would read them as seconds).
          inputFormatConfiguration: { deserializer: { hiveJsonSerDe: { timestampFormats: ['millis'] } } },
          outputFormatConfiguration: { serializer: { parquetSerDe: { compression: 'SNAPPY' } } },
          schemaConfiguration: {
            catalogId: Aws.ACCOUNT_ID,
            databaseName: ARCHIVE_CATALOG.database,
            tableName: ARCHIVE_CATALOG.conversionTable,
            region: Aws.REGION,
            roleArn: role.roleArn,
            versionId: 'LATEST',
          },
        },
      },
    });
    // The role's policy must exist before Firehose checks it can read the stream and the schema (the
    // role itself is already a dependency through the GetAtt of its ARN; cfn-lint W3005).
    const policy = role.node.tryFindChild('DefaultPolicy')?.node.defaultChild;
    if (!(policy instanceof CfnResource)) throw new Error('archive delivery role has no policy');
    this.deliveryStream.addResourceDependency(policy);
    this.deliveryStream.addResourceDependency(conversion);

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: ARCHIVE_CATALOG.workGroup,
      description: 'towerwatch archive queries (towerwatch query --athena)',
      recursiveDeleteOption: props.removalPolicy === RemovalPolicy.DESTROY,
      workGroupConfiguration: {
        // Users cannot point results elsewhere or lift the scan limit per query.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.athenaScanLimitGb * 1024 ** 3,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: this.resultsBucket.s3UrlForObject('results/'),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    this.queryPolicy = this.queryPolicyFor();
    this.alarmsOn(new actions.SnsAction(props.opsTopic));
  }

  /** A Glue table over `<table>/`, Parquet, partitioned by `dt` through projection when `projected`. */
  private table(
    name: string,
    description: string,
    columns: readonly ArchiveColumn[],
    projected: boolean,
  ): glue.CfnTable {
    const key = ARCHIVE_PARTITION.key;
    const location = this.bucket.s3UrlForObject(`${name}/`);
    const t = new glue.CfnTable(
      this,
      `${name.replace(/(^|_)(\w)/g, (_, _s, c: string) => c.toUpperCase())}Table`,
      {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: ARCHIVE_CATALOG.database,
        tableInput: {
          name,
          description,
          tableType: 'EXTERNAL_TABLE',
          partitionKeys: [{ name: key, type: 'string', comment: 'UTC day of the row (YYYY-MM-DD)' }],
          parameters: {
            classification: 'parquet',
            EXTERNAL: 'TRUE',
            ...(projected && {
              // Partition projection: Athena computes the day partitions from the query's dt filter,
              // so there is no crawler to run and no partition to add when a day begins.
              'projection.enabled': 'true',
              [`projection.${key}.type`]: 'date',
              [`projection.${key}.format`]: ARCHIVE_PARTITION.projectionFormat,
              [`projection.${key}.range`]: `${ARCHIVE_PARTITION.projectionStart},NOW`,
              [`projection.${key}.interval`]: '1',
              [`projection.${key}.interval.unit`]: 'DAYS',
              'storage.location.template': `${location}${key}=\${${key}}/`,
            }),
          },
          storageDescriptor: {
            location,
            inputFormat: PARQUET.inputFormat,
            outputFormat: PARQUET.outputFormat,
            serdeInfo: { serializationLibrary: PARQUET.serializationLibrary },
            columns: columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
          },
        },
      },
    );
    t.addResourceDependency(this.database);
    return t;
  }

  /** Firehose's role: read the one stream, invoke the one processor, read the one schema, write the one bucket. */
  private deliveryRole(stream: kinesis.IStream, logGroup: logs.LogGroup): iam.Role {
    const role = new iam.Role(this, 'DeliveryRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        // Only a delivery stream of this account may assume it (confused deputy).
        conditions: { StringEquals: { 'sts:ExternalId': Aws.ACCOUNT_ID } },
      }),
      description: 'towerwatch archive delivery stream: stream in, rows through the processor, Parquet out',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'kinesis:DescribeStream',
          'kinesis:GetShardIterator',
          'kinesis:GetRecords',
          'kinesis:ListShards',
        ],
        resources: [stream.streamArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
        resources: [this.processor.functionArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
        resources: [
          glueArn('catalog'),
          glueArn(`database/${ARCHIVE_CATALOG.database}`),
          glueArn(`table/${ARCHIVE_CATALOG.database}/${ARCHIVE_CATALOG.conversionTable}`),
        ],
      }),
    );
    // The S3 actions Firehose documents for an S3 destination; objects are named by Firehose.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          's3:AbortMultipartUpload',
          's3:GetBucketLocation',
          's3:ListBucket',
          's3:ListBucketMultipartUploads',
        ],
        resources: [this.bucket.bucketArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:PutLogEvents'],
        resources: [
          `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:${logGroup.logGroupName}:log-stream:${DELIVERY_LOG_STREAM}`,
        ],
      }),
    );
    return role;
  }

  private queryPolicyFor(): iam.ManagedPolicy {
    return new iam.ManagedPolicy(this, 'QueryPolicy', {
      description: 'Run towerwatch query --athena: the archive workgroup, its tables, read-only',
      statements: [
        new iam.PolicyStatement({
          actions: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
            'athena:GetWorkGroup',
          ],
          resources: [
            `arn:${Aws.PARTITION}:athena:${Aws.REGION}:${Aws.ACCOUNT_ID}:workgroup/${ARCHIVE_CATALOG.workGroup}`,
          ],
        }),
        new iam.PolicyStatement({
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
          resources: [
            glueArn('catalog'),
            glueArn(`database/${ARCHIVE_CATALOG.database}`),
            ...ARCHIVE_TABLE_NAMES.map((t) => glueArn(`table/${ARCHIVE_CATALOG.database}/${t}`)),
          ],
        }),
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: ARCHIVE_TABLE_NAMES.map((t) => this.bucket.arnForObjects(`${t}/*`)),
        }),
        new iam.PolicyStatement({
          actions: ['s3:ListBucket', 's3:GetBucketLocation'],
          resources: [this.bucket.bucketArn, this.resultsBucket.bucketArn],
        }),
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
          resources: [this.resultsBucket.arnForObjects('results/*')],
        }),
      ],
    });
  }

  private alarmsOn(action: actions.SnsAction): void {
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Firehose',
        metricName,
        dimensionsMap: { DeliveryStreamName: this.deliveryStream.ref },
        statistic,
        period: Duration.minutes(5),
      });
    const alarm = (id: string, m: cloudwatch.Metric, threshold: number, description: string) => {
      this.alarms.push(opsAlarm(this, id, { metric: m, threshold, description, action }));
    };
    alarm(
      'DataFreshness',
      metric('DeliveryToS3.DataFreshness', 'Maximum'),
      ARCHIVE_ALARM_THRESHOLDS.dataFreshnessSeconds,
      'The oldest record not yet in the archive is over two buffer intervals old: deliveries to S3 are failing',
    );
    alarm(
      'FailedConversion',
      metric('FailedConversion.Records', 'Sum'),
      ARCHIVE_ALARM_THRESHOLDS.failedConversionRecords,
      'Rows Firehose could not convert to Parquet went to errors/ in the archive bucket instead of the tables',
    );
  }
}

/** The buffers the stack deploys must be ones Firehose accepts (protocol/limits.ts FIREHOSE). */
function assertBuffering(): void {
  const b = ARCHIVE_BUFFERING;
  const p = ARCHIVE_PROCESSOR_BUFFERING;
  if (b.sizeMb < FIREHOSE.minBufferSizeMbWithConversion || b.sizeMb > FIREHOSE.maxBufferSizeMb) {
    throw new Error(
      `ARCHIVE_BUFFERING.sizeMb ${b.sizeMb} must be ${FIREHOSE.minBufferSizeMbWithConversion}..${FIREHOSE.maxBufferSizeMb} with Parquet conversion`,
    );
  }
  if (b.intervalSeconds > FIREHOSE.maxBufferIntervalSeconds) {
    throw new Error(`ARCHIVE_BUFFERING.intervalSeconds must be at most ${FIREHOSE.maxBufferIntervalSeconds}`);
  }
  if (p.sizeMb < FIREHOSE.minProcessorBufferMb || p.sizeMb > FIREHOSE.maxProcessorBufferMb) {
    throw new Error(
      `ARCHIVE_PROCESSOR_BUFFERING.sizeMb ${p.sizeMb} must be ${FIREHOSE.minProcessorBufferMb}..${FIREHOSE.maxProcessorBufferMb}`,
    );
  }
}
