import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  debouncedLevel,
  INITIAL_TRACKER,
  type Level,
  stepTracker,
  type TrackerOptions,
  type Transition,
} from '../../../edge/src/detect/index.js';

function run(levels: Level[], options: TrackerOptions, stepMs = 1000): { time: number; t: Transition }[] {
  let state = INITIAL_TRACKER;
  const out: { time: number; t: Transition }[] = [];
  levels.forEach((level, i) => {
    const r = stepTracker(state, level, i * stepMs, options);
    state = r.state;
    for (const t of r.transitions) out.push({ time: i * stepMs, t });
  });
  return out;
}

describe('debouncedLevel', () => {
  it('is the highest level reached by k samples', () => {
    expect(debouncedLevel([1, 0, 1], 2)).toBe(1);
    expect(debouncedLevel([2, 1, 0], 2)).toBe(1);
    expect(debouncedLevel([2, 2, 0], 2)).toBe(2);
    expect(debouncedLevel([2, 0, 0], 2)).toBe(0);
  });
});

describe('stepTracker', () => {
  const options = { k: 2, n: 3, cooldownMs: 0 };

  it('raises only after k of n samples breach', () => {
    expect(run([1, 0, 0, 1, 0, 0], options)).toEqual([]);
    const r = run([1, 0, 1], options);
    expect(r).toEqual([{ time: 2000, t: { state: 'raise', level: 1, raisedAt: 2000 } }]);
  });

  it('raises once and clears once', () => {
    const r = run([1, 1, 1, 1, 1, 0, 0, 0, 0], options);
    expect(r.map((x) => x.t.state)).toEqual(['raise', 'clear']);
    expect(r[1]).toEqual({ time: 6000, t: { state: 'clear', level: 1, raisedAt: 1000 } });
  });

  it('escalates by closing the warning incident and opening a critical one at the same time', () => {
    const r = run([1, 1, 2, 2, 0, 0, 0], options);
    expect(r.map((x) => [x.time, x.t.state, x.t.level])).toEqual([
      [1000, 'raise', 1],
      [3000, 'clear', 1],
      [3000, 'raise', 2],
      [5000, 'clear', 2],
    ]);
  });

  it('stays quiet during the cooldown and raises after it if the breach persists', () => {
    const r = run([1, 0, 1, 1, 1, 1, 1, 1], { k: 1, n: 1, cooldownMs: 3000 });
    expect(r.map((x) => [x.time, x.t.state])).toEqual([
      [0, 'raise'],
      [1000, 'clear'],
      [4000, 'raise'],
    ]);
  });
});

const levelArb = fc.constantFrom<Level>(0, 1, 2);
const optionsArb = fc
  .record({
    k: fc.integer({ min: 1, max: 5 }),
    extra: fc.integer({ min: 0, max: 5 }),
    cooldownMs: fc.integer({ min: 0, max: 20_000 }),
  })
  .map(({ k, extra, cooldownMs }) => ({ k, n: k + extra, cooldownMs }));

describe('stepTracker properties', () => {
  it('raises and clears alternate, and a clear closes the incident its raise opened', () => {
    fc.assert(
      fc.property(fc.array(levelArb, { maxLength: 300 }), optionsArb, (levels, options) => {
        let open: Transition | undefined;
        for (const { t } of run(levels, options)) {
          if (t.state === 'raise') {
            expect(open).toBeUndefined();
            open = t;
          } else {
            expect(open).toBeDefined();
            expect(t.raisedAt).toBe(open!.raisedAt);
            expect(t.level).toBe(open!.level);
            open = undefined;
          }
        }
      }),
    );
  });

  it('never raises within the cooldown after a clear, except to change level at the same instant', () => {
    fc.assert(
      fc.property(fc.array(levelArb, { maxLength: 300 }), optionsArb, (levels, options) => {
        let lastClear: number | undefined;
        for (const { time, t } of run(levels, options)) {
          if (t.state === 'clear') lastClear = time;
          else if (lastClear !== undefined && lastClear !== time) {
            expect(time - lastClear).toBeGreaterThanOrEqual(options.cooldownMs);
          }
        }
      }),
    );
  });

  it('every raise is cleared once the signal stays inside the limits for n samples', () => {
    fc.assert(
      fc.property(fc.array(levelArb, { maxLength: 300 }), optionsArb, (levels, options) => {
        const quiet: Level[] = Array(options.n).fill(0);
        const transitions = run([...levels, ...quiet], options);
        const raises = transitions.filter((x) => x.t.state === 'raise').length;
        const clears = transitions.filter((x) => x.t.state === 'clear').length;
        expect(raises).toBe(clears);
      }),
    );
  });
});
