import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge } from '../../edge/src/component/index.js';
import { silentLogger } from '../../edge/src/config/index.js';
import { EdgeConfigSchema } from '../../protocol/index.js';
import { duplicates, startTestStack, storedReadings, type TestStack, waitUntil } from './support/stack.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'towerwatch.js');
const TOWER = 'tower-002';
const INTERVAL_MS = 250;
const BATCH_MAX_AGE_MS = 500;

/** Runs `towerwatch edge --config` as its own process, as a tower without Greengrass would. */
function spawnTower(configPath: string, stateDir: string): ChildProcess {
  return spawn(process.execPath, [BIN, 'edge', '--config', configPath, '--state-dir', stateDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

describe('e2e: kill -9 of a tower process, then restart', { timeout: 180_000 }, () => {
  let t: TestStack;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    t = await startTestStack();
    await t.stack.fleet.stop(TOWER);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await t?.stop();
  });

  it('loses nothing it had stored and doubles nothing', async () => {
    const { stack } = t;
    const config = stack.fleet.configFor(TOWER);
    config.sensors = config.sensors.map((s) => ({ ...s, intervalMs: INTERVAL_MS }));
    config.batching = { ...config.batching, maxAgeMs: BATCH_MAX_AGE_MS };
    const configPath = join(t.root, `${TOWER}.json`);
    writeFileSync(configPath, JSON.stringify(config));
    const stateDir = join(t.root, 'crash-tower');
    const connects = () => stack.iot.stats().connects;

    const startedAt = Date.now();
    let before = connects();
    child = spawnTower(configPath, stateDir);
    await waitUntil('the tower process to connect', () => connects() > before, 60_000);
    await waitUntil(
      'its readings in DynamoDB',
      async () => (await storedReadings(stack, TOWER)).length > 50,
      60_000,
    );

    const killedAt = Date.now();
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));

    before = connects();
    const restartedAt = Date.now();
    child = spawnTower(configPath, stateDir);
    await waitUntil('the restarted tower to connect', () => connects() > before, 60_000);
    await new Promise((r) => setTimeout(r, 3000));
    child.kill('SIGTERM');
    const code = await new Promise((r) => child!.once('exit', r));
    child = undefined;
    expect(code).toBe(0);
    const stoppedAt = Date.now();

    // Whatever the graceful stop left in the buffer is delivered by the same component, sensors off.
    const drain = await startEdge({
      config: EdgeConfigSchema.parse({ ...config, sensors: [] }),
      stateDir,
      logger: silentLogger,
    });
    await waitUntil(
      'the buffer to drain',
      () => drain.stats().connected && drain.stats().buffer.depthMessages === 0,
      60_000,
    );
    await drain.stop();
    await stack.iot.drain();

    // The writer catches up: wait until the stored count stops growing.
    let last = -1;
    let readings = await storedReadings(stack, TOWER);
    await waitUntil(
      'the writer to catch up',
      async () => {
        readings = await storedReadings(stack, TOWER);
        const settled = readings.length === last;
        last = readings.length;
        return settled;
      },
      60_000,
      1500,
    );

    expect(duplicates(readings)).toEqual([]);
    // Every sensor's samples are continuous except around the kill: what was sampled but not yet
    // stored (the open batch and the group-commit window) may be lost; nothing before it, nothing after.
    const lossWindowStart = killedAt - BATCH_MAX_AGE_MS - 100 - 2 * INTERVAL_MS - 1000;
    const bySensor = new Map<string, number[]>();
    for (const r of readings) bySensor.set(r.sensorId, [...(bySensor.get(r.sensorId) ?? []), r.time]);
    expect([...bySensor.keys()].sort()).toEqual(config.sensors.map((s) => s.id).sort());
    for (const [sensorId, times] of bySensor) {
      times.sort((a, b) => a - b);
      expect(times[0]!, sensorId).toBeLessThan(startedAt + 5000);
      expect(times[times.length - 1]!, sensorId).toBeGreaterThan(stoppedAt - 5000);
      for (let i = 1; i < times.length; i++) {
        const gap = times[i]! - times[i - 1]!;
        if (gap > INTERVAL_MS * 1.5) {
          expect({ sensorId, from: times[i - 1]!, to: times[i]! }).toSatisfy(
            (g: { from: number; to: number }) => g.from >= lossWindowStart && g.to >= restartedAt,
          );
        }
      }
    }
  });
});
