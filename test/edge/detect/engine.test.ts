import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Alert, AlertSchema, type DetectionRules, type SensorKind } from '../../../protocol/index.js';
import { Detector, resolveRules, type Sample } from '../../../edge/src/detect/index.js';

const T0 = Date.UTC(2026, 10, 23, 12);

function sample(sensorId: string, kind: SensorKind, i: number, value: number | null, failures = 0): Sample {
  return { sensorId, kind, time: T0 + i * 1000, value, consecutiveFailures: failures };
}

function feed(
  detector: Detector,
  sensorId: string,
  kind: SensorKind,
  values: (number | null)[],
  from = 0,
): Alert[] {
  const alerts: Alert[] = [];
  let failures = 0;
  values.forEach((v, i) => {
    failures = v === null ? failures + 1 : 0;
    alerts.push(...detector.evaluate(sample(sensorId, kind, from + i, v, failures)));
  });
  return alerts;
}

describe('Detector with the default rules', () => {
  it('raises a critical temperature once, with a valid alert, and clears it under the hysteresis', () => {
    const d = new Detector({ towerId: 'tower-1' });
    const values = [25, 25, 50, 50, 50, 50, 44.5, 44.5, 30, 30, 30];
    const alerts = feed(d, 'temp-cabinet', 'temperature', values).filter((a) => a.rule === 'threshold-high');
    expect(alerts.map((a) => [a.state, a.severity, a.time - T0])).toEqual([
      ['raise', 'critical', 3000],
      ['clear', 'critical', 9000],
    ]);
    for (const a of alerts) expect(AlertSchema.parse(a)).toEqual(a);
    expect(alerts[0]!.alertId).toBe(alerts[1]!.alertId);
    // The id names the tower too: two towers never share an incident id.
    expect(alerts[0]!.alertId.startsWith('tower-1:temp-cabinet:')).toBe(true);
    const longest = new Detector({ towerId: 't'.repeat(64) });
    const long = feed(longest, 's'.repeat(64), 'temperature', values).filter(
      (x) => x.rule === 'threshold-high',
    );
    for (const x of long) expect(AlertSchema.parse(x)).toEqual(x);
    expect(alerts[0]).toMatchObject({
      towerId: 'tower-1',
      sensorId: 'temp-cabinet',
      value: 50,
      threshold: 45,
    });
  });

  it('escalates warning to critical as a new incident', () => {
    const d = new Detector({ towerId: 'tower-1' });
    const alerts = feed(d, 't', 'temperature', [41, 41, 41, 46, 46, 46]).filter(
      (a) => a.rule === 'threshold-high',
    );
    expect(alerts.map((a) => `${a.state}:${a.severity}`)).toEqual([
      'raise:warning',
      'clear:warning',
      'raise:critical',
    ]);
    expect(alerts[2]!.alertId).not.toBe(alerts[0]!.alertId);
  });

  it('raises rate-of-change for a ramp faster than 5 °C / 60 s but not for the normal daily swing', () => {
    const d = new Detector({ towerId: 'tower-1' });
    const slow = Array.from({ length: 300 }, (_, i) => 20 + i * 0.01);
    expect(feed(d, 't', 'temperature', slow).filter((a) => a.rule === 'rate-of-change')).toEqual([]);
    const ramp = Array.from({ length: 60 }, (_, i) => 23 + (i * 10) / 60);
    const alerts = feed(d, 't', 'temperature', ramp, 300).filter((a) => a.rule === 'rate-of-change');
    expect(alerts.map((a) => a.state)).toEqual(['raise']);
    expect(alerts[0]!.value).toBeGreaterThan(5);
  });

  it('raises humidity above 85 and below 10 %RH', () => {
    const d = new Detector({ towerId: 'tower-1' });
    const high = feed(d, 'rh', 'humidity', [50, 90, 90, 90]);
    expect(high.map((a) => `${a.rule}:${a.state}:${a.severity}`)).toEqual(['threshold-high:raise:warning']);
    const low = feed(d, 'rh2', 'humidity', [50, 5, 5]);
    expect(low.map((a) => `${a.rule}:${a.state}`)).toEqual(['threshold-low:raise']);
  });

  it('raises sensor-fault after 3 failed reads and clears on the next good one', () => {
    const d = new Detector({ towerId: 'tower-1' });
    const alerts = feed(d, 'v', 'voltage', [53.6, null, null, null, null, 53.6]);
    expect(alerts.map((a) => [a.rule, a.state, a.time - T0])).toEqual([
      ['sensor-fault', 'raise', 3000],
      ['sensor-fault', 'clear', 5000],
    ]);
  });

  it('raises sensor-offline when no good reading arrived for 5 minutes', () => {
    const d = new Detector({ towerId: 'tower-1' });
    const values = [20, ...Array<null>(301).fill(null), 20];
    const offline = feed(d, 't', 'door', values).filter((a) => a.rule === 'sensor-offline');
    expect(offline.map((a) => [a.state, a.time - T0])).toEqual([
      ['raise', 300_000],
      ['clear', 302_000],
    ]);
  });

  it('raises flat-line for a stuck sensor', () => {
    const d = new Detector({
      towerId: 'tower-1',
      tunable: { sensorRules: { t: { flatLine: { windowMs: 60_000 } } } },
    });
    const alerts = feed(d, 't', 'temperature', Array(70).fill(21.5)).filter((a) => a.rule === 'flat-line');
    expect(alerts.map((a) => [a.state, a.time - T0])).toEqual([['raise', 60_000]]);
    expect(feed(d, 't', 'temperature', [21.6], 70).map((a) => `${a.rule}:${a.state}`)).toEqual([
      'flat-line:clear',
    ]);
  });

  it('applies new rules to open incidents: raising a limit above the value clears the alert', () => {
    const d = new Detector({ towerId: 'tower-1' });
    expect(feed(d, 't', 'temperature', [42, 42]).map((a) => a.state)).toEqual(['raise']);
    d.setTunable({ rules: { temperature: { high: { warning: 50 } } } });
    const after = feed(d, 't', 'temperature', [42, 42, 42], 2).filter((a) => a.rule === 'threshold-high');
    expect(after.map((a) => a.state)).toEqual(['clear']);
    expect(d.active()).toEqual([]);
  });
});

describe('resolveRules', () => {
  it('layers health defaults, kind defaults, kind overrides and sensor overrides field by field', () => {
    const rules = resolveRules('temp-battery', 'temperature', {
      rules: { temperature: { high: { warning: 38 }, cooldownMs: 5000 } },
      sensorRules: { 'temp-battery': { high: { critical: 42 } } },
    });
    expect(rules.high).toEqual({ warning: 38, critical: 42 });
    expect(rules.cooldownMs).toBe(5000);
    expect(rules.faultAfter).toBe(3);
    expect(rules.rateOfChange).toEqual({ maxDelta: 5, windowMs: 60_000 });
    expect(resolveRules('door', 'door', {}).high).toBeUndefined();
  });
});

describe('Detector properties (threshold with hysteresis, debounce and cooldown)', () => {
  it('for any signal, raises and clears alternate and all clear once the signal is back inside the band', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -20, max: 90, noNaN: true }), { maxLength: 200 }),
        fc.record({
          warning: fc.integer({ min: 20, max: 50 }),
          gap: fc.integer({ min: 0, max: 15 }),
          hysteresis: fc.double({ min: 0, max: 5, noNaN: true }),
          k: fc.integer({ min: 1, max: 4 }),
          extra: fc.integer({ min: 0, max: 4 }),
          cooldownMs: fc.integer({ min: 0, max: 30_000 }),
        }),
        (values, p) => {
          const rules: DetectionRules = {
            high: { warning: p.warning, critical: p.warning + p.gap },
            hysteresis: p.hysteresis,
            debounce: { k: p.k, n: p.k + p.extra },
            cooldownMs: p.cooldownMs,
          };
          const d = new Detector({ towerId: 't', tunable: { sensorRules: { s: rules } } });
          const inside = Array(p.k + p.extra).fill(p.warning - p.hysteresis - 1);
          const alerts = feed(d, 's', 'generic', [...values, ...inside]).filter(
            (a) => a.rule === 'threshold-high',
          );
          let open: Alert | undefined;
          let lastClear: number | undefined;
          for (const a of alerts) {
            if (a.state === 'raise') {
              expect(open).toBeUndefined();
              if (lastClear !== undefined && lastClear !== a.time) {
                expect(a.time - lastClear).toBeGreaterThanOrEqual(p.cooldownMs);
              }
              open = a;
            } else {
              expect(open?.alertId).toBe(a.alertId);
              lastClear = a.time;
              open = undefined;
            }
          }
          expect(open).toBeUndefined();
          expect(d.active()).toEqual([]);
        },
      ),
    );
  });
});
