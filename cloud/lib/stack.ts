import { Aws, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { SHADOW_NAMES } from '../../protocol/index.js';
import {
  DEFAULTS,
  ENV,
  FUNCTIONS,
  type FunctionDefinition,
  type FunctionName,
  RULE_TARGETS,
  TABLE,
} from '../data/tables.js';
import { AlertTopics } from './alerts.js';
import { Archive } from './archive.js';
import { accessLogsBucket, SecureBucket } from './buckets.js';
import type { StackContext } from './context.js';
import { Fleet } from './fleet.js';
import { EdgeComponent, type EdgeComponentProps } from './greengrass.js';
import { Ingest } from './ingest.js';
import { acknowledgeFindings } from './nag.js';
import { Observability } from './observability.js';
import { Processing, STREAM_CONSUMER_NAMES } from './processing.js';
import { JustInTimeProvisioning } from './provisioning.js';
import { Storage } from './storage.js';

export interface TowerwatchStackProps extends StackProps {
  readonly settings: StackContext;
  /** Where the built edge component is and how to build it. */
  readonly edge: Pick<EdgeComponentProps, 'distDir' | 'build'>;
  /** Handler entries to bundle instead of `cloud/functions/…` (tests use fixtures). */
  readonly functionEntries?: Partial<Record<FunctionName, string>>;
  /** The archive processor's entry instead of `cloud/functions/archive-processor/` (tests use a fixture). */
  readonly archiveProcessorEntry?: string;
}

/** Everything a fleet needs in one account and region: identity, ingest, processing, storage, alerts. */
export class TowerwatchStack extends Stack {
  readonly fleet: Fleet;
  /** JITP template and role for `certs-tool register-ca --jitp`. */
  readonly provisioning: JustInTimeProvisioning;
  readonly ingest: Ingest;
  readonly storage: Storage;
  readonly processing: Processing;
  readonly topics: AlertTopics;
  readonly observability: Observability;
  readonly edgeComponent: EdgeComponent;
  readonly archive: Archive;
  /** Payloads IoT rules could not put on the stream. */
  readonly ruleErrorBucket: s3.IBucket;
  /** Stream records, and direct alert invokes, that failed every retry of a consumer. */
  readonly failureBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: TowerwatchStackProps) {
    super(scope, id, props);
    const s = props.settings;
    const removalPolicy = s.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    const key = new kms.Key(this, 'DataKey', {
      description: 'towerwatch: SNS alert and ops topics',
      enableKeyRotation: true,
      removalPolicy,
    });
    const logs = accessLogsBucket(this, 'AccessLogs', removalPolicy);
    const ruleErrors = new SecureBucket(this, 'RuleErrors', {
      removalPolicy,
      accessLogs: logs,
      accessLogsPrefix: 'rule-errors/',
      expireAfterDays: 30,
    }).bucket;
    const onFailure = new SecureBucket(this, 'StreamFailures', {
      removalPolicy,
      accessLogs: logs,
      accessLogsPrefix: 'stream-failures/',
      expireAfterDays: 30,
    }).bucket;

    this.ruleErrorBucket = ruleErrors;
    this.failureBucket = onFailure;

    this.fleet = new Fleet(this, 'Fleet');
    this.provisioning = new JustInTimeProvisioning(this, 'Provisioning', {
      towerPolicy: this.fleet.towerPolicy,
      thingGroup: this.fleet.thingGroup,
    });
    this.ingest = new Ingest(this, 'Ingest', {
      retentionHours: s.retentionHours,
      ...(s.shardCount !== undefined && { shardCount: s.shardCount }),
      ruleErrorBucket: ruleErrors,
    });
    this.storage = new Storage(this, 'Storage', {
      removalPolicy,
      deletionProtection: s.deletionProtection,
    });
    this.topics = new AlertTopics(this, 'Topics', {
      key,
      ...(s.alertEmail !== undefined && { alertEmail: s.alertEmail }),
    });

    const table = this.storage.table;
    this.processing = new Processing(this, 'Processing', {
      stream: this.ingest.stream,
      retentionHours: s.retentionHours,
      failureBucket: onFailure,
      ...(props.functionEntries && { entries: props.functionEntries }),
      environment: {
        [ENV.tableName]: table.tableName,
        [ENV.retentionDays]: String(DEFAULTS.retentionDays),
        [ENV.alertTopicArn]: this.topics.alertTopic.topicArn,
        [ENV.alertFanoutTopicArn]: this.topics.alertFanoutTopic.topicArn,
        [ENV.iotDataEndpoint]: s.iotDataEndpoint ?? '',
        [ENV.twinMinIntervalMs]: String(DEFAULTS.twinMinIntervalMs),
        [ENV.offlineGraceMs]: String(DEFAULTS.offlineGraceMs),
        [ENV.suppressionWindowMs]: String(DEFAULTS.suppressionWindowMs),
        [ENV.metricsNamespace]: DEFAULTS.metricsNamespace,
      },
      logRetentionDays: s.logRetentionDays,
      removalPolicy,
    });
    for (const [target, name] of Object.entries(RULE_TARGETS)) {
      this.ingest.invokeFromRules(target as keyof typeof RULE_TARGETS, this.processing.functions[name]);
    }
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const def: FunctionDefinition = FUNCTIONS[name];
      const fn = this.processing.functions[name];
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [...def.dynamodb],
          resources: [
            table.tableArn,
            ...(def.dynamodbIndexes
              ? TABLE.globalSecondaryIndexes.map((i) => `${table.tableArn}/index/${i.indexName}`)
              : []),
          ],
        }),
      );
      if (def.iotData?.length) {
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: [...def.iotData],
            resources: [
              `arn:${Aws.PARTITION}:iot:${Aws.REGION}:${Aws.ACCOUNT_ID}:thing/*/${SHADOW_NAMES.twin}`,
            ],
          }),
        );
      }
      if (def.iotPublishTopics?.length) {
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['iot:Publish'],
            resources: def.iotPublishTopics.map(
              (t) => `arn:${Aws.PARTITION}:iot:${Aws.REGION}:${Aws.ACCOUNT_ID}:topic/${t}`,
            ),
          }),
        );
      }
      if (def.snsPublish) {
        this.topics.alertTopic.grantPublish(fn);
        this.topics.alertFanoutTopic.grantPublish(fn);
      }
    }

    this.edgeComponent = new EdgeComponent(this, 'EdgeComponent', {
      ...props.edge,
      ...(s.componentVersion !== undefined && { componentVersion: s.componentVersion }),
      shadowManagerVersion: s.shadowManagerVersion,
      tokenExchangeRole: this.fleet.tokenExchangeRole,
      ...(s.deployToThingGroup && { deployToThingGroupArn: this.fleet.thingGroupArn }),
    });
    if (this.edgeComponent.deployment)
      this.edgeComponent.deployment.addResourceDependency(this.fleet.thingGroup);

    this.archive = new Archive(this, 'Archive', {
      stream: this.ingest.stream,
      accessLogs: logs,
      removalPolicy,
      logRetentionDays: s.logRetentionDays,
      athenaScanLimitGb: s.athenaScanLimitGb,
      opsTopic: this.topics.opsTopic,
      ...(props.archiveProcessorEntry !== undefined && { processorEntry: props.archiveProcessorEntry }),
    });

    const fns = this.processing.functions;
    this.observability = new Observability(this, 'Observability', {
      opsTopic: this.topics.opsTopic,
      stream: this.ingest.stream,
      streamConsumers: STREAM_CONSUMER_NAMES.map((n) => fns[n]),
      functions: [...Object.values(fns), this.archive.processor],
      ruleNames: this.ingest.rules.map((r) => r.definition.name),
      ruleErrorBucket: ruleErrors,
      failureBucket: onFailure,
      table,
    });

    new CfnOutput(this, 'StreamName', { value: this.ingest.stream.streamName });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'AlertTopicArn', { value: this.topics.alertTopic.topicArn });
    new CfnOutput(this, 'AlertFanoutTopicArn', { value: this.topics.alertFanoutTopic.topicArn });
    new CfnOutput(this, 'OpsTopicArn', { value: this.topics.opsTopic.topicArn });
    new CfnOutput(this, 'ThingGroupName', { value: this.fleet.thingGroup.ref });
    new CfnOutput(this, 'RoleAlias', { value: this.fleet.roleAlias.ref });
    new CfnOutput(this, 'JitpTemplateName', { value: this.provisioning.template.ref });
    new CfnOutput(this, 'JitpRoleArn', { value: this.provisioning.role.roleArn });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archive.bucket.bucketName });
    new CfnOutput(this, 'ArchiveDatabase', { value: this.archive.database.ref });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.archive.workGroup.ref });
    new CfnOutput(this, 'ArchiveQueryPolicyArn', { value: this.archive.queryPolicy.managedPolicyArn });
    new CfnOutput(this, 'DashboardName', { value: this.observability.dashboard.dashboardName });

    acknowledgeFindings(this, {
      ruleErrorBucket: ruleErrors,
      failureBucket: onFailure,
      archiveBucket: this.archive.bucket,
      queryResultsBucket: this.archive.resultsBucket,
    });
  }
}
