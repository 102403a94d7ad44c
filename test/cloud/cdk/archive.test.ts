import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_PROCESSOR } from '../../../cloud/data/tables.js';
import { ARCHIVE_ALARM_THRESHOLDS, Archive } from '../../../cloud/lib/index.js';
import {
  ARCHIVE_BUFFERING,
  ARCHIVE_CATALOG,
  ARCHIVE_ERROR_PREFIX,
  ARCHIVE_PARTITION,
  ARCHIVE_PROCESSOR_BUFFERING,
  ARCHIVE_S3_PREFIX,
  ARCHIVE_STORAGE,
  ARCHIVE_TABLES,
  ARCHIVE_UNION_COLUMNS,
} from '../../../protocol/index.js';
import { FIXTURE_ARCHIVE_PROCESSOR, logicalIdOf, resourcesOfType } from './helpers.js';

// The construct alone, in a stack of its own: the processor is the only function to bundle.
let outdir: string;
let template: Template;
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
let json: any;
const SCAN_LIMIT_GB = 3;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'towerwatch-cdk-archive-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'ArchiveOnly');
  new Archive(stack, 'Archive', {
    stream: new kinesis.Stream(stack, 'Stream', { streamMode: kinesis.StreamMode.ON_DEMAND }),
    accessLogs: new s3.Bucket(stack, 'Logs'),
    removalPolicy: RemovalPolicy.RETAIN,
    logRetentionDays: 30,
    athenaScanLimitGb: SCAN_LIMIT_GB,
    opsTopic: new sns.Topic(stack, 'Ops'),
    processorEntry: FIXTURE_ARCHIVE_PROCESSOR,
  });
  template = Template.fromStack(stack);
  json = template.toJSON();
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const streamId = () => logicalIdOf(json, 'AWS::Kinesis::Stream', 'Stream');
const processorId = () => logicalIdOf(json, 'AWS::Lambda::Function', 'ArchiveProcessor');
const dataBucketId = () => logicalIdOf(json, 'AWS::S3::Bucket', 'ArchiveDataBucket');
const resultsBucketId = () => logicalIdOf(json, 'AWS::S3::Bucket', 'ArchiveQueryResultsBucket');
const deliveryRoleId = () => logicalIdOf(json, 'AWS::IAM::Role', 'ArchiveDeliveryRole');
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
const glueTable = (name: string): any =>
  resourcesOfType(json, 'AWS::Glue::Table').find(
    ([, r]) => (r.Properties.TableInput as { Name: string }).Name === name,
  )?.[1];
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
const deliveryStream = (): any => resourcesOfType(json, 'AWS::KinesisFirehose::DeliveryStream')[0]![1];

describe('Firehose delivery stream', () => {
  it('reads the telemetry stream as its source, with its own role', () => {
    expect(resourcesOfType(json, 'AWS::KinesisFirehose::DeliveryStream')).toHaveLength(1);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: {
        KinesisStreamARN: arnOf(streamId()),
        RoleARN: arnOf(deliveryRoleId()),
      },
    });
  });

  it('writes <table>/dt=YYYY-MM-DD/ from the processor’s keys, errors under errors/, with the protocol buffers', () => {
    const s3 = deliveryStream().Properties.ExtendedS3DestinationConfiguration;
    expect(s3.BucketARN).toEqual(arnOf(dataBucketId()));
    expect(s3.Prefix).toBe(ARCHIVE_S3_PREFIX);
    expect(s3.ErrorOutputPrefix).toBe(ARCHIVE_ERROR_PREFIX);
    expect(s3.BufferingHints).toEqual({
      SizeInMBs: ARCHIVE_BUFFERING.sizeMb,
      IntervalInSeconds: ARCHIVE_BUFFERING.intervalSeconds,
    });
    expect(s3.DynamicPartitioningConfiguration.Enabled).toBe(true);
    expect(s3.CompressionFormat).toBe('UNCOMPRESSED');
    expect(s3.CloudWatchLoggingOptions.Enabled).toBe(true);
  });

  it('flattens records through the processor Lambda with its buffer', () => {
    const [processor] =
      deliveryStream().Properties.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors;
    expect(processor.Type).toBe('Lambda');
    const params = Object.fromEntries(
      processor.Parameters.map((p: { ParameterName: string; ParameterValue: unknown }) => [
        p.ParameterName,
        p.ParameterValue,
      ]),
    );
    expect(params.LambdaArn).toEqual(arnOf(processorId()));
    expect(Number(params.BufferSizeInMBs)).toBe(ARCHIVE_PROCESSOR_BUFFERING.sizeMb);
    expect(Number(params.BufferIntervalInSeconds)).toBe(ARCHIVE_PROCESSOR_BUFFERING.intervalSeconds);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      MemorySize: ARCHIVE_PROCESSOR.memoryMb,
      Timeout: ARCHIVE_PROCESSOR.timeoutSeconds,
      Handler: `index.${ARCHIVE_PROCESSOR.handler}`,
    });
  });

  it('converts to Snappy Parquet through the Glue union schema, reading epoch-ms timestamps', () => {
    const conversion =
      deliveryStream().Properties.ExtendedS3DestinationConfiguration.DataFormatConversionConfiguration;
    expect(conversion.Enabled).toBe(true);
    expect(conversion.InputFormatConfiguration.Deserializer.HiveJsonSerDe.TimestampFormats).toEqual([
      'millis',
    ]);
    expect(conversion.OutputFormatConfiguration.Serializer.ParquetSerDe.Compression).toBe('SNAPPY');
    expect(conversion.SchemaConfiguration).toMatchObject({
      DatabaseName: ARCHIVE_CATALOG.database,
      TableName: ARCHIVE_CATALOG.conversionTable,
      VersionId: 'LATEST',
      RoleARN: arnOf(deliveryRoleId()),
    });
    // The schema table exists before the stream that reads it.
    const tableId = resourcesOfType(json, 'AWS::Glue::Table').find(
      ([, r]) => (r.Properties.TableInput as { Name: string }).Name === ARCHIVE_CATALOG.conversionTable,
    )![0];
    expect(deliveryStream().DependsOn).toEqual(expect.arrayContaining([tableId]));
  });

  it('may read only its stream, invoke only its processor, read only the schema, write only the archive bucket', () => {
    const role = json.Resources[deliveryRoleId()];
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0]).toMatchObject({
      Principal: { Service: 'firehose.amazonaws.com' },
      Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } },
    });
    const policy = resourcesOfType(json, 'AWS::IAM::Policy').find(([id]) =>
      id.startsWith('ArchiveDeliveryRoleDefaultPolicy'),
    )![1];
    // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
    const statements: any[] = (policy.Properties.PolicyDocument as { Statement: any[] }).Statement;
    const asList = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
    for (const s of statements) {
      for (const a of asList(s.Action)) expect(a).not.toMatch(/\*/);
      for (const r of asList(s.Resource)) expect(r).not.toBe('*');
    }
    const byService = (prefix: string) =>
      statements.filter((s) => asList(s.Action).every((a: string) => a.startsWith(prefix)));
    expect(byService('kinesis:').flatMap((s) => asList(s.Resource))).toEqual([arnOf(streamId())]);
    expect(byService('lambda:').flatMap((s) => asList(s.Resource))).toEqual([arnOf(processorId())]);
    expect(JSON.stringify(byService('glue:'))).toContain(
      `table/${ARCHIVE_CATALOG.database}/${ARCHIVE_CATALOG.conversionTable}`,
    );
    const s3Resources = JSON.stringify(byService('s3:').flatMap((s) => asList(s.Resource)));
    expect(s3Resources).toContain(dataBucketId());
    expect(s3Resources).not.toContain(resultsBucketId());
  });
});

describe('Glue catalog', () => {
  it('has one database and the tables’ columns exactly as protocol/archive.ts declares them', () => {
    template.resourceCountIs('AWS::Glue::Database', 1);
    template.hasResourceProperties('AWS::Glue::Database', {
      DatabaseInput: { Name: ARCHIVE_CATALOG.database },
    });
    for (const [name, def] of Object.entries(ARCHIVE_TABLES)) {
      const t = glueTable(name).Properties.TableInput;
      expect(t.StorageDescriptor.Columns).toEqual(
        def.columns.map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment })),
      );
      expect(t.PartitionKeys).toEqual([
        expect.objectContaining({ Name: ARCHIVE_PARTITION.key, Type: 'string' }),
      ]);
      expect(t.StorageDescriptor.SerdeInfo.SerializationLibrary).toMatch(/ParquetHiveSerDe$/);
    }
    const union = glueTable(ARCHIVE_CATALOG.conversionTable).Properties.TableInput;
    expect(union.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual(
      ARCHIVE_UNION_COLUMNS.map((c) => c.name),
    );
  });

  it('projects the dt partitions (no crawler): daily from the protocol start to now, at the Firehose prefix', () => {
    const k = ARCHIVE_PARTITION.key;
    for (const name of Object.keys(ARCHIVE_TABLES)) {
      const p = glueTable(name).Properties.TableInput.Parameters;
      expect(p).toMatchObject({
        'projection.enabled': 'true',
        [`projection.${k}.type`]: 'date',
        [`projection.${k}.format`]: ARCHIVE_PARTITION.projectionFormat,
        [`projection.${k}.range`]: `${ARCHIVE_PARTITION.projectionStart},NOW`,
        [`projection.${k}.interval.unit`]: 'DAYS',
      });
      // s3://<bucket>/<table>/dt=${dt}/ — the prefix Firehose writes (ARCHIVE_S3_PREFIX).
      expect(JSON.stringify(p['storage.location.template'])).toContain(`/${name}/${k}=\${${k}}/`);
    }
    template.resourceCountIs('AWS::Glue::Crawler', 0);
    expect(
      glueTable(ARCHIVE_CATALOG.conversionTable).Properties.TableInput.Parameters['projection.enabled'],
    ).toBeUndefined();
  });
});

describe('archive bucket', () => {
  it('is encrypted, private, TLS-only, and moves objects to colder classes at the protocol ages', () => {
    const bucket = json.Resources[dataBucketId()].Properties;
    expect(
      bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm,
    ).toBe('AES256');
    expect(bucket.PublicAccessBlockConfiguration).toMatchObject({
      BlockPublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const rules = bucket.LifecycleConfiguration.Rules;
    const colder = rules.find((r: { Id: string }) => r.Id === 'ColderWithAge');
    expect(colder.Transitions).toEqual([
      { StorageClass: 'STANDARD_IA', TransitionInDays: ARCHIVE_STORAGE.infrequentAccessAfterDays },
      { StorageClass: 'GLACIER_IR', TransitionInDays: ARCHIVE_STORAGE.glacierInstantRetrievalAfterDays },
    ]);
    expect(colder.ExpirationInDays).toBeUndefined();
    const errors = rules.find((r: { Id: string }) => r.Id === 'ErrorsExpire');
    expect(errors).toMatchObject({
      Prefix: 'errors/',
      ExpirationInDays: ARCHIVE_STORAGE.errorsExpireAfterDays,
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: dataBucketId() },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('Athena workgroup', () => {
  it('enforces its result location (SSE-S3) and the bytes-scanned limit from the props', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: ARCHIVE_CATALOG.workGroup,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: SCAN_LIMIT_GB * 1024 ** 3,
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          OutputLocation: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
        },
      },
    });
    expect(JSON.stringify(resourcesOfType(json, 'AWS::Athena::WorkGroup')[0]![1])).toContain(
      resultsBucketId(),
    );
  });

  it('comes with a read-only query policy: the workgroup, the two tables, their objects', () => {
    const policy = resourcesOfType(json, 'AWS::IAM::ManagedPolicy').find(([id]) =>
      id.startsWith('ArchiveQueryPolicy'),
    )![1];
    const text = JSON.stringify(policy.Properties);
    expect(text).toContain(`workgroup/${ARCHIVE_CATALOG.workGroup}`);
    for (const t of Object.keys(ARCHIVE_TABLES))
      expect(text).toContain(`table/${ARCHIVE_CATALOG.database}/${t}`);
    expect(text).not.toContain(ARCHIVE_CATALOG.conversionTable);
    expect(text).not.toMatch(/"s3:(DeleteObject|PutObject\*)"/);
    expect(text).not.toMatch(/"(athena|glue|s3):\*"/);
  });
});

describe('alarms', () => {
  it('alarm the ops topic when deliveries go stale or rows fail conversion', () => {
    const topicId = logicalIdOf(json, 'AWS::SNS::Topic', 'Ops');
    for (const [metric, threshold] of [
      ['DeliveryToS3.DataFreshness', ARCHIVE_ALARM_THRESHOLDS.dataFreshnessSeconds],
      ['FailedConversion.Records', ARCHIVE_ALARM_THRESHOLDS.failedConversionRecords],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Firehose',
        MetricName: metric,
        Threshold: threshold,
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
      });
    }
  });
});
