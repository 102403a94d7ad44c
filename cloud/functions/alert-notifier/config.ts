import { DEFAULTS, ENV } from '../../data/tables.js';
import { numberEnv, requireEnv } from '../shared/env.js';
import type { NotifierConfig } from './types.js';

export function readNotifierConfig(env: Record<string, string | undefined>): NotifierConfig {
  return {
    tableName: requireEnv(env, ENV.tableName, 'set it to the DynamoDB table name'),
    topicArn: requireEnv(env, ENV.alertTopicArn, 'set it to the SNS topic ARN alerts go to'),
    ...(env[ENV.alertFanoutTopicArn] && { fanoutTopicArn: env[ENV.alertFanoutTopicArn] }),
    offlineGraceMs: numberEnv(env, ENV.offlineGraceMs, DEFAULTS.offlineGraceMs),
    suppressionWindowMs: numberEnv(env, ENV.suppressionWindowMs, DEFAULTS.suppressionWindowMs),
  };
}
