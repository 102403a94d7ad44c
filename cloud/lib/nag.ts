import { type CfnElement, type Stack, Validations } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { ARCHIVE_TABLE_NAMES, SHADOW_NAMES, STORED_ACK } from '../../protocol/index.js';

export interface AcknowledgedScopes {
  readonly ruleErrorBucket: s3.IBucket;
  readonly failureBucket: s3.IBucket;
  readonly archiveBucket: s3.IBucket;
  readonly queryResultsBucket: s3.IBucket;
}

/**
 * The cdk-nag AwsSolutions findings this stack acknowledges, each with the reason it is acceptable.
 * cdk-nag v3 acknowledges finding by finding (`Rule[finding]`), so a new wildcard still fails synth.
 */
/** What just-in-time provisioning acknowledges: things and certificates are named only when a tower first connects. */
export const PROVISIONING_FINDINGS: readonly { id: string; reason: string }[] = [
  {
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:thing/*]',
    reason:
      'The JITP role creates the thing of each tower at its first connect (thing name = certificate CN), so no thing name is known at deploy; its group and policy are named',
  },
  {
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:cert/*]',
    reason:
      'The JITP role activates and attaches the certificate a tower presents at its first connect; certificate ids exist only then',
  },
];

export function acknowledgedFindings(
  stack: Stack,
  scopes: AcknowledgedScopes,
): { id: string; reason: string }[] {
  const arnOf = (bucket: s3.IBucket) => `<${stack.getLogicalId(bucket.node.defaultChild as CfnElement)}.Arn>`;
  return [
    ...PROVISIONING_FINDINGS,
    {
      id: `AwsSolutions-IAM5[Resource::${arnOf(scopes.ruleErrorBucket)}/rule-errors/*]`,
      reason:
        'IoT rule error action writes one object per failed message under rule-errors/ with a generated key; it can only PutObject there',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${arnOf(scopes.failureBucket)}/*]`,
      reason:
        'Lambda names the on-failure records it writes; the consumers may only PutObject into this one failure bucket',
    },
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:thing/*/${SHADOW_NAMES.twin}]`,
      reason:
        'The twin updater maintains the named shadow "twin" of every tower; towers are registered by certs-tool after deploy, so only the shadow name is fixed',
    },
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:topic/cmd/towerwatch/*/${STORED_ACK.command}]`,
      reason:
        'The telemetry writer sends each tower its stored acknowledgement; towers are registered after deploy, so only the topic shape (cmd/towerwatch/<tower>/stored) is fixed',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${arnOf(scopes.archiveBucket)}/*]`,
      reason:
        'Firehose names the Parquet and error objects it writes (table, day and its own file names); its role may write only the archive bucket',
    },
    ...ARCHIVE_TABLE_NAMES.map((table) => ({
      id: `AwsSolutions-IAM5[Resource::${arnOf(scopes.archiveBucket)}/${table}/*]`,
      reason: `The archive query policy reads the ${table} table's objects, one per buffer flush per day, named by Firehose`,
    })),
    {
      id: `AwsSolutions-IAM5[Resource::${arnOf(scopes.queryResultsBucket)}/results/*]`,
      reason:
        'Athena names each query result object by its query id, under the workgroup result location only',
    },
    {
      id: 'AwsSolutions-KDF1',
      reason:
        'A delivery stream with a Kinesis stream as source cannot take server-side encryption: Firehose keeps no data at rest, the source stream is KMS-encrypted and the archive bucket is SSE-S3',
    },
    {
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'SNS with a customer managed key needs GenerateDataKey (and the CDK grant names its variants) to publish to the encrypted alert and ops topics; scoped to that one key',
    },
  ];
}

export function acknowledgeFindings(stack: Stack, scopes: AcknowledgedScopes): void {
  for (const finding of acknowledgedFindings(stack, scopes)) Validations.of(stack).acknowledge(finding);
}
