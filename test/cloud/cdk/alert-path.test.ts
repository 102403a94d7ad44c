import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../../cloud/data/tables.js';
import { Ingest } from '../../../cloud/lib/ingest.js';
import { ruleActions, TOPIC_RULES } from '../../../protocol/index.js';
import { logicalIdOf, resourcesOfType, synthFixtureStack } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: the synthesized CloudFormation JSON
let json: any;
let template: Template;
let app: App;

let cleanup: () => void;

beforeAll(() => {
  ({ app, template, json, cleanup } = synthFixtureStack('AlertPath', { componentVersion: '2.3.4' }));
});

afterAll(() => cleanup());

const notifierId = () => logicalIdOf(json, 'AWS::Lambda::Function', 'ProcessingAlertNotifier');
const alertRuleId = () => logicalIdOf(json, 'AWS::IoT::TopicRule', 'IngestTowerwatchAlert');
const failureBucketId = () => logicalIdOf(json, 'AWS::S3::Bucket', 'StreamFailuresBucket');
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const alertRule = TOPIC_RULES.find((r) => r.messageType === 'alert')!;

describe('the alert rule invokes alert-notifier directly', () => {
  it('is described once, in protocol/rules.ts: the alert rule has a Kinesis and a Lambda action, the others Kinesis only', () => {
    expect(ruleActions(alertRule)).toEqual([
      { kind: 'kinesis' },
      { kind: 'lambda', function: 'alert-notifier' },
    ]);
    for (const rule of TOPIC_RULES.filter((r) => r !== alertRule)) {
      expect(ruleActions(rule)).toEqual([{ kind: 'kinesis' }]);
    }
  });

  it('deploys the Lambda action beside the Kinesis action on the alert rule only', () => {
    const stream = logicalIdOf(json, 'AWS::Kinesis::Stream', 'IngestStream');
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: alertRule.name,
      TopicRulePayload: Match.objectLike({
        Actions: [
          { Kinesis: Match.objectLike({ StreamName: { Ref: stream }, PartitionKey: '${topic(3)}' }) },
          { Lambda: { FunctionArn: arnOf(notifierId()) } },
        ],
      }),
    });
    const withLambda = resourcesOfType(json, 'AWS::IoT::TopicRule').filter(([, r]) =>
      // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
      (r.Properties as any).TopicRulePayload.Actions.some((a: any) => a.Lambda),
    );
    expect(withLambda.map(([id]) => id)).toEqual([alertRuleId()]);
  });

  it('lets IoT invoke the notifier from the alert rule of this account only', () => {
    const iotPermissions = resourcesOfType(json, 'AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties.Principal === 'iot.amazonaws.com',
    );
    expect(iotPermissions).toHaveLength(1);
    expect(iotPermissions[0]![1].Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: arnOf(notifierId()),
      Principal: 'iot.amazonaws.com',
      SourceArn: arnOf(alertRuleId()),
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });

  it('retries a failed invoke twice within five minutes, then keeps the event in the failure bucket', () => {
    const configs = resourcesOfType(json, 'AWS::Lambda::EventInvokeConfig');
    expect(configs).toHaveLength(1);
    expect(configs[0]![1].Properties).toEqual({
      FunctionName: { Ref: notifierId() },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: FUNCTIONS.alertNotifier.asyncInvoke.maximumRetryAttempts,
      MaximumEventAgeInSeconds: FUNCTIONS.alertNotifier.asyncInvoke.maximumEventAgeSeconds,
      DestinationConfig: { OnFailure: { Destination: arnOf(failureBucketId()) } },
    });
    expect(FUNCTIONS.alertNotifier.asyncInvoke).toEqual({
      maximumRetryAttempts: 2,
      maximumEventAgeSeconds: 300,
    });
  });

  it('lets the notifier write failed events into the failure bucket and nothing more there', () => {
    const role = logicalIdOf(json, 'AWS::IAM::Role', 'ProcessingAlertNotifierRole');
    const statements = resourcesOfType(json, 'AWS::IAM::Policy')
      // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
      .filter(([, p]) => (p.Properties as any).Roles.some((r: any) => r.Ref === role))
      // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
      .flatMap(([, p]) => (p.Properties as any).PolicyDocument.Statement as any[]);
    const onBucket = statements.filter((s) => JSON.stringify(s.Resource).includes(failureBucketId()));
    expect(onBucket.map((s) => s.Action).sort()).toEqual(['s3:ListBucket', 's3:PutObject']);
    expect(onBucket.find((s) => s.Action === 's3:PutObject')!.Resource).toEqual({
      'Fn::Join': ['', [arnOf(failureBucketId()), '/*']],
    });
  });

  it('keeps cdk-nag clean', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
  });
});

describe('Ingest without its rule targets', () => {
  const ingestOnly = () => {
    const stack = new Stack(new App(), 'IngestOnly');
    const ingest = new Ingest(stack, 'Ingest', {
      retentionHours: 24,
      ruleErrorBucket: new s3.Bucket(stack, 'Errors'),
    });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    return { stack, ingest, fn };
  };

  it('refuses to synthesize a rule whose Lambda action has no function, naming the fix', () => {
    const { stack } = ingestOnly();
    expect(() => Template.fromStack(stack)).toThrow(
      /rule towerwatch_alert invokes alert-notifier: call invokeFromRules\('alert-notifier', fn\)/,
    );
  });

  it('binds a target once', () => {
    const { stack, ingest, fn } = ingestOnly();
    ingest.invokeFromRules('alert-notifier', fn);
    expect(() => ingest.invokeFromRules('alert-notifier', fn)).toThrow(/already the target/);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Permission', 1);
  });
});
