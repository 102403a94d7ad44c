import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  type RuleTargetFunction,
  ruleActions,
  TOPIC_RULES,
  type TopicRuleAction,
  type TopicRuleDefinition,
} from '../../protocol/index.js';

export interface IngestProps {
  readonly retentionHours: number;
  /** Unset: on-demand capacity. */
  readonly shardCount?: number;
  /** Receives the payload of every message a rule could not put on the stream. */
  readonly ruleErrorBucket: s3.IBucket;
}

/**
 * IoT Core → Kinesis: one stream, and one topic rule per message type with exactly the SQL and the
 * actions that `protocol/rules.ts` defines (the local rules engine runs the same). A rule's Lambda
 * action needs its function, which is created after the stream it reads: `invokeFromRules` supplies
 * it, and synth fails while one is missing.
 */
export class Ingest extends Construct {
  readonly stream: kinesis.Stream;
  readonly rules: ReadonlyArray<{ definition: TopicRuleDefinition; rule: iot.CfnTopicRule }>;
  private readonly targets = new Map<RuleTargetFunction, lambda.IFunction>();

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    this.stream = new kinesis.Stream(this, 'Stream', {
      // The AWS managed key (aws/kinesis): KMS at rest with no key to pay for or grant to every
      // producer and consumer.
      encryption: kinesis.StreamEncryption.MANAGED,
      retentionPeriod: Duration.hours(props.retentionHours),
      ...(props.shardCount === undefined
        ? { streamMode: kinesis.StreamMode.ON_DEMAND }
        : { streamMode: kinesis.StreamMode.PROVISIONED, shardCount: props.shardCount }),
    });

    const role = new iam.Role(this, 'RuleRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com'),
      description: 'IoT topic rules: put records on the telemetry stream, park failed payloads in S3',
    });
    this.stream.grantWrite(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [props.ruleErrorBucket.arnForObjects('rule-errors/*')],
      }),
    );

    this.rules = TOPIC_RULES.map((definition) => ({
      definition,
      rule: new iot.CfnTopicRule(this, ruleConstructId(definition.name), {
        ruleName: definition.name,
        topicRulePayload: {
          description: definition.description,
          sql: definition.sql,
          awsIotSqlVersion: definition.sqlVersion,
          ruleDisabled: false,
          actions: Lazy.any({
            produce: () =>
              ruleActions(definition).map((action) => this.renderAction(definition, action, role)),
          }),
          errorAction: {
            s3: {
              bucketName: props.ruleErrorBucket.bucketName,
              key: ruleErrorObjectKey(definition.name),
              roleArn: role.roleArn,
            },
          },
        },
      }),
    }));
  }

  /**
   * Gives the rules whose definition invokes `name` their Lambda action on `fn`, and lets IoT invoke
   * `fn` from exactly those rules (SourceArn) in this account (SourceAccount).
   */
  invokeFromRules(name: RuleTargetFunction, fn: lambda.IFunction): void {
    if (this.targets.has(name)) throw new Error(`${name} is already the target of its rules`);
    this.targets.set(name, fn);
    for (const { definition, rule } of this.rules) {
      if (!ruleActions(definition).some((a) => a.kind === 'lambda' && a.function === name)) continue;
      fn.addPermission(`${ruleConstructId(definition.name)}Invoke`, {
        principal: new iam.ServicePrincipal('iot.amazonaws.com'),
        action: 'lambda:InvokeFunction',
        sourceArn: rule.attrArn,
        sourceAccount: Stack.of(this).account,
      });
    }
  }

  private renderAction(
    definition: TopicRuleDefinition,
    action: TopicRuleAction,
    role: iam.IRole,
  ): iot.CfnTopicRule.ActionProperty {
    if (action.kind === 'kinesis') {
      return {
        kinesis: {
          streamName: this.stream.streamName,
          partitionKey: definition.partitionKey,
          roleArn: role.roleArn,
        },
      };
    }
    const fn = this.targets.get(action.function);
    if (!fn) {
      throw new Error(
        `rule ${definition.name} invokes ${action.function}: call invokeFromRules('${action.function}', fn) before synth`,
      );
    }
    return { lambda: { functionArn: fn.functionArn } };
  }
}

/**
 * The error action stores IoT's error document (it carries `base64OriginalPayload`), one object per
 * failed message, partitioned by rule and hour so a replay can pick a time range. The file name
 * starts with the epoch-ms `timestamp()`: the error document has no receive time of its own, and
 * `towerwatch redrive` rebuilds the rule output's `receivedAt` from it.
 */
export function ruleErrorObjectKey(ruleName: string): string {
  return `rule-errors/${ruleName}/\${parse_time("yyyy/MM/dd/HH", timestamp())}/\${timestamp()}-\${newuuid()}.json`;
}

function ruleConstructId(ruleName: string): string {
  return ruleName
    .split('_')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}
