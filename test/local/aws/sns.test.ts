import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws/clients.js';
import { startLocalSns } from '../../../local/aws/sns.js';
import { waitFor } from './helpers.js';

describe('local SNS sink', () => {
  it('records Publish calls from @aws-sdk/client-sns and forwards them as JSON', async () => {
    const forwarded: unknown[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        forwarded.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const sns = await startLocalSns({
      forwardUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`,
    });
    const client = new SNSClient(localClientConfig(sns.endpoint));
    try {
      const seen: string[] = [];
      sns.onPublish((m) => seen.push(m.messageId));
      const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'alerts' }));
      expect(TopicArn).toBe(sns.topicArn('alerts'));
      const out = await client.send(
        new PublishCommand({
          TopicArn,
          Subject: 'Tower <t1> & friends',
          Message: 'line 1\nline 2 ✓',
          MessageAttributes: { severity: { DataType: 'String', StringValue: 'critical' } },
        }),
      );
      expect(sns.published).toEqual([
        expect.objectContaining({
          messageId: out.MessageId,
          topicArn: TopicArn,
          subject: 'Tower <t1> & friends',
          message: 'line 1\nline 2 ✓',
          attributes: { severity: 'critical' },
        }),
      ]);
      expect(seen).toEqual([out.MessageId]);
      await waitFor(() => forwarded.length === 1, 'the forwarded message');
      expect(forwarded[0]).toMatchObject({ messageId: out.MessageId, subject: 'Tower <t1> & friends' });
      await expect(
        client.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'a@b.c' })),
      ).rejects.toThrow(/local SNS supports Publish and CreateTopic, not Subscribe/);
    } finally {
      client.destroy();
      await sns.stop();
      await new Promise((r) => hook.close(r));
    }
  });
});
