import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENV, FUNCTIONS } from '../../../cloud/data/tables.js';
import { kinesisRecord } from './fixtures.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  vi.resetModules();
});

describe('Lambda entries (the files the CDK app bundles)', () => {
  it('refuse to start without their settings, naming the variable', async () => {
    delete process.env[ENV.tableName];
    await expect(import('../../../cloud/functions/telemetry-writer/index.js')).rejects.toThrow(
      'TOWERWATCH_TABLE is not set (set it to the DynamoDB table name)',
    );
    process.env[ENV.tableName] = 't';
    delete process.env[ENV.alertTopicArn];
    await expect(import('../../../cloud/functions/alert-notifier/index.js')).rejects.toThrow(
      /ALERT_TOPIC_ARN is not set/,
    );
    process.env[ENV.twinMinIntervalMs] = 'soon';
    await expect(import('../../../cloud/functions/twin-updater/index.js')).rejects.toThrow(
      'TWIN_MIN_INTERVAL_MS="soon" is not a non-negative number (unset it for 300000)',
    );
  });

  it('export the handlers named in FUNCTIONS and answer with a partial batch response', async () => {
    Object.assign(process.env, {
      [ENV.tableName]: 'towerwatch',
      [ENV.alertTopicArn]: 'arn:aws:sns:eu-west-1:000000000000:alerts',
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    for (const fn of Object.values(FUNCTIONS)) {
      const entry = new URL(`../../../${fn.entry}`, import.meta.url).href;
      const mod = (await import(/* @vite-ignore */ entry)) as Record<string, unknown>;
      expect(typeof mod[fn.handler]).toBe('function');
    }
    const ddb = mockClient(DynamoDBDocumentClient);
    ddb.on(PutCommand).resolves({});
    const { handler } = await import('../../../cloud/functions/telemetry-writer/index.js');
    const poison = kinesisRecord('{"not":"a rule output"}');
    expect(await handler({ Records: [poison] })).toEqual({ batchItemFailures: [] });
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input.Item).toMatchObject({
      kind: 'quarantine',
      field: 'messageType',
    });
    ddb.restore();
  });
});
