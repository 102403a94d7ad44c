import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Alert, SCHEMA_VERSION, type TelemetryBatch } from '../../../protocol/index.js';
import type { Logger } from '../../../edge/src/config/index.js';
import { Detector } from '../../../edge/src/detect/index.js';
import {
  AlertJournal,
  AlertStateFileSchema,
  OPEN_ALERTS_FILE,
  UNACKED_LIMIT,
  VirtualTime,
} from '../../../edge/src/monitor/index.js';
import type { Sink } from '../../../edge/src/ports.js';

const T0 = Date.UTC(2026, 10, 23, 12);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'towerwatch-journal-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Takes every alert and accepts none: delivery is stuck. */
class StuckSink implements Sink {
  readonly alerts: Alert[] = [];
  telemetry(_batch: TelemetryBatch): Promise<void> {
    return Promise.resolve();
  }
  alert(alert: Alert): Promise<void> {
    this.alerts.push(alert);
    return new Promise<void>(() => undefined);
  }
}

function raise(i: number): Alert {
  return {
    schema: SCHEMA_VERSION,
    towerId: 'tower-0007',
    alertId: `s${i}:threshold-high:warning:${T0 + i}`,
    state: 'raise',
    severity: 'warning',
    rule: 'threshold-high',
    sensorId: `s${i}`,
    value: 50,
    threshold: 40,
    time: T0 + i,
  };
}

function journal(stateDir: string, sink: Sink, logger: Logger) {
  const clock = new VirtualTime(T0);
  return new AlertJournal({
    stateDir,
    detector: new Detector({ towerId: 'tower-0007' }),
    sink,
    logger,
    clock,
  });
}

describe('AlertJournal', () => {
  it(`keeps at most ${UNACKED_LIMIT} unaccepted alerts on disk, the newest, while a stuck sink still gets all`, () => {
    const sink = new StuckSink();
    const j = journal(dir, sink, { info: () => undefined, warn: () => undefined });
    const all = Array.from({ length: UNACKED_LIMIT + 44 }, (_, i) => raise(i));
    for (const alert of all) j.emit([alert], alert.time);
    expect(sink.alerts).toEqual(all);
    const file = AlertStateFileSchema.parse(JSON.parse(readFileSync(join(dir, OPEN_ALERTS_FILE), 'utf8')));
    expect(file.unacked).toEqual(all.slice(-UNACKED_LIMIT));
  });

  it('still hands the alert to the sink, with one warning, when the state cannot be written', () => {
    const notADir = join(dir, 'file');
    writeFileSync(notADir, 'x');
    const sink = new StuckSink();
    const warnings: string[] = [];
    const j = journal(join(notADir, 'state'), sink, {
      info: () => undefined,
      warn: (message, extra) => warnings.push(`${message} ${String(extra?.file)}`),
    });
    j.emit([raise(1)], T0 + 1);
    expect(sink.alerts).toEqual([raise(1)]);
    expect(warnings).toEqual([
      `could not save the open alerts; a restart may raise them again ${join(notADir, 'state', OPEN_ALERTS_FILE)}`,
    ]);
  });
});
