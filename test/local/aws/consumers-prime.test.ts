import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startConsumers } from '../../../local/aws/consumers.js';
import { type LocalAws, startLocalAws } from '../../../local/aws/index.js';

const primed = vi.hoisted(() => [] as string[]);
vi.mock('../../../local/aws/prime.js', () => ({
  primeNotifier: async (deps: { tableName: string }) => {
    primed.push(deps.tableName);
  },
}));

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws({});
});
afterAll(async () => {
  await aws?.stop();
});

describe('startConsumers warm-up', () => {
  // Measured in the e2e bench: the first alert the stream path published took 210 ms in SNS's
  // serializer alone while only the direct path was primed.
  it.each(['stream', 'direct', 'all'] as const)(
    'primes alert-notifier when it runs the %s part',
    async (part) => {
      primed.length = 0;
      const consumers = await startConsumers({
        aws,
        streamName: `prime-${part}`,
        part,
        sweepIntervalMs: 0,
        logLevel: 'SILENT',
      });
      try {
        expect(primed).toHaveLength(1);
      } finally {
        await consumers.stop();
      }
    },
  );
});
