import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { WRITES_METRICS_FILTER } from './buckets.js';

/** Alarm thresholds, named once (README "reading the dashboard" quotes them). */
export const ALARM_THRESHOLDS = {
  /** A consumer more than a minute behind the stream head is no longer "real time". */
  iteratorAgeMs: 60_000,
  lambdaErrors: 1,
  lambdaThrottles: 1,
  writeThrottles: 1,
  /** Any object in a failure bucket is data that needs a person. */
  failureObjects: 1,
  ruleErrorActions: 1,
  /** A function whose slowest run takes this share of its timeout is about to be cut off mid-batch. */
  durationOfTimeout: 0.8,
  /** DynamoDB throttle events: on-demand still throttles a hot partition or past the account limit. */
  tableThrottleEvents: 1,
} as const;

const PERIOD = Duration.minutes(1);

/**
 * The one way towerwatch alarms: at or above the threshold for one period, missing data is fine
 * (no traffic is not a fault), and both the alarm and its return to OK go to the ops topic.
 */
export function opsAlarm(
  scope: Construct,
  id: string,
  props: { metric: cloudwatch.IMetric; threshold: number; description: string; action: actions.SnsAction },
): cloudwatch.Alarm {
  const a = new cloudwatch.Alarm(scope, id, {
    metric: props.metric,
    threshold: props.threshold,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: props.description,
  });
  a.addAlarmAction(props.action);
  a.addOkAction(props.action);
  return a;
}

export interface ObservabilityProps {
  readonly opsTopic: sns.ITopic;
  readonly stream: kinesis.IStream;
  /** Functions fed by the stream (IteratorAge alarms) and every function (errors, throttles). */
  readonly streamConsumers: readonly lambda.IFunction[];
  readonly functions: readonly lambda.Function[];
  readonly ruleNames: readonly string[];
  readonly ruleErrorBucket: s3.IBucket;
  readonly failureBucket: s3.IBucket;
  readonly table: dynamodb.ITable;
}

/** Every alarm goes to the ops topic; one dashboard shows the pipeline end to end. */
export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const action = new actions.SnsAction(props.opsTopic);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = opsAlarm(this, alarmId, { metric, threshold, description, action });
      this.alarms.push(a);
      return a;
    };

    const streamName = props.stream.streamName;
    const kinesisMetric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Kinesis',
        metricName,
        dimensionsMap: { StreamName: streamName },
        statistic,
        period: PERIOD,
      });
    const streamIteratorAge = kinesisMetric('GetRecords.IteratorAgeMilliseconds', 'Maximum');
    const writeThrottles = kinesisMetric('WriteProvisionedThroughputExceeded', 'Sum');
    alarm(
      'StreamIteratorAge',
      streamIteratorAge,
      ALARM_THRESHOLDS.iteratorAgeMs,
      'The oldest unread record on the stream is over a minute old: a consumer is falling behind',
    );
    alarm(
      'StreamWriteThrottles',
      writeThrottles,
      ALARM_THRESHOLDS.writeThrottles,
      'IoT rules are being throttled writing to Kinesis: raise shardCount or use on-demand',
    );

    for (const fn of props.streamConsumers) {
      const node = fn.node.id;
      alarm(
        `${node}IteratorAge`,
        new cloudwatch.Metric({
          namespace: 'AWS/Lambda',
          metricName: 'IteratorAge',
          dimensionsMap: { FunctionName: fn.functionName },
          statistic: 'Maximum',
          period: PERIOD,
        }),
        ALARM_THRESHOLDS.iteratorAgeMs,
        `${node} is more than a minute behind the stream`,
      );
    }
    for (const fn of props.functions) {
      const node = fn.node.id;
      alarm(
        `${node}Errors`,
        fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        ALARM_THRESHOLDS.lambdaErrors,
        `${node} invocations failed`,
      );
      alarm(
        `${node}Throttles`,
        fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        ALARM_THRESHOLDS.lambdaThrottles,
        `${node} invocations were throttled`,
      );
      const timeoutMs = fn.timeout?.toMilliseconds() ?? 3000;
      alarm(
        `${node}DurationNearTimeout`,
        fn.metricDuration({ period: PERIOD, statistic: 'Maximum' }),
        Math.round(timeoutMs * ALARM_THRESHOLDS.durationOfTimeout),
        `${node} took over ${ALARM_THRESHOLDS.durationOfTimeout * 100}% of its ${timeoutMs / 1000} s timeout: a slower run is cut off and its batch retried`,
      );
    }
    for (const [kind, metricName] of [
      ['Write', 'WriteThrottleEvents'],
      ['Read', 'ReadThrottleEvents'],
    ] as const) {
      alarm(
        `Table${kind}Throttles`,
        props.table.metric(metricName, { period: PERIOD, statistic: 'Sum' }),
        ALARM_THRESHOLDS.tableThrottleEvents,
        `DynamoDB throttled ${kind.toLowerCase()}s on the readings table: a hot partition or the account's on-demand limit`,
      );
    }

    const objectsWritten = (bucket: s3.IBucket) =>
      new cloudwatch.Metric({
        namespace: 'AWS/S3',
        metricName: 'PutRequests',
        dimensionsMap: { BucketName: bucket.bucketName, FilterId: WRITES_METRICS_FILTER },
        statistic: 'Sum',
        period: PERIOD,
      });
    alarm(
      'OnFailureObjects',
      objectsWritten(props.failureBucket),
      ALARM_THRESHOLDS.failureObjects,
      'Stream records, or direct alert invokes, failed every retry and were parked in the on-failure bucket: inspect and replay',
    );
    alarm(
      'RuleErrorObjects',
      objectsWritten(props.ruleErrorBucket),
      ALARM_THRESHOLDS.failureObjects,
      'IoT rule error action stored payloads that never reached the stream: inspect and replay',
    );

    const ruleMetric = (ruleName: string, metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/IoT',
        metricName,
        dimensionsMap: { RuleName: ruleName },
        statistic: 'Sum',
        period: PERIOD,
      });
    for (const ruleName of props.ruleNames) {
      alarm(
        `${ruleName}ErrorAction`,
        ruleMetric(ruleName, 'ErrorActionSuccess'),
        ALARM_THRESHOLDS.ruleErrorActions,
        `Rule ${ruleName} could not put messages on the stream; they went to the rule-error bucket`,
      );
      alarm(
        `${ruleName}ErrorActionFailed`,
        ruleMetric(ruleName, 'ErrorActionFailure'),
        ALARM_THRESHOLDS.ruleErrorActions,
        `Rule ${ruleName} lost messages: both the Kinesis action and the S3 error action failed`,
      );
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    const fnMetric = (fn: lambda.IFunction, metricName: string, statistic: string) =>
      fn.metric(metricName, { statistic, period: PERIOD, label: fn.node.id });
    this.dashboard.addWidgets(
      graph(
        'IoT rules: messages matched',
        props.ruleNames.map((r) => ruleMetric(r, 'TopicMatch').with({ label: r })),
      ),
      graph('Kinesis: records in', [
        kinesisMetric('IncomingRecords', 'Sum'),
        kinesisMetric('IncomingBytes', 'Sum'),
      ]),
      graph('Kinesis: consumer lag (ms) and write throttles', [streamIteratorAge, writeThrottles]),
    );
    this.dashboard.addWidgets(
      graph(
        'Lambda: invocations',
        props.functions.map((f) => fnMetric(f, 'Invocations', 'Sum')),
      ),
      graph(
        'Lambda: errors and throttles',
        props.functions.flatMap((f) => [fnMetric(f, 'Errors', 'Sum'), fnMetric(f, 'Throttles', 'Sum')]),
      ),
      graph(
        'Lambda: iterator age (ms, max)',
        props.streamConsumers.map((f) => fnMetric(f, 'IteratorAge', 'Maximum')),
      ),
    );
    this.dashboard.addWidgets(
      graph('DynamoDB: write units consumed', [
        props.table.metricConsumedWriteCapacityUnits({ period: PERIOD, statistic: 'Sum' }),
      ]),
      graph('Parked data (objects written)', [
        objectsWritten(props.failureBucket).with({ label: 'on-failure records' }),
        objectsWritten(props.ruleErrorBucket).with({ label: 'rule errors' }),
      ]),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8, height: 6 }),
    );
  }
}
