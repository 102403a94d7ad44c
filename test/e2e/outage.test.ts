import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTopic } from '../../protocol/index.js';
import {
  drainFleet,
  duplicates,
  readingsStored,
  startTestStack,
  storedReadings,
  type TestStack,
  waitUntil,
} from './support/stack.js';

const OUTAGE_MS = 30_000;

describe('e2e: the broker is down for 30 s while the towers keep sampling', { timeout: 180_000 }, () => {
  let t: TestStack;
  const published: { clientId: string; type: string; at: number }[] = [];

  beforeAll(async () => {
    t = await startTestStack();
    t.stack.iot.on('publish', (e) => {
      if (!e.clientId) return;
      const parsed = (() => {
        try {
          return parseTopic(e.topic);
        } catch {
          return undefined;
        }
      })();
      if (parsed?.kind === 'device')
        published.push({ clientId: e.clientId, type: parsed.type, at: Date.now() });
    });
    await waitUntil('the first readings in DynamoDB', () => readingsStored(t.stack) > 0);
  });
  afterAll(async () => t?.stop());

  it('stores every reading exactly once afterwards and delivers the outage alert before the backlog', async () => {
    const { stack } = t;
    const tower = stack.fleet.get('tower-001')!;
    await stack.iot.stop();
    await waitUntil('the towers to notice', () => stack.fleet.running().every((h) => !h.stats().connected));
    const raisedBefore = tower.monitor.stats().alertsRaised;
    await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
    tower.monitor.simulator!.inject('temp-cabinet', { kind: 'spike', value: 55 });
    await waitUntil(
      'an alert raised on the tower during the outage',
      () => tower.monitor.stats().alertsRaised > raisedBefore,
    );
    await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
    expect(tower.stats().buffer.depthMessages).toBeGreaterThan(10);

    const backAt = Date.now();
    await stack.iot.start();
    const sampled = await drainFleet(stack);

    // Alerts first: the first device message tower-001 sent after the broker came back is the alert.
    const after = published.filter(
      (p) => p.clientId === 'tower-001' && p.at >= backAt && p.type !== 'status',
    );
    expect(after.length).toBeGreaterThan(1);
    expect(after[0]!.type).toBe('alert');

    let stored = 0;
    for (const towerId of stack.fleet.ids) {
      const readings = await storedReadings(stack, towerId);
      expect(duplicates(readings)).toEqual([]);
      expect(readings.length).toBe(stack.fleet.get(towerId)!.monitor.stats().readings);
      stored += readings.length;
    }
    expect(stored).toBe(sampled);
  });
});
