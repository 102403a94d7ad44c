import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Alert, packReadings, type Reading, type TelemetryBatch } from '../../../protocol/index.js';
import type { SequenceSource } from '../../../edge/src/ports.js';

export const T0 = Date.UTC(2026, 10, 23, 12);

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `tw-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One sealed batch of `readings` readings from an 8-sensor tower, numbered by `seq`. */
export function makeBatch(towerId: string, seq: SequenceSource, readings = 64, t = T0): TelemetryBatch {
  const list: Reading[] = Array.from({ length: readings }, (_, i) => ({
    sensorId: `s-${i % 8}`,
    time: t + Math.floor(i / 8) * 1000,
    value: Math.round(Math.sin(i) * 1000) / 100,
  }));
  const [batch] = packReadings(list, { towerId, firstSeq: seq.next(), sentAt: t, maxBytes: 128 * 1024 });
  return batch!;
}

export function makeAlert(towerId: string, n: number, t = T0): Alert {
  return {
    schema: 1,
    towerId,
    alertId: `alert-${n}`,
    state: 'raise',
    severity: 'critical',
    rule: 'threshold-high',
    sensorId: 's-0',
    value: 50 + n,
    threshold: 45,
    time: t,
  };
}

/** Polls until `check` holds; tests wait for conditions, never for fixed times. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
