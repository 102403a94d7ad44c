import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_TOPIC_NAME, type LocalAws, startLocalAws } from '../../../local/aws/index.js';
import { primeNotifier } from '../../../local/aws/prime.js';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws({});
});
afterAll(async () => {
  await aws?.stop();
});

describe('primeNotifier', () => {
  it('exercises the read, the conditional put and the publish without writing or publishing anything', async () => {
    const { tableName, topicArn } = await aws.createResources({ streamName: 'prime-test', shardCount: 1 });
    await primeNotifier({ doc: aws.clients.doc, sns: aws.clients.sns, tableName, topicArn });
    expect(topicArn.endsWith(ALERT_TOPIC_NAME)).toBe(true);
    expect((await aws.clients.doc.send(new ScanCommand({ TableName: tableName }))).Items).toEqual([]);
    expect(aws.sns.published).toEqual([]);
  });

  it('never fails the start: an unreachable table is only a missed warm-up', async () => {
    await expect(
      primeNotifier({
        doc: aws.clients.doc,
        sns: aws.clients.sns,
        tableName: 'missing',
        topicArn: 'arn:x:y',
      }),
    ).resolves.toBeUndefined();
  });
});
