import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertTopicsProps {
  readonly key: kms.IKey;
  readonly alertEmail?: string;
}

/**
 * KMS-encrypted, TLS-only topics. `alertTopic` is FIFO and carries tower alerts (what field staff
 * act on) exactly once to its subscribers (SQS FIFO queues): the notifier de-duplicates on
 * `towerId#alertId#state`, so a publish repeated after a crash or a throttled write is dropped by
 * SNS within its 5-minute window. FIFO topics cannot deliver e-mail or SMS, so `alertFanoutTopic`,
 * a standard topic the notifier publishes to next, serves those (at least once). `opsTopic`
 * carries the pipeline's own alarms (what the operator of this stack acts on).
 */
export class AlertTopics extends Construct {
  readonly alertTopic: sns.Topic;
  readonly alertFanoutTopic: sns.Topic;
  readonly opsTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertTopicsProps) {
    super(scope, id);
    this.alertTopic = new sns.Topic(this, 'AlertTopic', {
      displayName: 'towerwatch tower alerts',
      fifo: true,
      // The notifier sends an explicit id per transition; a content hash would differ between a
      // message and its repeat only if the text changed, and would merge distinct transitions that read alike.
      contentBasedDeduplication: false,
      masterKey: props.key,
      enforceSSL: true,
    });
    this.alertFanoutTopic = new sns.Topic(this, 'AlertFanoutTopic', {
      displayName: 'towerwatch tower alerts (e-mail, SMS)',
      masterKey: props.key,
      enforceSSL: true,
    });
    this.opsTopic = new sns.Topic(this, 'OpsTopic', {
      displayName: 'towerwatch pipeline alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    // CloudWatch alarms publish as the service: it needs the key to encrypt into the ops topic.
    props.key.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
    if (props.alertEmail) {
      this.alertFanoutTopic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
      this.opsTopic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
    }
  }
}
