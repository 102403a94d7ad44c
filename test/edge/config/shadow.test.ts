import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EdgeConfigSchema } from '../../../protocol/index.js';
import { APPLIED_CONFIG_FILE, type Logger, ShadowConfigController } from '../../../edge/src/config/index.js';
import { createTowerMonitor, simulatedTowerConfig, VirtualTime } from '../../../edge/src/monitor/index.js';
import { counterSeq, MemoryShadow, MemorySink } from '../monitor/memory.js';

const T0 = Date.UTC(2026, 10, 23, 12);
let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'towerwatch-state-'));
});
afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) };
}

function tower(shadow: MemoryShadow | undefined, vt: VirtualTime, logger = recordingLogger()) {
  const config = EdgeConfigSchema.parse({
    towerId: 'tower-1',
    sensors: simulatedTowerConfig('tower-1', { sensors: 3 }),
  });
  const sink = new MemorySink();
  const monitor = createTowerMonitor({
    config,
    sink,
    seq: counterSeq(),
    ...(shadow ? { shadow } : {}),
    clock: vt,
    timers: vt,
    stateDir,
    logger,
  });
  return { monitor, sink, logger };
}

describe('shadow-driven configuration', () => {
  it('applies a desired change without a restart and reports it back', async () => {
    const vt = new VirtualTime(T0);
    const shadow = new MemoryShadow();
    const { monitor, sink } = tower(shadow, vt);
    await monitor.start();
    monitor.simulator!.inject('temp-cabinet', { kind: 'spike', value: 42 });
    await vt.advance(5_000);
    expect(
      sink.alerts.filter((a) => a.rule === 'threshold-high').map((a) => `${a.state}:${a.severity}`),
    ).toEqual(['raise:warning']);

    shadow.setDesired({ rules: { temperature: { high: { warning: 50 } } } });
    await monitor.shadowSettled();
    await vt.advance(5_000);
    expect(sink.alerts.filter((a) => a.rule === 'threshold-high').map((a) => a.state)).toEqual([
      'raise',
      'clear',
    ]);
    expect(monitor.effectiveConfig().tunable.rules?.temperature?.high).toEqual({ warning: 50 });
    // configError: null deletes the key, as a shadow update with null does.
    expect(shadow.reported).toEqual({
      rules: { temperature: { high: { warning: 50 } } },
      appliedAt: T0 + 5_000,
      appliedVersion: 1,
    });
    expect(monitor.stats()).toMatchObject({ appliedShadowVersion: 1, configError: null });
    expect(existsSync(join(stateDir, APPLIED_CONFIG_FILE))).toBe(true);
    await monitor.stop();
  });

  it('rejects an invalid desired document, keeps the last good config and says why', async () => {
    const vt = new VirtualTime(T0);
    const shadow = new MemoryShadow();
    const { monitor } = tower(shadow, vt);
    await monitor.start();
    shadow.setDesired({ rules: { temperature: { high: { warning: 38 } } } });
    await monitor.shadowSettled();
    shadow.setDesired({ rules: { temperature: { high: { warning: 'hot' } } } });
    await monitor.shadowSettled();
    expect(monitor.effectiveConfig().tunable.rules?.temperature?.high).toEqual({ warning: 38 });
    const error =
      'config.rules.temperature.high.warning: expected a number, got something that is not a number (set it to a number)';
    expect(shadow.reported).toMatchObject({
      rules: { temperature: { high: { warning: 38 } } },
      configError: error,
      appliedVersion: 1,
    });
    expect(monitor.stats().configError).toBe(error);

    shadow.setDesired({ sensors: { 'temp-cabinet': { interval: 5 } } });
    await monitor.shadowSettled();
    expect(shadow.reported!.configError).toBe(
      'config.sensors.temp-cabinet: unknown field interval (remove it or fix its spelling)',
    );

    // A later good document clears the error and removes what is no longer desired.
    shadow.setDesired({ sensors: { 'rh-cabinet': { enabled: false } } });
    const version = shadow.version;
    await monitor.shadowSettled();
    expect(shadow.reported).toEqual({
      sensors: { 'rh-cabinet': { enabled: false } },
      appliedAt: T0,
      appliedVersion: version,
    });
    await monitor.stop();
  });

  it('changes sampling per sensor live: a disabled sensor stops, an interval changes', async () => {
    const vt = new VirtualTime(T0);
    const shadow = new MemoryShadow();
    const { monitor } = tower(shadow, vt);
    await monitor.start();
    await vt.advance(9_000);
    shadow.setDesired({
      sensors: { 'temp-ambient': { enabled: false }, 'rh-cabinet': { intervalMs: 5000 } },
    });
    await monitor.shadowSettled();
    await vt.advance(20_000);
    await monitor.stop();
    const per = monitor.stats().perSensor;
    expect(per['temp-cabinet']!.reads).toBe(30);
    expect(per['temp-ambient']!.reads).toBe(10);
    expect(per['rh-cabinet']!.reads).toBe(10 + 4);
  });

  it('closes the open incidents of a sensor the shadow disables', async () => {
    const vt = new VirtualTime(T0);
    const shadow = new MemoryShadow();
    const { monitor, sink } = tower(shadow, vt);
    await monitor.start();
    await vt.advance(1_000);
    monitor.simulator!.inject('temp-cabinet', { kind: 'spike', value: 50 });
    await vt.advance(3_000);
    const raised = sink.alerts.filter((a) => a.state === 'raise');
    expect(raised.map((a) => a.rule).sort()).toEqual(['rate-of-change', 'threshold-high']);
    shadow.setDesired({ sensors: { 'temp-cabinet': { enabled: false } } });
    await monitor.shadowSettled();
    const cleared = sink.alerts.filter((a) => a.state === 'clear');
    expect(cleared.map((a) => a.alertId).sort()).toEqual(raised.map((a) => a.alertId).sort());
    expect(cleared[0]!.message).toMatch(/sensor disabled$/);
    expect(monitor.stats().activeAlerts).toBe(0);
    await monitor.stop();
  });

  it('restarts offline with the last applied overrides', async () => {
    const vt = new VirtualTime(T0);
    const shadow = new MemoryShadow();
    const first = tower(shadow, vt);
    await first.monitor.start();
    shadow.setDesired({ rules: { humidity: { high: { warning: 70 } } }, batching: { maxAgeMs: 2000 } });
    await first.monitor.shadowSettled();
    await first.monitor.stop();

    shadow.offline = true;
    const second = tower(shadow, vt);
    await second.monitor.start();
    await second.monitor.shadowSettled();
    expect(second.monitor.effectiveConfig().tunable).toMatchObject({
      rules: { humidity: { high: { warning: 70 } } },
      batching: { maxAgeMs: 2000 },
    });
    expect(second.logger.lines.some((l) => l.startsWith('warn shadow config not reachable'))).toBe(true);
    await vt.advance(2_000);
    expect(second.sink.batches).toHaveLength(1);
    await second.monitor.stop();
  });

  it('ignores an unreadable persisted file with a warning', async () => {
    writeFileSync(join(stateDir, APPLIED_CONFIG_FILE), '{"overrides":{"rules":{"nope":{}}}}');
    const vt = new VirtualTime(T0);
    const { monitor, logger } = tower(undefined, vt);
    await monitor.start();
    expect(monitor.effectiveConfig().tunable).toEqual({});
    expect(logger.lines.some((l) => l.startsWith('warn ignoring unreadable persisted shadow config'))).toBe(
      true,
    );
    await monitor.stop();
  });
});

describe('ShadowConfigController', () => {
  it('retries the report of a document it could not report when the shadow redelivers it', async () => {
    const shadow = new MemoryShadow();
    const applied: unknown[] = [];
    const controller = new ShadowConfigController({
      port: shadow,
      stateDir,
      clock: { now: () => T0 },
      apply: (o) => applied.push(o),
      logger: recordingLogger(),
    });
    controller.start();
    await controller.settled();
    shadow.offline = true;
    shadow.setDesired({ statusIntervalMs: 60_000 });
    await controller.settled();
    expect(applied).toEqual([{ statusIntervalMs: 60_000 }]);
    expect(shadow.reported).toBeNull();

    shadow.offline = false;
    // After reconnecting the port delivers the whole document again.
    controller.start();
    await controller.settled();
    expect(shadow.reported).toEqual({ statusIntervalMs: 60_000, appliedVersion: 1, appliedAt: T0 });
    controller.stop();
  });
});
