import { describe, expect, it } from 'vitest';
import { type Alert, packReadings, type Reading } from '../../../protocol/index.js';
import { FleetView, type PipelineProbe } from '../../../local/stack/fleet-view.js';
import { summaryLine } from '../../../local/stack/summary.js';

const T0 = Date.UTC(2026, 10, 23, 12);

function probe(over: Partial<Record<keyof PipelineProbe, number>> = {}): PipelineProbe & { stored: number } {
  const p = {
    stored: 0,
    readingsStored: () => p.stored,
    quarantined: () => over.quarantined ?? 0,
    alertsSuppressed: () => over.alertsSuppressed ?? 0,
    streamLagMs: () => over.streamLagMs ?? 0,
    backlogMessages: () => over.backlogMessages ?? 0,
  };
  return p;
}

const alert = (state: 'raise' | 'clear', alertId = 'a1'): Alert => ({
  schema: 1,
  towerId: 't1',
  alertId,
  state,
  severity: 'critical',
  rule: 'threshold-high',
  sensorId: 'temp',
  value: 50,
  threshold: 45,
  time: T0,
});

describe('FleetView', () => {
  it('keeps the latest value and a sparkline per sensor from telemetry, in sample order', () => {
    let now = T0;
    const view = new FleetView(['t1', 't2'], probe(), () => now);
    const readings: Reading[] = [
      { sensorId: 'temp', time: T0 + 2000, value: 22 },
      { sensorId: 'temp', time: T0 + 1000, value: 21 },
      { sensorId: 'rh', time: T0 + 1000, value: null },
    ];
    const [batch] = packReadings(readings, { towerId: 't1', firstSeq: 1, sentAt: T0 + 2000 });
    view.onDeviceMessage('t1', 'telemetry', batch);
    now = T0 + 3000;
    const t1 = view.snapshot().towers.find((t) => t.towerId === 't1')!;
    expect(t1.latest.temp).toEqual({ value: 22, time: T0 + 2000 });
    expect(t1.latest.rh).toEqual({ value: null, time: T0 + 1000 });
    expect(t1.spark.temp).toEqual([22, 21]);
    expect(t1.spark.rh).toBeUndefined();
    expect(view.snapshot().towers.map((t) => t.towerId)).toEqual(['t1', 't2']);
  });

  it('tracks raises and clears by alert id and counts raises', () => {
    const view = new FleetView(['t1'], probe(), () => T0);
    view.onDeviceMessage('t1', 'alert', alert('raise'));
    view.onDeviceMessage('t1', 'alert', alert('raise', 'a2'));
    expect(view.snapshot().towers[0]!.activeAlerts.map((a) => a.alertId)).toEqual(['a1', 'a2']);
    view.onDeviceMessage('t1', 'alert', alert('clear'));
    expect(view.snapshot().towers[0]!.activeAlerts.map((a) => a.alertId)).toEqual(['a2']);
    expect(view.counters().alertsRaised).toBe(2);
  });

  it('skips a malformed device message without touching what it shows', () => {
    const view = new FleetView(['t1'], probe(), () => T0);
    expect(() => view.onDeviceMessage('t1', 'telemetry', { schema: 1, towerId: 't1', seq: 'x' })).toThrow();
    expect(view.snapshot().towers[0]!.latest).toEqual({});
  });

  it('rates readings by sample time over complete seconds, not by when batches arrive', () => {
    let now = T0;
    const p = probe();
    const view = new FleetView(['t1'], p, () => now);
    // 8 readings a second for 60 s, delivered as six 10-second bursts.
    for (let burst = 0; burst < 6; burst++) {
      const readings: Reading[] = [];
      for (let s = burst * 10; s < burst * 10 + 10; s++) {
        for (let k = 0; k < 8; k++) readings.push({ sensorId: `s${k}`, time: T0 + s * 1000, value: k });
      }
      for (const b of packReadings(readings, { towerId: 't1', firstSeq: burst * 10, sentAt: T0 })) {
        view.onDeviceMessage('t1', 'telemetry', b);
      }
    }
    now = T0 + 60_000;
    expect(view.counters().readingsInPerSec).toBeCloseTo(8, 5);
    p.stored = 0;
    view.counters();
    now += 30_000;
    p.stored = 240;
    expect(view.counters().readingsStoredPerSec).toBeCloseTo(8, 5);
  });

  it('shows the input rate as soon as the first batches are in, counting only seconds every tower has sent', () => {
    let now = T0;
    const view = new FleetView(['t1', 't2'], probe(), () => now);
    const send = (towerId: string, fromS: number, toS: number) => {
      const readings: Reading[] = [];
      for (let s = fromS; s < toS; s++) {
        for (let k = 0; k < 4; k++) readings.push({ sensorId: `s${k}`, time: T0 + s * 1000, value: k });
      }
      for (const b of packReadings(readings, { towerId, firstSeq: fromS, sentAt: now })) {
        view.onDeviceMessage(towerId, 'telemetry', b);
      }
    };
    now = T0 + 10_500;
    send('t1', 0, 10);
    // t2 has sent nothing yet: only t1 counts, 4 a second over its complete seconds.
    expect(view.counters().readingsInPerSec).toBeCloseTo(4, 5);
    send('t2', 0, 5);
    // Up to second 4 both towers are complete: 8 a second; t1's seconds 5-9 wait for t2.
    expect(view.counters().readingsInPerSec).toBeCloseTo(8, 5);
    // A tower silent for over a minute stops holding the window back.
    now = T0 + 66_000;
    send('t1', 10, 65);
    expect(view.counters().readingsInPerSec).toBeCloseTo(4, 5);
  });

  it('counts notifications and the pipeline figures from its probe', () => {
    const view = new FleetView(
      ['t1'],
      probe({ quarantined: 2, alertsSuppressed: 1, streamLagMs: 40, backlogMessages: 7 }),
      () => T0,
    );
    view.setOnline('t1', true);
    view.onNotification({ time: T0, subject: 'x' });
    expect(view.counters()).toMatchObject({
      towersOnline: 1,
      alertsNotified: 1,
      alertsSuppressed: 1,
      quarantined: 2,
      streamLagMs: 40,
      backlogMessages: 7,
    });
    expect(view.snapshot().notifications).toEqual([{ time: T0, subject: 'x' }]);
  });
});

describe('summaryLine', () => {
  it('says what runs in one line, naming held-back alerts and quarantine only when there are some', () => {
    const base = {
      towersOnline: 9,
      readingsInPerSec: 79.6,
      readingsStoredPerSec: 80.2,
      readingsStored: 12345,
      alertsRaised: 3,
      alertsNotified: 2,
      alertsSuppressed: 0,
      streamLagMs: 120,
      backlogMessages: 4,
      quarantined: 0,
    };
    expect(summaryLine(base, 10, 83_000)).toBe(
      '[01:23] towers 9/10 online · readings/s in 80 stored 80 (12,345 total) · alerts 3 raised 2 notified · stream lag 120 ms · backlog 4 msgs',
    );
    const line = summaryLine({ ...base, alertsSuppressed: 1, quarantined: 5 }, 10, 0);
    expect(line).toContain('2 notified (1 held back as repeats)');
    expect(line).toMatch(/quarantined 5$/);
  });
});
