import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Alert, AlertSchema, type ConfigShadowState, type SensorKind } from '../../../protocol/index.js';
import {
  Detector,
  type DetectorSnapshot,
  DetectorSnapshotSchema,
  type Sample,
  type SensorPresence,
} from '../../../edge/src/detect/index.js';

const T0 = Date.UTC(2026, 10, 23, 12);
const S = 1000;

/** Feeds values one second apart from `fromS`; failures count from the first null, as a fresh sampler counts them. */
function feed(d: Detector, id: string, kind: SensorKind, values: (number | null)[], fromS: number): Alert[] {
  const out: Alert[] = [];
  let failures = 0;
  values.forEach((value, i) => {
    failures = value === null ? failures + 1 : 0;
    const sample: Sample = {
      sensorId: id,
      kind,
      time: T0 + (fromS + i) * S,
      value,
      consecutiveFailures: failures,
    };
    out.push(...d.evaluate(sample));
  });
  return out;
}

/** What a file round trip gives back: JSON, validated by the schema the monitor loads it with. */
function throughDisk(snapshot: DetectorSnapshot): DetectorSnapshot {
  return DetectorSnapshotSchema.parse(JSON.parse(JSON.stringify(snapshot)));
}

function restarted(
  snapshot: DetectorSnapshot,
  atS: number,
  tunable: ConfigShadowState = {},
  presence: (id: string) => SensorPresence = (id) => ({ kind: kindOf(snapshot, id) }),
): { detector: Detector; clears: Alert[] } {
  const detector = new Detector({ towerId: 'tower-1', tunable });
  const clears = detector.restore(throughDisk(snapshot), T0 + atS * S, presence);
  return { detector, clears };
}

function kindOf(snapshot: DetectorSnapshot, id: string): SensorKind {
  return [...snapshot.open, ...snapshot.cooling].find((x) => x.sensorId === id)!.kind;
}

const of = (alerts: Alert[], rule: Alert['rule']) => alerts.filter((a) => a.rule === rule);

describe('Detector snapshot and restore', () => {
  it('holds a debounced threshold incident whose value still breaches after a restart', () => {
    const before = new Detector({ towerId: 'tower-1' });
    const raised = of(feed(before, 't', 'temperature', [50, 50], 0), 'threshold-high');
    expect(raised.map((a) => `${a.state}:${a.severity}`)).toEqual(['raise:critical']);
    const { detector } = restarted(before.snapshot(raised[0]!.time), 30);
    expect(feed(detector, 't', 'temperature', [48, 44.5, 46, 45], 30)).toEqual([]);
    expect(detector.active()).toEqual([
      { sensorId: 't', rule: 'threshold-high', severity: 'critical', raisedAt: raised[0]!.time },
    ]);
  });

  it('keeps a stuck sensor stuck across a restart: no second flat-line, one clear under the first alertId', () => {
    const tunable: ConfigShadowState = { sensorRules: { t: { flatLine: { windowMs: 60_000 } } } };
    const before = new Detector({ towerId: 'tower-1', tunable });
    const raised = of(feed(before, 't', 'temperature', Array(61).fill(21.5), 0), 'flat-line');
    expect(raised.map((a) => a.state)).toEqual(['raise']);
    const { detector, clears } = restarted(before.snapshot(raised[0]!.time), 90, tunable);
    expect(clears).toEqual([]);
    expect(feed(detector, 't', 'temperature', Array(120).fill(21.5), 90)).toEqual([]);
    const after = feed(detector, 't', 'temperature', [21.9], 210);
    expect(after.map((a) => [a.rule, a.state, a.alertId])).toEqual([
      ['flat-line', 'clear', raised[0]!.alertId],
    ]);
  });

  it('keeps counting silence and failed reads from before the restart (sensor-offline, sensor-fault)', () => {
    const before = new Detector({ towerId: 'tower-1' });
    const raised = feed(before, 'door', 'door', [1, ...Array<null>(300).fill(null)], 0);
    expect(raised.map((a) => `${a.rule}:${a.state}`)).toEqual(['sensor-fault:raise', 'sensor-offline:raise']);
    const { detector } = restarted(before.snapshot(raised[1]!.time), 400);
    // A restarted sampler counts failures from one again; the fault must hold all the same.
    expect(feed(detector, 'door', 'door', Array<null>(30).fill(null), 400)).toEqual([]);
    expect(
      detector
        .active()
        .map((a) => a.rule)
        .sort(),
    ).toEqual(['sensor-fault', 'sensor-offline']);
    const cleared = feed(detector, 'door', 'door', [0], 430);
    expect(cleared.map((a) => [a.state, a.alertId]).sort()).toEqual(
      raised.map((a) => ['clear', a.alertId]).sort(),
    );
  });

  it('remembers the rate-of-change window: a jump just before the restart still holds, then clears once', () => {
    const before = new Detector({ towerId: 'tower-1' });
    const ramp = Array.from({ length: 31 }, (_, i) => 23 + (i * 10) / 30);
    const raised = of(feed(before, 't', 'temperature', ramp, 0), 'rate-of-change');
    expect(raised.map((a) => a.state)).toEqual(['raise']);
    const { detector } = restarted(before.snapshot(raised[0]!.time), 40);
    const after = feed(detector, 't', 'temperature', Array(60).fill(33), 40);
    expect(after.map((a) => [a.rule, a.state, a.alertId])).toEqual([
      ['rate-of-change', 'clear', raised[0]!.alertId],
    ]);
    // Cleared once the ramp's low start left the 60 s window, not at the first sample after the restart.
    expect(after[0]!.time).toBeGreaterThan(T0 + 60 * S);
  });

  it('carries a cooldown over a restart', () => {
    const tunable: ConfigShadowState = { sensorRules: { g: { high: { warning: 40 }, cooldownMs: 60_000 } } };
    const before = new Detector({ towerId: 'tower-1', tunable });
    const alerts = feed(before, 'g', 'generic', [50, 20], 0);
    expect(alerts.map((a) => a.state)).toEqual(['raise', 'clear']);
    const snapshot = before.snapshot(alerts[1]!.time);
    expect(snapshot.cooling).toEqual([
      { sensorId: 'g', kind: 'generic', rule: 'threshold-high', clearedAt: alerts[1]!.time },
    ]);
    const { detector } = restarted(snapshot, 10, tunable);
    expect(feed(detector, 'g', 'generic', Array(50).fill(50), 10)).toEqual([]);
    expect(feed(detector, 'g', 'generic', [50], 61).map((a) => a.state)).toEqual(['raise']);
  });

  it('closes at once, with the original alertId and why, an incident whose sensor or rule is gone', () => {
    const tunable: ConfigShadowState = { sensorRules: { g: { high: { warning: 40 } } } };
    const before = new Detector({ towerId: 'tower-1', tunable });
    const raised = [
      ...feed(before, 'g', 'generic', [50], 0),
      ...feed(before, 'rh', 'humidity', [95, 95], 0),
      ...feed(before, 'v', 'voltage', [40, 40], 0),
    ];
    expect(raised).toHaveLength(3);
    const snapshot = before.snapshot(T0 + 2 * S);
    // rh left the configuration, v is now a generic sensor, and g lost its tunable threshold.
    const presence = (id: string): SensorPresence =>
      id === 'rh' ? { absent: 'sensor no longer configured' } : { kind: 'generic' };
    const { detector, clears } = restarted(snapshot, 100, {}, presence);
    const byId = new Map(raised.map((a) => [a.sensorId, a]));
    expect(clears.map((c) => [c.sensorId, c.alertId, c.severity, c.state, c.time])).toEqual(
      ['g', 'rh', 'v'].map((id) => [
        id,
        byId.get(id)!.alertId,
        byId.get(id)!.severity,
        'clear',
        T0 + 100 * S,
      ]),
    );
    expect(clears.map((c) => c.message)).toEqual([
      'g threshold-high cleared: rule disabled while the component was down',
      'rh threshold-high cleared: sensor no longer configured while the component was down',
      'v threshold-low cleared: sensor is now a generic sensor while the component was down',
    ]);
    for (const c of clears) AlertSchema.parse(c);
    expect(detector.active()).toEqual([]);
  });

  it('refuses a snapshot that is not one (wrong field types, unknown rule)', () => {
    expect(DetectorSnapshotSchema.safeParse({ open: [{ alertId: 'x' }], cooling: [] }).success).toBe(false);
    const valid = new Detector({ towerId: 'tower-1' });
    feed(valid, 't', 'temperature', [50, 50], 0);
    const snap = JSON.parse(JSON.stringify(valid.snapshot(T0 + S)));
    expect(DetectorSnapshotSchema.parse(snap)).toEqual(snap);
    snap.open[0].rule = 'tower-offline';
    expect(DetectorSnapshotSchema.safeParse(snap).success).toBe(false);
  });
});

/**
 * The snapshot a monitor would have on disk at `split`: taken after the last sample that caused a
 * transition, as the monitor writes it then and only then.
 */
function runUntil(
  d: Detector,
  id: string,
  kind: SensorKind,
  values: (number | null)[],
): { alerts: Alert[]; onDisk: DetectorSnapshot } {
  const alerts: Alert[] = [];
  let onDisk: DetectorSnapshot = { open: [], cooling: [] };
  let failures = 0;
  values.forEach((value, i) => {
    failures = value === null ? failures + 1 : 0;
    const time = T0 + i * S;
    const out = d.evaluate({ sensorId: id, kind, time, value, consecutiveFailures: failures });
    if (out.length) onDisk = throughDisk(d.snapshot(time));
    alerts.push(...out);
  });
  return { alerts, onDisk };
}

function expectRaiseOnceClearOnce(alerts: Alert[]): void {
  const open = new Map<string, Alert>();
  const raisedIds = new Set<string>();
  for (const a of alerts) {
    const key = `${a.sensorId}:${a.rule}`;
    if (a.state === 'raise') {
      expect(open.has(key), `second raise of ${key} while ${open.get(key)?.alertId} is open`).toBe(false);
      expect(raisedIds.has(a.alertId)).toBe(false);
      raisedIds.add(a.alertId);
      open.set(key, a);
    } else {
      expect(open.get(key)?.alertId, `clear of ${a.alertId}`).toBe(a.alertId);
      open.delete(key);
    }
  }
  expect([...open.keys()]).toEqual([]);
}

describe('Detector restart properties', () => {
  it('without debounce, a restart at any point changes no threshold alert at all', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -20, max: 90, noNaN: true }), { minLength: 1, maxLength: 120 }),
        fc.nat(),
        fc.record({
          warning: fc.integer({ min: 20, max: 50 }),
          gap: fc.integer({ min: 0, max: 15 }),
          low: fc.integer({ min: -10, max: 15 }),
          hysteresis: fc.double({ min: 0, max: 5, noNaN: true }),
          cooldownMs: fc.integer({ min: 0, max: 30_000 }),
        }),
        (values, splitAt, p) => {
          const tunable: ConfigShadowState = {
            sensorRules: {
              s: {
                high: { warning: p.warning, critical: p.warning + p.gap },
                low: { warning: p.low },
                hysteresis: p.hysteresis,
                cooldownMs: p.cooldownMs,
              },
            },
          };
          const split = splitAt % (values.length + 1);
          const reference = new Detector({ towerId: 'tower-1', tunable });
          const expected = feed(reference, 's', 'generic', values, 0);

          const before = new Detector({ towerId: 'tower-1', tunable });
          const { alerts, onDisk } = runUntil(before, 's', 'generic', values.slice(0, split));
          const { detector, clears } = restarted(onDisk, split, tunable, () => ({ kind: 'generic' }));
          const after = feed(detector, 's', 'generic', values.slice(split), split);
          expect([...alerts, ...clears, ...after]).toEqual(expected);
        },
      ),
    );
  });

  it('for any signal with failed reads and any restart point, every incident is raised once and cleared once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: -10, max: 70, noNaN: true }), { freq: 6 }), { maxLength: 150 }),
        fc.nat(),
        fc.integer({ min: 0, max: 600 }),
        (values, splitAt, downtimeS) => {
          const split = splitAt % (values.length + 1);
          const before = new Detector({ towerId: 'tower-1' });
          const { alerts, onDisk } = runUntil(before, 't', 'temperature', values.slice(0, split));
          const resumeAtS = split + downtimeS;
          const { detector, clears } = restarted(onDisk, resumeAtS, {}, () => ({ kind: 'temperature' }));
          // Back to normal long enough for every rule (the 60 s rate-of-change window included) to settle.
          const tail = [...values.slice(split), ...Array<number>(70).fill(25)];
          const after = feed(detector, 't', 'temperature', tail, resumeAtS);
          expectRaiseOnceClearOnce([...alerts, ...clears, ...after]);
          expect(detector.active()).toEqual([]);
        },
      ),
    );
  });
});
