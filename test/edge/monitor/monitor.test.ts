import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AlertSchema,
  EdgeConfigSchema,
  type EdgeConfigInput,
  encodedBytes,
  expandReadings,
  TelemetryBatchSchema,
} from '../../../protocol/index.js';
import { silentLogger } from '../../../edge/src/config/index.js';
import {
  createTowerMonitor,
  type SensorSource,
  simulatedTowerConfig,
  VirtualTime,
} from '../../../edge/src/monitor/index.js';
import { counterSeq, MemorySink } from './memory.js';

const T0 = Date.UTC(2026, 10, 23, 12);
let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'towerwatch-monitor-'));
});
afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

function start(input: Partial<EdgeConfigInput> = {}, sources?: SensorSource[]) {
  const vt = new VirtualTime(T0);
  const sink = new MemorySink();
  const config = EdgeConfigSchema.parse({
    towerId: 'tower-0007',
    sensors: simulatedTowerConfig('tower-0007', { sensors: 8 }),
    ...input,
  });
  const monitor = createTowerMonitor({
    config,
    sink,
    seq: counterSeq(100),
    clock: vt,
    timers: vt,
    stateDir,
    logger: silentLogger,
    ...(sources ? { sources } : {}),
  });
  return { vt, sink, monitor };
}

async function until(condition: () => boolean, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('createTowerMonitor', () => {
  it('samples an 8-sensor tower into valid batches of at most 5 KB, numbered by the sequence source', async () => {
    const { vt, sink, monitor } = start();
    await monitor.start();
    await vt.advance(59_999);
    await monitor.stop();
    const stats = monitor.stats();
    expect(stats).toMatchObject({ readings: 480, failures: 0, alertsRaised: 0 });
    expect(stats.batchesSealed).toBe(sink.batches.length);
    expect(sink.batches.map((b) => b.seq)).toEqual(sink.batches.map((_, i) => 101 + i));
    for (const b of sink.batches) {
      TelemetryBatchSchema.parse(b);
      expect(encodedBytes(b)).toBeLessThanOrEqual(5 * 1024);
    }
    const readings = sink.batches.flatMap(expandReadings);
    expect(readings).toHaveLength(480);
    expect(new Set(readings.map((r) => r.sensorId)).size).toBe(8);
  });

  it('sends the open batch on stop', async () => {
    const { vt, sink, monitor } = start();
    await monitor.start();
    await vt.advance(3_000);
    expect(sink.batches).toHaveLength(0);
    await monitor.stop();
    expect(sink.batches.flatMap(expandReadings)).toHaveLength(32);
  });

  it('sends alerts at once, ahead of the batch holding the reading that raised them', async () => {
    const { vt, sink, monitor } = start();
    await monitor.start();
    await vt.advance(2_000);
    monitor.simulator!.inject('temp-cabinet', { kind: 'spike', durationMs: 30_000 });
    await vt.advance(2_000);
    const raised = sink.alerts.filter((a) => a.rule === 'threshold-high');
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      state: 'raise',
      severity: 'critical',
      sensorId: 'temp-cabinet',
      towerId: 'tower-0007',
    });
    expect(sink.batches).toHaveLength(0);
    // The spike's 60 s rate-of-change window must pass too before everything has cleared.
    await vt.advance(120_000);
    await monitor.stop();
    for (const a of sink.alerts) AlertSchema.parse(a);
    expect(sink.alerts.filter((a) => a.rule === 'threshold-high').map((a) => a.state)).toEqual([
      'raise',
      'clear',
    ]);
    expect(monitor.stats()).toMatchObject({ activeAlerts: 0 });
  });

  it('flags failed reads as bad and raises sensor-fault after 3 in a row', async () => {
    const { vt, sink, monitor } = start();
    await monitor.start();
    monitor.simulator!.inject('rh-cabinet', { kind: 'fail', durationMs: 5_000 });
    await vt.advance(10_000);
    await monitor.stop();
    const rh = sink.batches.flatMap(expandReadings).filter((r) => r.sensorId === 'rh-cabinet');
    expect(rh.filter((r) => r.quality === 'bad' && r.value === null)).toHaveLength(5);
    expect(sink.alerts.filter((a) => a.rule === 'sensor-fault').map((a) => [a.state, a.time - T0])).toEqual([
      ['raise', 2_000],
      ['clear', 5_000],
    ]);
    expect(monitor.stats().failures).toBe(5);
  });

  it('turns a dropout into timed-out reads and a sensor-fault', async () => {
    const { vt, sink, monitor } = start({
      sensors: simulatedTowerConfig('tower-0007', { sensors: 2 }).map((s) => ({ ...s, timeoutMs: 300 })),
    });
    await monitor.start();
    monitor.simulator!.inject('temp-ambient', { kind: 'dropout' });
    await vt.advance(5_000);
    await monitor.stop();
    expect(monitor.stats().perSensor['temp-ambient']).toMatchObject({ failures: 5, skipped: 0 });
    expect(sink.alerts.some((a) => a.rule === 'sensor-fault' && a.sensorId === 'temp-ambient')).toBe(true);
  });

  it('samples sources given directly and sysfs sources from config', async () => {
    const sysfs = mkdtempSync(join(tmpdir(), 'towerwatch-sys-'));
    try {
      mkdirSync(join(sysfs, 'class/hwmon/hwmon0'), { recursive: true });
      writeFileSync(join(sysfs, 'class/hwmon/hwmon0/name'), 'coretemp\n');
      writeFileSync(join(sysfs, 'class/hwmon/hwmon0/temp1_input'), '47000\n');
      const extra: SensorSource = { id: 'custom-1', kind: 'generic', read: () => Promise.resolve(7) };
      // File reads are real I/O, so this one runs on the real clock and waits for the readings.
      const sink = new MemorySink();
      const monitor = createTowerMonitor({
        config: EdgeConfigSchema.parse({
          towerId: 'tower-0007',
          sysfsRoot: sysfs,
          sensors: [
            {
              id: 'cpu',
              kind: 'temperature',
              source: 'hwmon',
              chip: 'coretemp',
              channel: 'temp1',
              intervalMs: 100,
            },
          ],
        }),
        sink,
        seq: counterSeq(),
        stateDir,
        logger: silentLogger,
        sources: [extra],
      });
      await monitor.start();
      await until(
        () =>
          (monitor.stats().perSensor.cpu?.reads ?? 0) >= 2 &&
          monitor.stats().perSensor['custom-1']!.reads >= 1,
      );
      await monitor.stop();
      const readings = sink.batches.flatMap(expandReadings);
      expect(new Set(readings.filter((r) => r.sensorId === 'cpu').map((r) => r.value))).toEqual(
        new Set([47]),
      );
      expect(new Set(readings.filter((r) => r.sensorId === 'custom-1').map((r) => r.value))).toEqual(
        new Set([7]),
      );
      expect(sink.alerts.map((a) => `${a.sensorId}:${a.rule}:${a.severity}`)).toEqual([
        'cpu:threshold-high:critical',
      ]);
    } finally {
      rmSync(sysfs, { recursive: true, force: true });
    }
  });
});
