import { SNSClient } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { powertools } from '../../../../cloud/functions/shared/powertools.js';

const xrayMiddleware = (client: SNSClient) =>
  client.middlewareStack.identify().filter((m) => /xray/i.test(m));

describe('powertools().traced', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('in Lambda, adds the X-Ray middleware so each SDK call is a subsegment', () => {
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs24.x');
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'true');
    const { traced } = powertools('telemetry-writer');
    const client = traced(new SNSClient({ region: 'us-east-1' }));
    expect(xrayMiddleware(client)).not.toEqual([]);
  });

  it('outside Lambda (the local stack), hands the client back untouched', () => {
    vi.stubEnv('AWS_EXECUTION_ENV', '');
    const { traced } = powertools('telemetry-writer');
    const client = new SNSClient({ region: 'us-east-1' });
    expect(traced(client)).toBe(client);
    expect(xrayMiddleware(client)).toEqual([]);
  });
});
