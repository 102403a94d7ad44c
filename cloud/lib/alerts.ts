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
 * Two KMS-encrypted, TLS-only topics: `alertTopic` carries tower alerts (what field staff act on),
 * `opsTopic` carries the pipeline's own alarms (what the operator of this stack acts on).
 */
export class AlertTopics extends Construct {
  readonly alertTopic: sns.Topic;
  readonly opsTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertTopicsProps) {
    super(scope, id);
    this.alertTopic = new sns.Topic(this, 'AlertTopic', {
      displayName: 'towerwatch tower alerts',
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
      this.alertTopic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
      this.opsTopic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
    }
  }
}
