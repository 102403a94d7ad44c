import { DEFAULTS, ENV } from '../../data/tables.js';
import { numberEnv, requireEnv } from '../shared/env.js';
import type { TwinConfig } from './types.js';

export function readTwinConfig(env: Record<string, string | undefined>): TwinConfig {
  const endpoint = env[ENV.iotDataEndpoint]?.trim();
  return {
    tableName: requireEnv(env, ENV.tableName, 'set it to the DynamoDB table name'),
    minIntervalMs: numberEnv(env, ENV.twinMinIntervalMs, DEFAULTS.twinMinIntervalMs),
    ...(endpoint && { iotDataEndpoint: endpoint }),
  };
}
