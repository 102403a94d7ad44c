import { DEFAULTS, ENV } from '../../data/tables.js';
import { numberEnv, requireEnv } from '../shared/env.js';
import type { WriterConfig } from './types.js';

export function readWriterConfig(env: Record<string, string | undefined>): WriterConfig {
  return {
    tableName: requireEnv(env, ENV.tableName, 'set it to the DynamoDB table name'),
    retentionDays: numberEnv(env, ENV.retentionDays, DEFAULTS.retentionDays),
    ...(env[ENV.iotDataEndpoint] && { iotDataEndpoint: env[ENV.iotDataEndpoint] }),
  };
}
