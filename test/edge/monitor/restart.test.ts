import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Alert,
  AlertSchema,
  type DetectionRules,
  EdgeConfigSchema,
  type SensorKind,
  type TelemetryBatch,
} from '../../../protocol/index.js';
import type { Logger } from '../../../edge/src/config/index.js';
import {
  type AlertStateFile,
  AlertStateFileSchema,
  createTowerMonitor,
  OPEN_ALERTS_FILE,
  type SensorSource,
  VirtualTime,
} from '../../../edge/src/monitor/index.js';
import type { Sink } from '../../../edge/src/ports.js';
import { counterSeq } from './memory.js';

const T0 = Date.UTC(2026, 10, 23, 12);
const RULES: DetectionRules = {
  high: { warning: 40, critical: 45 },
  hysteresis: 1,
  debounce: { k: 2, n: 3 },
};

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'towerwatch-restart-'));
});
afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

/** A sensor the test turns: a number is read as is, null fails the read. */
class Dial implements SensorSource {
  value: number | null = 20;
  constructor(
    readonly id: string,
    readonly kind: SensorKind = 'generic',
  ) {}

  read(): Promise<number> {
    return this.value === null ? Promise.reject(new Error('no answer')) : Promise.resolve(this.value);
  }
}

/** A sink that notes what the state file held when each alert was handed over, and can stop accepting. */
class WatchingSink implements Sink {
  readonly alerts: Alert[] = [];
  readonly fileAtHandover: AlertStateFile[] = [];
  /** Alerts it takes but never accepts, as when the process dies before delivery has them. */
  hangIf: (alert: Alert) => boolean = () => false;
  refuse = false;

  telemetry(_batch: TelemetryBatch): Promise<void> {
    return Promise.resolve();
  }

  alert(alert: Alert): Promise<void> {
    this.alerts.push(alert);
    this.fileAtHandover.push(readState());
    if (this.refuse) return Promise.reject(new Error('disk full'));
    return this.hangIf(alert) ? new Promise<void>(() => undefined) : Promise.resolve();
  }
}

class CapturingLogger implements Logger {
  readonly warnings: { message: string; extra?: Record<string, unknown> }[] = [];
  info(): void {}
  warn(message: string, extra?: Record<string, unknown>): void {
    this.warnings.push({ message, ...(extra && { extra }) });
  }
}

interface Boot {
  at: number;
  dials: Dial[];
  sink?: WatchingSink;
  logger?: Logger;
  /** Ids configured with `enabled: false`. */
  disabled?: string[];
  /** Give the dials their threshold rules (generic sensors have none by default). */
  rules?: boolean;
}

/** One run of the component: a fresh monitor on the shared state directory, on its own virtual clock. */
function boot(options: Boot) {
  const vt = new VirtualTime(options.at);
  const sink = options.sink ?? new WatchingSink();
  const config = EdgeConfigSchema.parse({
    towerId: 'tower-0007',
    sensors: options.dials.map((d) => ({
      id: d.id,
      kind: d.kind,
      source: 'simulated',
      profile: 'temperature',
      enabled: !options.disabled?.includes(d.id),
    })),
    tunable:
      options.rules === false
        ? {}
        : { sensorRules: Object.fromEntries(options.dials.map((d) => [d.id, RULES])) },
  });
  const logger = options.logger ?? new CapturingLogger();
  const monitor = createTowerMonitor({
    config,
    sink,
    seq: counterSeq(),
    clock: vt,
    timers: vt,
    stateDir,
    logger,
    sources: options.dials,
  });
  return { vt, sink, monitor, logger };
}

function readState(): AlertStateFile {
  return AlertStateFileSchema.parse(JSON.parse(readFileSync(join(stateDir, OPEN_ALERTS_FILE), 'utf8')));
}

const summary = (alerts: Alert[]) => alerts.map((a) => `${a.sensorId}:${a.rule}:${a.state}:${a.severity}`);

/** First run: the dial breaches until one incident is raised, then the component stops (or dies). */
async function raiseThenStop(dial: Dial, value = 50): Promise<Alert> {
  dial.value = value;
  const run = boot({ at: T0, dials: [dial] });
  await run.monitor.start();
  await run.vt.advance(5_000);
  await run.monitor.stop();
  expect(summary(run.sink.alerts)).toEqual([
    `${dial.id}:threshold-high:raise:${value > 45 ? 'critical' : 'warning'}`,
  ]);
  return run.sink.alerts[0]!;
}

describe('open incidents across a restart', () => {
  it('restarted while raised and still breaching: nothing new is raised, the incident stays open', async () => {
    const dial = new Dial('temp-cabinet');
    const raised = await raiseThenStop(dial);
    expect(readState()).toMatchObject({
      open: [
        { alertId: raised.alertId, sensorId: 'temp-cabinet', rule: 'threshold-high', severity: 'critical' },
      ],
      unacked: [],
    });

    const run = boot({ at: T0 + 120_000, dials: [dial] });
    await run.monitor.start();
    await run.vt.advance(60_000);
    expect(run.sink.alerts).toEqual([]);
    expect(run.monitor.stats()).toMatchObject({ activeAlerts: 1, alertsRaised: 0, alertsResent: 0 });
    await run.monitor.stop();
  });

  it('restarted while raised, then the signal is back inside the band: exactly one clear, with the original alertId', async () => {
    const dial = new Dial('temp-cabinet');
    const raised = await raiseThenStop(dial, 42);

    const second = boot({ at: T0 + 60_000, dials: [dial] });
    dial.value = 39.5; // below the limit but within the hysteresis: still raised
    await second.monitor.start();
    await second.vt.advance(10_000);
    expect(second.sink.alerts).toEqual([]);
    dial.value = 38;
    await second.vt.advance(60_000);
    await second.monitor.stop();
    expect(second.sink.alerts.map((a) => [a.state, a.alertId, a.severity])).toEqual([
      ['clear', raised.alertId, 'warning'],
    ]);
    expect(AlertSchema.parse(second.sink.alerts[0])).toEqual(second.sink.alerts[0]);
    expect(readState().open).toEqual([]);

    // And it stays cleared: a third run has nothing to say.
    const third = boot({ at: T0 + 300_000, dials: [dial] });
    await third.monitor.start();
    await third.vt.advance(10_000);
    await third.monitor.stop();
    expect(third.sink.alerts).toEqual([]);
  });

  it('resumes a sensor-fault: still failing raises nothing, the first good read clears the original incident', async () => {
    const dial = new Dial('rh-cabinet', 'humidity');
    dial.value = null;
    const first = boot({ at: T0, dials: [dial], rules: false });
    await first.monitor.start();
    await first.vt.advance(5_000);
    await first.monitor.stop();
    expect(summary(first.sink.alerts)).toEqual(['rh-cabinet:sensor-fault:raise:warning']);

    const second = boot({ at: T0 + 30_000, dials: [dial], rules: false });
    await second.monitor.start();
    await second.vt.advance(20_000);
    expect(second.sink.alerts).toEqual([]);
    dial.value = 50;
    await second.vt.advance(2_000);
    await second.monitor.stop();
    expect(second.sink.alerts.map((a) => [a.rule, a.state, a.alertId])).toEqual([
      ['sensor-fault', 'clear', first.sink.alerts[0]!.alertId],
    ]);
  });

  it.each([
    ['left the configuration', { dials: [] as Dial[] }, 'sensor no longer configured'],
    ['was disabled in the configuration', { disabled: ['temp-cabinet'] }, 'sensor disabled'],
    ['lost its rule', { rules: false }, 'rule disabled'],
  ])(
    'clears at start, under the original alertId, an incident whose sensor %s',
    async (_, change, reason) => {
      const dial = new Dial('temp-cabinet');
      const raised = await raiseThenStop(dial);
      const other = new Dial('door-main', 'door');

      const startAt = T0 + 60_000;
      const run = boot({ at: startAt, dials: [dial, other], ...change });
      await run.monitor.start();
      expect(run.sink.alerts).toHaveLength(1);
      const clear = run.sink.alerts[0]!;
      expect(clear).toMatchObject({
        alertId: raised.alertId,
        state: 'clear',
        severity: 'critical',
        rule: 'threshold-high',
        sensorId: 'temp-cabinet',
        time: startAt,
        message: `temp-cabinet threshold-high cleared: ${reason} while the component was down`,
      });
      AlertSchema.parse(clear);
      expect(readState().open).toEqual([]);
      await run.vt.advance(10_000);
      await run.monitor.stop();
      expect(run.sink.alerts).toHaveLength(1);
      expect(run.monitor.stats()).toMatchObject({ activeAlerts: 0, alertsCleared: 1, alertsRaised: 0 });
    },
  );
});

describe('a crash between the state file and the sink', () => {
  it('writes the raise to disk before the sink sees it, and a restart hands it over again under the same alertId', async () => {
    const dial = new Dial('temp-cabinet');
    dial.value = 50;
    const dying = new WatchingSink();
    dying.hangIf = () => true;
    const first = boot({ at: T0, dials: [dial], sink: dying });
    await first.monitor.start();
    await first.vt.advance(5_000);
    // The process dies here: the sink took the raise but never accepted it, and stop() never runs.
    expect(summary(dying.alerts)).toEqual(['temp-cabinet:threshold-high:raise:critical']);
    const raised = dying.alerts[0]!;
    expect(dying.fileAtHandover[0]).toMatchObject({ open: [{ alertId: raised.alertId }], unacked: [raised] });

    const sink = new WatchingSink();
    const second = boot({ at: T0 + 60_000, dials: [dial], sink });
    await second.monitor.start();
    await second.vt.advance(30_000);
    expect(sink.alerts).toEqual([raised]);
    expect(second.monitor.stats()).toMatchObject({ alertsResent: 1, alertsRaised: 0, activeAlerts: 1 });
    dial.value = 20;
    await second.vt.advance(10_000);
    await second.monitor.stop();
    expect(sink.alerts.map((a) => [a.state, a.alertId])).toEqual([
      ['raise', raised.alertId],
      ['clear', raised.alertId],
    ]);
    expect(readState()).toMatchObject({ open: [], unacked: [] });
  });

  it('keeps a clear the sink never accepted and hands it over after the restart, with no incident reopened', async () => {
    const dial = new Dial('temp-cabinet');
    dial.value = 50;
    const dying = new WatchingSink();
    const first = boot({ at: T0, dials: [dial], sink: dying });
    await first.monitor.start();
    await first.vt.advance(5_000);
    dying.hangIf = () => true;
    dial.value = 20;
    await first.vt.advance(5_000);
    expect(dying.alerts.map((a) => a.state)).toEqual(['raise', 'clear']);
    const clear = dying.alerts[1]!;
    expect(dying.fileAtHandover[1]).toMatchObject({ open: [], unacked: [clear] });

    const sink = new WatchingSink();
    const second = boot({ at: T0 + 60_000, dials: [dial], sink });
    await second.monitor.start();
    await second.vt.advance(30_000);
    await second.monitor.stop();
    expect(sink.alerts).toEqual([clear]);
    expect(second.monitor.stats()).toMatchObject({ alertsResent: 1, activeAlerts: 0 });
  });

  it('does not hand over again a raise whose incident has closed since, even if the sink never accepted it', async () => {
    const x = new Dial('temp-cabinet');
    const y = new Dial('temp-battery');
    const dying = new WatchingSink();
    dying.hangIf = (a) => a.sensorId === x.id && a.state === 'raise';
    const first = boot({ at: T0, dials: [x, y], sink: dying });
    await first.monitor.start();
    x.value = 50;
    await first.vt.advance(5_000);
    x.value = 20;
    await first.vt.advance(5_000);
    y.value = 50;
    await first.vt.advance(5_000);
    expect(summary(dying.alerts)).toEqual([
      'temp-cabinet:threshold-high:raise:critical',
      'temp-cabinet:threshold-high:clear:critical',
      'temp-battery:threshold-high:raise:critical',
    ]);
    expect(readState().unacked.map((a) => a.alertId)).toContain(dying.alerts[0]!.alertId);

    const sink = new WatchingSink();
    const second = boot({ at: T0 + 60_000, dials: [x, y], sink });
    await second.monitor.start();
    await second.vt.advance(5_000);
    await second.monitor.stop();
    // A late raise after its clear would leave the alert open in the cloud for good.
    expect(sink.alerts).toEqual([dying.alerts[2]]);
  });

  it('hands over again after a restart an alert the sink refused', async () => {
    const dial = new Dial('temp-cabinet');
    dial.value = 50;
    const refusing = new WatchingSink();
    refusing.refuse = true;
    const first = boot({ at: T0, dials: [dial], sink: refusing });
    await first.monitor.start();
    await first.vt.advance(5_000);
    await first.monitor.stop();
    expect(first.monitor.stats().sinkErrors).toBe(1);
    expect(readState().unacked).toEqual(refusing.alerts);

    const sink = new WatchingSink();
    const second = boot({ at: T0 + 60_000, dials: [dial], sink });
    await second.monitor.start();
    await second.vt.advance(5_000);
    await second.monitor.stop();
    expect(sink.alerts).toEqual(refusing.alerts);
    expect(readState().unacked).toEqual([]);
  });
});

describe('an unusable state file', () => {
  it.each([
    ['truncated JSON', '{"format":1,"savedAt":', 'is not valid JSON'],
    ['an empty file', '', 'is not valid JSON'],
    [
      'a wrong shape',
      JSON.stringify({ format: 1, savedAt: T0, open: 'none', cooling: [], unacked: [] }),
      'open: ',
    ],
    [
      'a future format',
      JSON.stringify({ format: 9, savedAt: T0, open: [], cooling: [], unacked: [] }),
      'format: ',
    ],
  ])('%s: one warning, a clean start, then a good file', async (_, text, problem) => {
    const file = join(stateDir, OPEN_ALERTS_FILE);
    writeFileSync(file, text);
    const dial = new Dial('temp-cabinet');
    dial.value = 50;
    const logger = new CapturingLogger();
    const run = boot({ at: T0, dials: [dial], logger });
    await run.monitor.start();
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]!.message).toBe('open alerts file unusable; starting with no open incidents');
    expect(String(logger.warnings[0]!.extra?.error)).toContain(`${file}: ${problem}`);
    expect(readState()).toMatchObject({ open: [], unacked: [] });

    await run.vt.advance(5_000);
    await run.monitor.stop();
    expect(logger.warnings).toHaveLength(1);
    expect(summary(run.sink.alerts)).toEqual(['temp-cabinet:threshold-high:raise:critical']);
    expect(readState().open.map((i) => i.alertId)).toEqual([run.sink.alerts[0]!.alertId]);
  });
});
