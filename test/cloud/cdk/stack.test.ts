import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Token } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_ASSUMPTIONS } from '../../../cloud/cost/archive.js';
import { ASSUMPTIONS } from '../../../cloud/cost/model.js';
import { FUNCTIONS, type FunctionDefinition, type FunctionName, TABLE } from '../../../cloud/data/tables.js';
import { SHADOW_MANAGER_SYNC } from '../../../cloud/lib/greengrass.js';
import { acknowledgedFindings } from '../../../cloud/lib/nag.js';
import { ALARM_THRESHOLDS } from '../../../cloud/lib/observability.js';
import { STREAM_CONSUMER_NAMES } from '../../../cloud/lib/processing.js';
import type { TowerwatchStack } from '../../../cloud/lib/index.js';
import { FLEET, TOPIC_RULES } from '../../../protocol/index.js';
import { logicalIdOf, resourcesOfType, synthFixtureStack } from './helpers.js';

// One synthesis for the whole file: bundling the functions is the slow part.
let outdir: string;
let app: App;
let stack: TowerwatchStack;
let template: Template;
// biome-ignore lint/suspicious/noExplicitAny: the synthesized CloudFormation JSON
let json: any;

const ALERT_EMAIL = 'ops@example.com';
const COMPONENT_VERSION = '2.3.4';

let cleanup: () => void;

beforeAll(() => {
  ({ outdir, app, stack, template, json, cleanup } = synthFixtureStack('TowerwatchTest', {
    alertEmail: ALERT_EMAIL,
    deployToThingGroup: 'true',
    componentVersion: COMPONENT_VERSION,
  }));
});

afterAll(() => cleanup());

const ref = (logicalId: string) => ({ Ref: logicalId });
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const streamId = () => logicalIdOf(json, 'AWS::Kinesis::Stream', 'IngestStream');
const bucketId = (prefix: string) => logicalIdOf(json, 'AWS::S3::Bucket', prefix);
const functionId = (name: FunctionName) =>
  logicalIdOf(json, 'AWS::Lambda::Function', `Processing${name.charAt(0).toUpperCase()}${name.slice(1)}`);
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
const statementsOf = (policy: any): any[] => policy.Properties.PolicyDocument.Statement;
const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the stack', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives every acknowledgement a written reason and names the exact finding', () => {
    const findings = acknowledgedFindings(stack, {
      ruleErrorBucket: stack.ruleErrorBucket,
      failureBucket: stack.failureBucket,
      archiveBucket: stack.archive.bucket,
      queryResultsBucket: stack.archive.resultsBucket,
    });
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      // A rule without findings (KDF1) is acknowledged by its name alone.
      expect(f.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(f.reason.length).toBeGreaterThan(40);
    }
  });

  it('does report a finding that nobody acknowledged (the check is live)', () => {
    const other = new App();
    const s = new Stack(other, 'Careless');
    new s3.Bucket(s, 'Open');
    const report = new AwsSolutionsChecks(other).validateScope(other);
    expect(report.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-S1']));
  });
});

describe('archive', () => {
  it('reads the ingest stream, scans at most the default 10 GiB per Athena query, and prints its names', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      KinesisStreamSourceConfiguration: { KinesisStreamARN: arnOf(streamId()) },
    });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: { BytesScannedCutoffPerQuery: 10 * 1024 ** 3 },
    });
    for (const output of [
      'ArchiveBucketName',
      'ArchiveDatabase',
      'AthenaWorkGroup',
      'ArchiveQueryPolicyArn',
    ]) {
      expect(Object.keys(json.Outputs)).toContain(output);
    }
  });

  it('the processor is watched like the consumers: errors and throttles alarm', () => {
    const processor = logicalIdOf(json, 'AWS::Lambda::Function', 'ArchiveProcessor');
    const alarmsOn = resourcesOfType(json, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
      JSON.stringify(a.Properties.Dimensions ?? []).includes(processor),
    );
    expect(alarmsOn.map(([, a]) => a.Properties.MetricName)).toEqual(
      expect.arrayContaining(['Errors', 'Throttles']),
    );
  });
});

describe('tracing', () => {
  it('traces every Lambda with X-Ray, and only X-Ray actions are granted on Resource "*"', () => {
    const fns = resourcesOfType(json, 'AWS::Lambda::Function');
    expect(fns.length).toBe(Object.keys(FUNCTIONS).length + 1);
    for (const [, fn] of fns) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    const wildcard = resourcesOfType(json, 'AWS::IAM::Policy').flatMap(([, p]) =>
      statementsOf(p).filter((st) => asList(st.Resource).includes('*')),
    );
    expect(wildcard.length).toBeGreaterThan(0);
    for (const st of wildcard) {
      for (const action of asList(st.Action))
        expect(action).toMatch(/^xray:Put(TraceSegments|TelemetryRecords)$/);
    }
  });
});

describe('environment', () => {
  it('is environment-agnostic: no account or region is written into the template', () => {
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(Token.isUnresolved(stack.region)).toBe(true);
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/\b\d{12}\b/);
    expect(text).not.toMatch(
      /\b(us|eu|ap|sa|ca|me|af)-(east|west|north|south|central|northeast|southeast)-\d\b/,
    );
  });
});

describe('IoT rules', () => {
  it('deploys exactly the rules of protocol/rules.ts', () => {
    expect(resourcesOfType(json, 'AWS::IoT::TopicRule')).toHaveLength(TOPIC_RULES.length);
    for (const rule of TOPIC_RULES) {
      template.hasResourceProperties('AWS::IoT::TopicRule', {
        RuleName: rule.name,
        TopicRulePayload: Match.objectLike({
          Sql: rule.sql,
          AwsIotSqlVersion: '2016-03-23',
          RuleDisabled: false,
        }),
      });
    }
  });

  it('puts every rule on the stream partitioned by tower id, with an S3 error action', () => {
    const rules = resourcesOfType(json, 'AWS::IoT::TopicRule');
    for (const [, r] of rules) {
      // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
      const p = r.Properties as any;
      const def = TOPIC_RULES.find((d) => d.name === p.RuleName)!;
      // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
      const kinesis = p.TopicRulePayload.Actions.filter((a: any) => a.Kinesis);
      expect(kinesis).toHaveLength(1);
      expect(kinesis[0].Kinesis.StreamName).toEqual(ref(streamId()));
      expect(kinesis[0].Kinesis.PartitionKey).toBe(def.partitionKey);
      expect(['${topic(3)}', '${topic(5)}']).toContain(def.partitionKey);
      const err = p.TopicRulePayload.ErrorAction.S3;
      expect(err.BucketName).toEqual(ref(bucketId('RuleErrorsBucket')));
      expect(err.Key).toContain(`rule-errors/${def.name}/`);
      expect(err.Key).toContain('${newuuid()}');
    }
  });

  it('adds the receive time in every rule', () => {
    for (const rule of TOPIC_RULES) expect(rule.sql).toContain('timestamp() AS receivedAt');
  });

  it('lets the rule role only put records on the stream and objects under rule-errors/', () => {
    const roleId = logicalIdOf(json, 'AWS::IAM::Role', 'IngestRuleRole');
    const [, policy] = resourcesOfType(json, 'AWS::IAM::Policy').find(([, p]) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(ref(roleId))),
    )!;
    const st = statementsOf(policy);
    expect(st).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: expect.arrayContaining(['kinesis:PutRecord', 'kinesis:PutRecords']),
          Resource: arnOf(streamId()),
        }),
        expect.objectContaining({
          Action: 's3:PutObject',
          Resource: { 'Fn::Join': ['', [arnOf(bucketId('RuleErrorsBucket')), '/rule-errors/*']] },
        }),
      ]),
    );
    expect(st).toHaveLength(2);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'iot.amazonaws.com' } })],
      }),
    });
  });
});

describe('Kinesis', () => {
  it('is on-demand with 24 h retention by default, KMS-encrypted at rest', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 24,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    expect(json.Resources[streamId()].Properties.ShardCount).toBeUndefined();
  });
});

describe('Lambda functions and event source mappings', () => {
  it('runs every function on nodejs24.x arm64 with Powertools settings and its declared environment', () => {
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const def: FunctionDefinition = FUNCTIONS[name];
      const fn = json.Resources[functionId(name)].Properties;
      expect(fn.Runtime).toBe('nodejs24.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.Handler).toBe(`index.${def.handler}`);
      const vars = fn.Environment.Variables;
      expect(vars.POWERTOOLS_SERVICE_NAME).toBe(name);
      expect(vars.POWERTOOLS_METRICS_NAMESPACE).toBeTruthy();
      expect(vars.POWERTOOLS_LOG_LEVEL).toBe('INFO');
      expect(vars.NODE_OPTIONS).toBe('--enable-source-maps');
      for (const env of def.env) expect(vars).toHaveProperty(env);
      expect(fn.LoggingConfig.LogFormat).toBe('JSON');
    }
  });

  it('bundles each function minified, as ESM, with a source map', () => {
    const assetDirs = new Set<string>();
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const key: string = json.Resources[functionId(name)].Properties.Code.S3Key;
      assetDirs.add(join(outdir, `asset.${key.replace(/\.zip$/, '')}`));
    }
    for (const dir of assetDirs) {
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code).toContain('createRequire');
      expect(code.trim().split('\n').length).toBeLessThanOrEqual(3);
    }
  });

  it('maps the stream to each consumer with bisect, partial failures, finite retries and an S3 on-failure destination', () => {
    const retentionSeconds = json.Resources[streamId()].Properties.RetentionPeriodHours * 3600;
    const mappings = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(STREAM_CONSUMER_NAMES.length);
    for (const name of STREAM_CONSUMER_NAMES) {
      const es = (FUNCTIONS[name] as FunctionDefinition).eventSource!;
      const [, m] = mappings.find(
        ([, r]) => JSON.stringify(r.Properties.FunctionName) === JSON.stringify(ref(functionId(name))),
      )!;
      // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
      const p = m.Properties as any;
      expect(p.EventSourceArn).toEqual(arnOf(streamId()));
      expect(p.BatchSize).toBe(es.batchSize);
      expect(p.MaximumBatchingWindowInSeconds).toBe(es.maxBatchingWindowMs / 1000);
      expect(p.BisectBatchOnFunctionError).toBe(true);
      expect(p.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(p.MaximumRetryAttempts).toBe(es.maximumRetryAttempts);
      expect(p.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(p.MaximumRecordAgeInSeconds).toBeLessThan(retentionSeconds);
      expect(p.StartingPosition).toBe('TRIM_HORIZON');
      expect(p.DestinationConfig.OnFailure.Destination).toEqual(arnOf(bucketId('StreamFailuresBucket')));
    }
  });

  it('runs the alert sweep every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: arnOf(functionId('alertSweep')) })],
    });
  });
});

describe('IAM least privilege', () => {
  const allIamStatements = () =>
    resourcesOfType(json, 'AWS::IAM::Policy').flatMap(([id, p]) =>
      statementsOf(p).map((s) => ({ id, ...s })),
    );

  it('grants no action wildcard and nothing on every resource but X-Ray tracing (which takes only "*")', () => {
    for (const st of allIamStatements()) {
      const actions = asList(st.Action as string | string[]);
      for (const action of actions) {
        expect(action === '*' || /^[a-z0-9-]+:\*$/.test(action), `${st.id}: ${action}`).toBe(false);
      }
      if (asList(st.Resource).includes('*')) {
        for (const action of actions)
          expect(action, st.id).toMatch(/^xray:Put(TraceSegments|TelemetryRecords)$/);
      }
    }
  });

  it('grants each function exactly the DynamoDB actions tables.ts declares, on the table', () => {
    const tableArn = arnOf(logicalIdOf(json, 'AWS::DynamoDB::Table', 'StorageTowerwatchTable'));
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const def: FunctionDefinition = FUNCTIONS[name];
      const roleRef = json.Resources[functionId(name)].Properties.Role;
      const policy = resourcesOfType(json, 'AWS::IAM::Policy').find(([, p]) =>
        (p.Properties.Roles as unknown[]).some(
          (r) => JSON.stringify(r) === JSON.stringify({ Ref: roleRef['Fn::GetAtt'][0] }),
        ),
      )!;
      const dynamo = statementsOf(policy[1]).filter((s) =>
        asList(s.Action).some((a: string) => a.startsWith('dynamodb:')),
      );
      expect(dynamo).toHaveLength(1);
      expect(asList(dynamo[0].Action).sort()).toEqual([...def.dynamodb].sort());
      expect(asList(dynamo[0].Resource)[0]).toEqual(tableArn);
      const indexes = asList(dynamo[0].Resource).slice(1);
      expect(indexes).toHaveLength(def.dynamodbIndexes ? TABLE.globalSecondaryIndexes.length : 0);
    }
  });

  it('gives the tower policy no iot:* and scopes it to the connecting thing', () => {
    const [, tower] = resourcesOfType(json, 'AWS::IoT::Policy').find(
      ([, p]) => p.Properties.PolicyName === FLEET.towerPolicyName,
    )!;
    const text = JSON.stringify(tower);
    expect(text).not.toContain('"iot:*"');
    expect(text).toContain('${iot:Connection.Thing.ThingName}');
    const [, core] = resourcesOfType(json, 'AWS::IoT::Policy').find(
      ([, p]) => p.Properties.PolicyName === FLEET.greengrassCorePolicyName,
    )!;
    // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
    const coreStatements: any[] = (core.Properties as any).PolicyDocument.Statement;
    for (const st of coreStatements) {
      expect(st.Action).not.toContain('iot:*');
      if (JSON.stringify(st.Resource) === '["*"]')
        expect(st.Action).toEqual(['greengrass:ResolveComponentCandidates']);
    }
    const shadow = coreStatements.find((s) => s.Action.includes('iot:UpdateThingShadow'));
    expect(JSON.stringify(shadow.Resource)).toContain(':thing/${iot:Connection.Thing.ThingName}/config');
    const assume = coreStatements.find((s) => s.Action.includes('iot:AssumeRoleWithCertificate'));
    expect(assume.Resource).toEqual([
      { 'Fn::GetAtt': [logicalIdOf(json, 'AWS::IoT::RoleAlias', 'FleetRoleAlias'), 'RoleAliasArn'] },
    ]);
  });

  it('lets only the telemetry writer publish, and only the stored acknowledgement topic', () => {
    const publishers = resourcesOfType(json, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p).includes('"iot:Publish"'),
    );
    expect(publishers).toHaveLength(1);
    const [id, policy] = publishers[0]!;
    expect(id).toMatch(/TelemetryWriter/);
    // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
    const statements: any[] = (policy.Properties as any).PolicyDocument.Statement;
    const publish = statements.find(
      (st) => st.Action === 'iot:Publish' || st.Action.includes?.('iot:Publish'),
    );
    expect(JSON.stringify(publish.Resource)).toContain(':topic/cmd/towerwatch/*/stored');
  });

  it('lets the token exchange role read only the component artifact', () => {
    const roleId = logicalIdOf(json, 'AWS::IAM::Role', 'FleetTokenExchangeRole');
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'credentials.iot.amazonaws.com' } })],
      }),
    });
    const [, policy] = resourcesOfType(json, 'AWS::IAM::Policy').find(([, p]) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(ref(roleId))),
    )!;
    const st = statementsOf(policy);
    expect(st).toHaveLength(1);
    expect(st[0].Action).toBe('s3:GetObject');
    expect(JSON.stringify(st[0].Resource)).toContain(`/${stack.edgeComponent.asset.s3ObjectKey}`);
    template.hasResourceProperties('AWS::IoT::RoleAlias', {
      RoleAlias: FLEET.roleAliasName,
      RoleArn: arnOf(roleId),
    });
  });
});

describe('DynamoDB', () => {
  it('is on-demand with PITR, TTL, KMS encryption and deletion protection by default', () => {
    const id = logicalIdOf(json, 'AWS::DynamoDB::Table', 'StorageTowerwatchTable');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: TABLE.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey.name, KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
      GlobalSecondaryIndexes: TABLE.globalSecondaryIndexes.map((g) =>
        Match.objectLike({ IndexName: g.indexName, Projection: { ProjectionType: g.projection } }),
      ),
    });
    expect(json.Resources[id].DeletionPolicy).toBe('Retain');
  });
});

describe('S3', () => {
  it('encrypts, blocks public access and refuses plain HTTP on every bucket', () => {
    const buckets = resourcesOfType(json, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(5); // access logs, rule errors, stream failures, archive, Athena results;
    for (const [id, b] of buckets) {
      // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
      const p = b.Properties as any;
      expect(
        p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm,
      ).toBe('AES256');
      expect(p.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const [, policy] = resourcesOfType(json, 'AWS::S3::BucketPolicy').find(
        ([, bp]) => JSON.stringify(bp.Properties.Bucket) === JSON.stringify(ref(id)),
      )!;
      expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    }
  });
});

describe('SNS', () => {
  it('encrypts every topic with the stack key and enforces TLS', () => {
    const keyId = logicalIdOf(json, 'AWS::KMS::Key', 'DataKey');
    const topics = resourcesOfType(json, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(3);
    for (const [, t] of topics) expect(t.Properties.KmsMasterKeyId).toEqual(arnOf(keyId));
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const policies = resourcesOfType(json, 'AWS::SNS::TopicPolicy');
    expect(policies).toHaveLength(3);
    for (const [, p] of policies) {
      expect(JSON.stringify(p)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('makes the alert topic FIFO with explicit de-duplication, and gives e-mail the standard fan-out topic', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      FifoTopic: true,
      ContentBasedDeduplication: false,
      TopicName: Match.stringLikeRegexp('\\.fifo$'),
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: ALERT_EMAIL,
      TopicArn: ref(logicalIdOf(json, 'AWS::SNS::Topic', 'TopicsAlertFanoutTopic')),
    });
    const [, notifier] = resourcesOfType(json, 'AWS::Lambda::Function').find(([id]) =>
      id.includes('AlertNotifier'),
    )!;
    const vars = (notifier.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment
      .Variables;
    expect(vars.ALERT_TOPIC_ARN).toEqual(ref(logicalIdOf(json, 'AWS::SNS::Topic', 'TopicsAlertTopic')));
    expect(vars.ALERT_FANOUT_TOPIC_ARN).toEqual(
      ref(logicalIdOf(json, 'AWS::SNS::Topic', 'TopicsAlertFanoutTopic')),
    );
  });
});

describe('alarms and dashboard', () => {
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
  const alarms = (): any[] => resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const opsTopic = () => ref(logicalIdOf(json, 'AWS::SNS::Topic', 'TopicsOpsTopic'));

  it('sends every alarm to the ops topic', () => {
    expect(alarms().length).toBeGreaterThan(10);
    for (const a of alarms()) expect(a.AlarmActions).toEqual([opsTopic()]);
  });

  it('watches the stream iterator age and write throttles by StreamName', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Kinesis',
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Dimensions: [{ Name: 'StreamName', Value: ref(streamId()) }],
      Statistic: 'Maximum',
      Threshold: ALARM_THRESHOLDS.iteratorAgeMs,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Kinesis',
      MetricName: 'WriteProvisionedThroughputExceeded',
      Dimensions: [{ Name: 'StreamName', Value: ref(streamId()) }],
    });
  });

  it('watches each consumer’s IteratorAge (> 60 s) and every function’s errors and throttles by FunctionName', () => {
    for (const name of STREAM_CONSUMER_NAMES) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Dimensions: [{ Name: 'FunctionName', Value: ref(functionId(name)) }],
        Threshold: 60_000,
      });
    }
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      for (const metric of ['Errors', 'Throttles']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: ref(functionId(name)) }],
          Statistic: 'Sum',
        });
      }
    }
  });

  it('has as many alarms as the cost model bills', () => {
    expect(alarms()).toHaveLength(ASSUMPTIONS.alarms + ARCHIVE_ASSUMPTIONS.alarms);
  });

  it('watches every function’s slowest run against 80% of its own timeout', () => {
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const timeout = json.Resources[functionId(name)].Properties.Timeout as number;
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Duration',
        Dimensions: [{ Name: 'FunctionName', Value: ref(functionId(name)) }],
        Statistic: 'Maximum',
        Threshold: timeout * 1000 * ALARM_THRESHOLDS.durationOfTimeout,
      });
    }
  });

  it('watches DynamoDB read and write throttle events on the table', () => {
    const table = ref(logicalIdOf(json, 'AWS::DynamoDB::Table', 'StorageTowerwatchTable'));
    for (const metric of ['WriteThrottleEvents', 'ReadThrottleEvents']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/DynamoDB',
        MetricName: metric,
        Dimensions: [{ Name: 'TableName', Value: table }],
        Statistic: 'Sum',
        Threshold: ALARM_THRESHOLDS.tableThrottleEvents,
      });
    }
  });

  it('watches objects landing in the failure buckets (request metrics turned on) and rule error actions', () => {
    for (const prefix of ['StreamFailuresBucket', 'RuleErrorsBucket']) {
      const id = bucketId(prefix);
      expect(json.Resources[id].Properties.MetricsConfigurations).toEqual([{ Id: 'AllObjects' }]);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/S3',
        MetricName: 'PutRequests',
        Dimensions: Match.arrayWith([
          { Name: 'BucketName', Value: ref(id) },
          { Name: 'FilterId', Value: 'AllObjects' },
        ]),
      });
    }
    for (const rule of TOPIC_RULES) {
      for (const metric of ['ErrorActionSuccess', 'ErrorActionFailure']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/IoT',
          MetricName: metric,
          Dimensions: [{ Name: 'RuleName', Value: rule.name }],
        });
      }
    }
  });

  it('has one dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('fleet and Greengrass', () => {
  it('creates the thing group and the tower policy under the protocol names', () => {
    template.hasResourceProperties('AWS::IoT::ThingGroup', { ThingGroupName: FLEET.thingGroupName });
    template.hasResourceProperties('AWS::IoT::Policy', { PolicyName: FLEET.towerPolicyName });
  });

  it('publishes the component version with the zip asset as its artifact', () => {
    const [, cv] = resourcesOfType(json, 'AWS::GreengrassV2::ComponentVersion')[0]!;
    const joined = JSON.stringify(cv.Properties.InlineRecipe);
    expect(joined).toContain(`\\"ComponentName\\":\\"${FLEET.componentName}\\"`);
    expect(joined).toContain(`\\"ComponentVersion\\":\\"${COMPONENT_VERSION}\\"`);
    expect(joined).toContain(`/${stack.edgeComponent.asset.s3ObjectKey}`);
    expect(joined).not.toContain('BUCKET_NAME');
  });

  it('deploys the component to the thing group when deployToThingGroup is set', () => {
    template.hasResourceProperties('AWS::GreengrassV2::Deployment', {
      TargetArn: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([`:thinggroup/${FLEET.thingGroupName}`])],
      }),
      Components: {
        [FLEET.componentName]: { ComponentVersion: COMPONENT_VERSION },
        'aws.greengrass.ShadowManager': {
          ComponentVersion: '2.3.12',
          ConfigurationUpdate: { Merge: JSON.stringify(SHADOW_MANAGER_SYNC) },
        },
      },
    });
    expect(SHADOW_MANAGER_SYNC.synchronize.coreThing.namedShadows).toEqual(['config']);
  });
});
