import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_RATE_WINDOW,
  fault,
  flatLine,
  INITIAL_FLAT_LINE,
  offline,
  type RateWindow,
  rateOfChange,
  thresholdLevel,
} from '../../../edge/src/detect/index.js';

describe('thresholdLevel', () => {
  const limits = { warning: 40, critical: 45 };

  it('grades a high value as warning or critical', () => {
    expect(thresholdLevel(39.9, limits, 'high', 1, 0).level).toBe(0);
    expect(thresholdLevel(40, limits, 'high', 1, 0).level).toBe(0);
    expect(thresholdLevel(40.1, limits, 'high', 1, 0)).toEqual({ level: 1, value: 40.1, threshold: 40 });
    expect(thresholdLevel(45.5, limits, 'high', 1, 0)).toEqual({ level: 2, value: 45.5, threshold: 45 });
  });

  it('holds a raised level until the value is back inside by the hysteresis', () => {
    expect(thresholdLevel(39.5, limits, 'high', 1, 1).level).toBe(1);
    expect(thresholdLevel(39, limits, 'high', 1, 1).level).toBe(0);
    expect(thresholdLevel(44.2, limits, 'high', 1, 2).level).toBe(2);
    expect(thresholdLevel(43.9, limits, 'high', 1, 2).level).toBe(1);
    // Hysteresis only holds a level that is already active.
    expect(thresholdLevel(39.5, limits, 'high', 1, 0).level).toBe(0);
  });

  it('mirrors for low limits', () => {
    const low = { warning: 10 };
    expect(thresholdLevel(9.9, low, 'low', 2, 0).level).toBe(1);
    expect(thresholdLevel(11.5, low, 'low', 2, 1).level).toBe(1);
    expect(thresholdLevel(12.1, low, 'low', 2, 1).level).toBe(0);
    expect(thresholdLevel(5, low, 'low', 2, 0).level).toBe(1);
  });

  it('is inactive without limits', () => {
    expect(thresholdLevel(1000, undefined, 'high', 0, 0).level).toBe(0);
  });
});

describe('rateOfChange', () => {
  const rule = { maxDelta: 5, windowMs: 60_000 };
  function feed(points: [number, number][]): {
    window: RateWindow;
    levels: number[];
    deltas: (number | null)[];
  } {
    let window = EMPTY_RATE_WINDOW;
    const levels: number[] = [];
    const deltas: (number | null)[] = [];
    for (const [t, v] of points) {
      const r = rateOfChange(window, t, v, rule);
      window = r.window;
      levels.push(r.evaluation.level);
      deltas.push(r.evaluation.value);
    }
    return { window, levels, deltas };
  }

  it('raises when the value moves more than 5 within 60 s, either direction', () => {
    const up = feed([
      [0, 20],
      [30_000, 23],
      [60_000, 25.1],
    ]);
    expect(up.levels).toEqual([0, 0, 1]);
    expect(up.deltas[2]).toBe(5.1);
    const down = feed([
      [0, 30],
      [10_000, 24.5],
    ]);
    expect(down.levels).toEqual([0, 1]);
  });

  it('does not raise for exactly the limit or for a slow drift', () => {
    expect(
      feed([
        [0, 20],
        [60_000, 25],
      ]).levels,
    ).toEqual([0, 0]);
    const slow = feed(Array.from({ length: 20 }, (_, i) => [i * 30_000, 20 + i * 2] as [number, number]));
    expect(slow.levels.every((l) => l === 0)).toBe(true);
  });

  it('forgets samples older than the window', () => {
    const r = feed([
      [0, 10],
      [60_001, 16],
    ]);
    expect(r.levels).toEqual([0, 0]);
    expect(r.window.times).toEqual([60_001]);
  });

  it('uses the configured severity', () => {
    const r = rateOfChange(EMPTY_RATE_WINDOW, 0, 1, { ...rule, severity: 'critical' });
    const r2 = rateOfChange(r.window, 1000, 10, { ...rule, severity: 'critical' });
    expect(r2.evaluation).toMatchObject({ level: 2, severity: 'critical' });
  });
});

describe('flatLine', () => {
  it('raises once the value has not moved for the window and clears when it moves', () => {
    const rule = { windowMs: 10_000, epsilon: 0.05 };
    let state = INITIAL_FLAT_LINE;
    const levels: number[] = [];
    for (const [t, v] of [
      [0, 20],
      [5_000, 20.02],
      [9_999, 20.05],
      [10_000, 20],
      [11_000, 20.2],
      [12_000, 20.2],
    ] as const) {
      const r = flatLine(state, t, v, rule);
      state = r.state;
      levels.push(r.evaluation.level);
    }
    expect(levels).toEqual([0, 0, 0, 1, 0, 0]);
  });
});

describe('offline and fault', () => {
  it('offline after the silence reaches the limit', () => {
    expect(offline(0, 299_999, 300_000).level).toBe(0);
    expect(offline(0, 300_000, 300_000)).toEqual({ level: 1, value: 300_000, threshold: 300_000 });
    expect(offline(0, 1e9, undefined).level).toBe(0);
  });

  it('fault after N consecutive failures', () => {
    expect(fault(2, 3).level).toBe(0);
    expect(fault(3, 3).level).toBe(1);
    expect(fault(0, 3).level).toBe(0);
  });
});

describe('level evaluators against brute-force references (random signals)', () => {
  const signalArb = fc.array(
    fc.record({
      dt: fc.integer({ min: 1, max: 20_000 }),
      value: fc.integer({ min: -400, max: 800 }).map((v) => v / 10),
    }),
    { minLength: 1, maxLength: 120 },
  );

  it('rateOfChange raises exactly when max − min over the window exceeds the limit', () => {
    fc.assert(
      fc.property(
        signalArb,
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1_000, max: 120_000 }),
        (signal, maxDelta, windowMs) => {
          let window = EMPTY_RATE_WINDOW;
          let t = 0;
          const seen: { t: number; v: number }[] = [];
          for (const { dt, value } of signal) {
            t += dt;
            seen.push({ t, v: value });
            const r = rateOfChange(window, t, value, { maxDelta, windowMs });
            window = r.window;
            const inWindow = seen.filter((p) => p.t >= t - windowMs).map((p) => p.v);
            const delta = Math.max(...inWindow) - Math.min(...inWindow);
            expect(r.evaluation.level).toBe(delta - maxDelta > 1e-9 ? 1 : 0);
          }
        },
      ),
    );
  });

  it('flatLine raises exactly when the value stayed within epsilon of its anchor for the window', () => {
    fc.assert(
      fc.property(signalArb, fc.integer({ min: 1_000, max: 60_000 }), (signal, windowMs) => {
        let state = INITIAL_FLAT_LINE;
        let t = 0;
        let anchor: { t: number; v: number } | undefined;
        for (const { dt, value } of signal) {
          t += dt;
          if (!anchor || anchor.v !== value) anchor = { t, v: value };
          const r = flatLine(state, t, value, { windowMs, epsilon: 0 });
          state = r.state;
          expect(r.evaluation.level).toBe(t - anchor.t >= windowMs ? 1 : 0);
        }
      }),
    );
  });
});
