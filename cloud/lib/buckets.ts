import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Request-metrics filter id: turns on the `PutRequests` metric the "objects arrived" alarms watch. */
export const WRITES_METRICS_FILTER = 'AllObjects' as const;

export interface SecureBucketProps {
  readonly removalPolicy: RemovalPolicy;
  readonly accessLogs: s3.IBucket;
  /**
   * Days the objects are kept: evidence of failures expires rather than piles up. Unset keeps them
   * until deleted (the archive, whose other rules say where its objects go).
   */
  readonly expireAfterDays?: number;
  readonly accessLogsPrefix: string;
  /** Rules besides the expiration: storage-class transitions, a shorter life under one prefix. */
  readonly lifecycleRules?: readonly s3.LifecycleRule[];
  /**
   * Request metrics (`WRITES_METRICS_FILTER`) for an "objects arrived" alarm; CloudWatch bills them
   * as custom metrics, so a bucket written all the time and watched otherwise turns them off.
   * Default true.
   */
  readonly countWrites?: boolean;
}

/** A private, TLS-only, encrypted bucket whose writes are counted (so an alarm can watch them) unless told not to. */
export class SecureBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: props.accessLogsPrefix,
      lifecycleRules: [
        ...(props.expireAfterDays === undefined
          ? []
          : [{ expiration: Duration.days(props.expireAfterDays) }]),
        ...(props.lifecycleRules ?? []),
      ],
      ...(props.countWrites !== false && { metrics: [{ id: WRITES_METRICS_FILTER }] }),
      removalPolicy: props.removalPolicy,
    });
  }
}

/** The bucket that receives the other buckets' server access logs. */
export function accessLogsBucket(scope: Construct, id: string, removalPolicy: RemovalPolicy): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    lifecycleRules: [{ expiration: Duration.days(90) }],
    removalPolicy,
  });
}
