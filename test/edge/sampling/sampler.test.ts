import { describe, expect, it } from 'vitest';
import type { Sample } from '../../../edge/src/detect/index.js';
import { SensorSampler, VirtualTime } from '../../../edge/src/sampling/index.js';
import { SensorReadError, type SensorSource } from '../../../edge/src/sensors/index.js';

const T0 = Date.UTC(2026, 10, 23, 12);

/** A source whose reads take `delayMs` of (virtual) time and can be told to fail or to ignore aborts. */
function slowSource(
  vt: VirtualTime,
  opts: { delayMs: number; honourAbort?: boolean; failing?: () => boolean },
) {
  let inFlight = 0;
  let maxInFlight = 0;
  let n = 0;
  const source: SensorSource = {
    id: 'temp-cabinet',
    kind: 'temperature',
    read(signal) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const value = 20 + n++;
      return new Promise((resolve, reject) => {
        const done = () => {
          inFlight--;
        };
        vt.setTimeout(() => {
          done();
          if (opts.failing?.()) reject(new SensorReadError('temp-cabinet', 'bus error'));
          else resolve(value);
        }, opts.delayMs);
        if (opts.honourAbort !== false) {
          signal?.addEventListener('abort', () => reject(new SensorReadError('temp-cabinet', 'aborted')), {
            once: true,
          });
        }
      });
    },
  };
  return { source, maxInFlight: () => maxInFlight };
}

function collect(): { samples: Sample[]; listener: (s: Sample) => void } {
  const samples: Sample[] = [];
  return { samples, listener: (s) => samples.push(s) };
}

describe('SensorSampler', () => {
  it('keeps sampling at its interval when the wall clock steps back, stamping readings with wall time', async () => {
    const vt = new VirtualTime(T0);
    const { source } = slowSource(vt, { delayMs: 10 });
    const { samples, listener } = collect();
    const sampler = new SensorSampler(source, { intervalMs: 1000, timeoutMs: 900 }, vt, vt, listener);
    sampler.start();
    await vt.advance(5_500);
    // NTP corrects a clock that ran an hour fast.
    vt.stepWallClock(-3_600_000);
    await vt.advance(5_000);
    await sampler.stop();
    expect(samples).toHaveLength(11);
    expect(samples.map((s) => s.time - T0)).toEqual([
      0,
      1000,
      2000,
      3000,
      4000,
      5000,
      6000 - 3_600_000,
      7000 - 3_600_000,
      8000 - 3_600_000,
      9000 - 3_600_000,
      10_000 - 3_600_000,
    ]);
  });

  it('samples on a fixed grid however long each read takes', async () => {
    const vt = new VirtualTime(T0);
    const { source } = slowSource(vt, { delayMs: 370 });
    const { samples, listener } = collect();
    const sampler = new SensorSampler(source, { intervalMs: 1000, timeoutMs: 900 }, vt, vt, listener);
    sampler.start();
    await vt.advance(60_500);
    await sampler.stop();
    expect(samples).toHaveLength(61);
    expect(samples.map((s) => s.time - T0)).toEqual(Array.from({ length: 61 }, (_, i) => i * 1000));
    expect(samples.every((s) => s.value !== null && s.consecutiveFailures === 0)).toBe(true);
  });

  it('never overlaps reads: a slot during a slow read is skipped', async () => {
    const vt = new VirtualTime(T0);
    const slow = slowSource(vt, { delayMs: 2500 });
    const { samples, listener } = collect();
    const sampler = new SensorSampler(slow.source, { intervalMs: 1000, timeoutMs: 5000 }, vt, vt, listener);
    sampler.start();
    await vt.advance(10_000);
    await sampler.stop();
    expect(slow.maxInFlight()).toBe(1);
    expect(sampler.stats().skipped).toBeGreaterThan(0);
    // Reads start at 0, 3000, 6000, 9000: the next free grid slot after each 2.5 s read.
    expect(samples.map((s) => s.time - T0)).toEqual([0, 3000, 6000]);
  });

  it('reports a read slower than the timeout as a failure', async () => {
    const vt = new VirtualTime(T0);
    const { source } = slowSource(vt, { delayMs: 1500 });
    const { samples, listener } = collect();
    const sampler = new SensorSampler(source, { intervalMs: 2000, timeoutMs: 1000 }, vt, vt, listener);
    sampler.start();
    await vt.advance(5_000);
    await sampler.stop();
    expect(samples.map((s) => [s.time - T0, s.value, s.consecutiveFailures, s.error])).toEqual([
      [0, null, 1, 'read timed out after 1000 ms'],
      [2000, null, 2, 'read timed out after 1000 ms'],
      [4000, null, 3, 'read timed out after 1000 ms'],
    ]);
  });

  it('keeps reporting a read that hangs and ignores the abort, without starting another', async () => {
    const vt = new VirtualTime(T0);
    const hung = slowSource(vt, { delayMs: 1e9, honourAbort: false });
    const { samples, listener } = collect();
    const sampler = new SensorSampler(hung.source, { intervalMs: 1000, timeoutMs: 500 }, vt, vt, listener);
    sampler.start();
    await vt.advance(5_000);
    expect(hung.maxInFlight()).toBe(1);
    expect(samples.map((s) => s.consecutiveFailures)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(samples.slice(1).every((s) => s.error === 'previous read still hung')).toBe(true);
    // stop() must not wait on a source that never settles.
    await sampler.stop();
    await vt.advance(5_000);
    expect(samples).toHaveLength(6);
  });

  it('counts consecutive failures and resets them on a good read', async () => {
    const vt = new VirtualTime(T0);
    let failing = true;
    const { source } = slowSource(vt, { delayMs: 10, failing: () => failing });
    const { samples, listener } = collect();
    const sampler = new SensorSampler(source, { intervalMs: 1000, timeoutMs: 500 }, vt, vt, listener);
    sampler.start();
    await vt.advance(2_500);
    failing = false;
    await vt.advance(1_000);
    await sampler.stop();
    expect(samples.map((s) => [s.consecutiveFailures, s.error ?? 'ok'])).toEqual([
      [1, 'bus error'],
      [2, 'bus error'],
      [3, 'bus error'],
      [0, 'ok'],
    ]);
    expect(sampler.stats()).toMatchObject({ reads: 4, failures: 3, consecutiveFailures: 0 });
  });

  it('treats a non-finite value as a failed read', async () => {
    const vt = new VirtualTime(T0);
    const { samples, listener } = collect();
    const source: SensorSource = { id: 'x', kind: 'generic', read: () => Promise.resolve(Number.NaN) };
    const sampler = new SensorSampler(source, { intervalMs: 1000, timeoutMs: 500 }, vt, vt, listener);
    sampler.start();
    await vt.advance(0);
    await sampler.stop();
    expect(samples[0]).toMatchObject({ value: null, error: 'read returned NaN' });
  });

  it('moves to a new interval without a restart', async () => {
    const vt = new VirtualTime(T0);
    const { source } = slowSource(vt, { delayMs: 1 });
    const { samples, listener } = collect();
    const sampler = new SensorSampler(source, { intervalMs: 1000, timeoutMs: 500 }, vt, vt, listener);
    sampler.start();
    await vt.advance(2_000);
    sampler.reconfigure({ intervalMs: 5000, timeoutMs: 500 });
    await vt.advance(20_001);
    await sampler.stop();
    expect(samples.map((s) => s.time - T0)).toEqual([0, 1000, 2000, 7000, 12000, 17000, 22000]);
  });
});
