import { describe, expect, it } from 'vitest';
import { ConfigError, loadEdgeConfig } from '../../../edge/src/config/index.js';

function load(confirmTimeoutMs?: unknown) {
  return loadEdgeConfig({
    greengrass: {
      towerId: 'tower-c1',
      transport: confirmTimeoutMs === undefined ? {} : { confirmTimeoutMs },
    },
  });
}

describe('transport.confirmTimeoutMs', () => {
  it('defaults to 60 s, takes 0 (PUBACK confirms) and Greengrass strings', () => {
    expect(load().transport.confirmTimeoutMs).toBe(60_000);
    expect(load(0).transport.confirmTimeoutMs).toBe(0);
    expect(load('90000').transport.confirmTimeoutMs).toBe(90_000);
  });

  it('refuses a wait shorter than the acknowledgement interval with one line naming the field and the fix', () => {
    let error: unknown;
    try {
      load(5000);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      "config.transport.confirmTimeoutMs: 5000 ms is shorter than the cloud's 10000 ms acknowledgement interval plus latency (0 turns confirmation off) (use a value of at least 15000)",
    );
    expect(() => load(-1)).toThrow(/^config\.transport\.confirmTimeoutMs: .*at least 0/);
  });
});
