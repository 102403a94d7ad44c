import {
  appendFileSync,
  closeSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAlert, decodeStatus, decodeTelemetry } from '../../../protocol/index.js';
import { DurableBuffer, listSegments, SEQ_RESERVATION, segmentPath } from '../../../edge/src/buffer/index.js';
import { buildStatus } from '../../../edge/src/delivery/index.js';
import { makeAlert, makeBatch, T0, tempDir } from './helpers.js';

const TOWER = 'tower-b1';
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

async function openBuffer(dir: string, extra: { maxBytes?: number; segmentBytes?: number } = {}) {
  return DurableBuffer.open({ dir, maxBytes: 64 * 1024 * 1024, fsyncWindowMs: 5, ...extra });
}

/**
 * What a process death leaves: the kernel closes its files and frees its directory lock, but the
 * clean release of the seq reservation never runs.
 */
async function dieWithoutRelease(buffer: DurableBuffer): Promise<void> {
  await Promise.all([buffer.alerts.close(), buffer.telemetryLane.close()]);
  await (buffer as unknown as { lock: { release(): Promise<void> } }).lock.release();
}

async function drainLane(buffer: DurableBuffer, lane: 'alerts' | 'telemetry') {
  const out = [];
  for (;;) {
    const records = await buffer.lane(lane).take(100, 1024 * 1024);
    if (!records.length) return out;
    out.push(...records);
  }
}

describe('DurableBuffer', () => {
  it('stores, hands out in order, and resumes after the acknowledged prefix on reopen', async () => {
    const t = tempDir('buf');
    cleanup = t.cleanup;
    let buffer = await openBuffer(t.dir, { segmentBytes: 4096 });
    const batches = Array.from({ length: 30 }, () => makeBatch(TOWER, buffer.seq));
    await Promise.all(batches.map((b) => buffer.telemetry(b)));
    await buffer.alert(makeAlert(TOWER, 1));
    expect(listSegments(join(t.dir, 'telemetry')).length).toBeGreaterThan(3);

    const taken = await drainLane(buffer, 'telemetry');
    expect(taken.map((r) => r.seq)).toEqual(batches.map((b) => b.seq));
    expect(decodeTelemetry(taken[0]!.payload)[0]).toEqual(batches[0]);
    // Acknowledge out of order: only the contiguous prefix (first 10) counts as delivered.
    buffer.telemetryLane.ack(taken.slice(12, 20));
    buffer.telemetryLane.ack(taken.slice(0, 10));
    expect(buffer.stats().telemetry.depthMessages).toBe(20);
    await buffer.close();

    buffer = await openBuffer(t.dir, { segmentBytes: 4096 });
    const again = await drainLane(buffer, 'telemetry');
    expect(again.map((r) => r.seq)).toEqual(batches.slice(10).map((b) => b.seq));
    const alerts = await drainLane(buffer, 'alerts');
    expect(decodeAlert(alerts[0]!.payload).alertId).toBe('alert-1');
    // seq continues above everything handed out before the restart.
    expect(makeBatch(TOWER, buffer.seq).seq).toBe(batches.at(-1)!.seq + 1);
    buffer.telemetryLane.ack(again);
    buffer.alerts.ack(alerts);
    // Fully delivered segments are deleted.
    expect(listSegments(join(t.dir, 'telemetry'))).toHaveLength(1);
    await buffer.close();
  });

  it('never repeats seq after a crash that skips the clean release', async () => {
    const t = tempDir('seq');
    cleanup = t.cleanup;
    const first = await openBuffer(t.dir);
    const seqs = Array.from({ length: 5 }, () => first.seq.next());
    await dieWithoutRelease(first);
    const second = await openBuffer(t.dir);
    const next = second.seq.next();
    expect(next).toBeGreaterThan(Math.max(...seqs));
    expect(next - Math.max(...seqs)).toBeLessThanOrEqual(SEQ_RESERVATION);
    await second.close();
    const third = await openBuffer(t.dir);
    expect(third.seq.next()).toBe(next + 1);
    await third.close();
  });

  it('refuses a second writer on the same directory, naming the holder, until the first closes', async () => {
    const t = tempDir('lock');
    cleanup = t.cleanup;
    const first = await openBuffer(t.dir);
    const refused = await openBuffer(t.dir).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe(
      `buffer directory ${t.dir} is in use by another process (pid ${process.pid}) (stop that towerwatch edge, or give this one its own --state-dir)`,
    );
    // The refused open touched nothing: the holder keeps working.
    const batch = makeBatch(TOWER, first.seq);
    await first.telemetry(batch);
    await first.close();
    const second = await openBuffer(t.dir);
    expect(second.seq.next()).toBe(batch.seq + 1);
    await second.close();
  });

  it('recovers seq from the segments when the seq file is lost', async () => {
    const t = tempDir('seqlost');
    cleanup = t.cleanup;
    const first = await openBuffer(t.dir);
    for (let i = 0; i < 600; i++) first.seq.next();
    const stored = makeBatch(TOWER, first.seq);
    await first.telemetry(stored);
    await first.close();
    writeFileSync(join(t.dir, 'seq.json'), '{"next": 3}');
    const second = await openBuffer(t.dir);
    expect(second.seq.next()).toBe(stored.seq + 1);
    await second.close();
  });

  it('cuts a torn tail and skips and counts corrupted records', async () => {
    const t = tempDir('corrupt');
    cleanup = t.cleanup;
    const buffer = await openBuffer(t.dir, { segmentBytes: 1 << 20 });
    const batches = Array.from({ length: 5 }, () => makeBatch(TOWER, buffer.seq));
    for (const b of batches) await buffer.telemetry(b);
    await buffer.close();

    const [segment] = listSegments(join(t.dir, 'telemetry'));
    const path = segmentPath(join(t.dir, 'telemetry'), segment!);
    const bytes = readFileSync(path);
    // Flip one byte inside the payload of the third record.
    const third = bytes.indexOf(Buffer.from(`"seq":${batches[2]!.seq}`));
    bytes[third + 2] = bytes[third + 2]! ^ 0xff;
    writeFileSync(path, bytes);
    // And a half-written frame at the end, as a crash mid-append leaves it.
    appendFileSync(path, bytes.subarray(0, 40));

    const reopened = await openBuffer(t.dir);
    expect(statSync(path).size).toBe(bytes.length);
    const seqs = (await drainLane(reopened, 'telemetry')).map((r) => r.seq);
    expect(seqs).toEqual([0, 1, 3, 4].map((i) => batches[i]!.seq));
    expect(reopened.stats().corruptRecords).toBe(1);
    const status = buildStatus({
      towerId: TOWER,
      now: T0,
      startedAt: T0 - 5000,
      buffer: reopened.stats(),
      connection: { connected: false, reconnects: 0, lastConnectedAt: null, lastError: null },
    });
    expect(decodeStatus(JSON.stringify(status)).drops.corruptRecords).toBe(1);
    await reopened.close();
  });

  it('counts records damaged after they were stored when it reads them', async () => {
    const t = tempDir('rot');
    cleanup = t.cleanup;
    const buffer = await openBuffer(t.dir);
    const batches = Array.from({ length: 3 }, () => makeBatch(TOWER, buffer.seq));
    for (const b of batches) await buffer.telemetry(b);
    const [segment] = listSegments(join(t.dir, 'telemetry')).slice(-1);
    const path = segmentPath(join(t.dir, 'telemetry'), segment!);
    const bytes = readFileSync(path);
    const at = bytes.indexOf(Buffer.from(`"seq":${batches[1]!.seq}`));
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from([bytes[at + 3]! ^ 0x55]), 0, 1, at + 3);
    closeSync(fd);
    const seqs = (await drainLane(buffer, 'telemetry')).map((r) => r.seq);
    expect(seqs).toEqual([batches[0]!.seq, batches[2]!.seq]);
    expect(buffer.stats().corruptRecords).toBe(1);
    await buffer.close();
  });

  it('refuses a batch above the 128 KB payload limit by rejecting, and stores nothing of it', async () => {
    const t = tempDir('big');
    cleanup = t.cleanup;
    const buffer = await openBuffer(t.dir);
    const huge = makeBatch(TOWER, buffer.seq, 64);
    huge.readings = Array.from(
      { length: 12_000 },
      (_, i) => [i % 8, i * 1000, 123456.789] as [number, number, number],
    );
    await expect(buffer.telemetry(huge)).rejects.toThrow(/payload is \d+ bytes, limit is 131072/);
    expect(buffer.stats().telemetry.depthMessages).toBe(0);
    await buffer.close();
  });

  it('drops the oldest telemetry past the disk budget, keeps alerts, and reports the drops', async () => {
    const t = tempDir('budget');
    cleanup = t.cleanup;
    const maxBytes = 1024 * 1024;
    const buffer = await openBuffer(t.dir, { maxBytes, segmentBytes: 64 * 1024 });
    const alerts = Array.from({ length: 20 }, (_, i) => makeAlert(TOWER, i));
    await Promise.all(alerts.slice(0, 10).map((a) => buffer.alert(a)));
    const batches = Array.from({ length: 400 }, () => makeBatch(TOWER, buffer.seq, 256));
    for (let i = 0; i < batches.length; i += 20) {
      await Promise.all(batches.slice(i, i + 20).map((b) => buffer.telemetry(b)));
    }
    await Promise.all(alerts.slice(10).map((a) => buffer.alert(a)));
    const stats = buffer.stats();
    expect(stats.diskBytes).toBeLessThanOrEqual(maxBytes);
    expect(stats.droppedReadings).toBeGreaterThan(0);
    expect(stats.droppedReadings % 256).toBe(0);

    const kept = await drainLane(buffer, 'telemetry');
    // What is left is the newest telemetry, in order, and together with the drops accounts for everything.
    expect(kept.map((r) => r.seq)).toEqual(batches.slice(-kept.length).map((b) => b.seq));
    expect(kept.length * 256 + stats.droppedReadings).toBe(400 * 256);
    const keptAlerts = (await drainLane(buffer, 'alerts')).map((r) => decodeAlert(r.payload).alertId);
    expect(keptAlerts).toEqual(alerts.map((a) => a.alertId));
    await buffer.close();
  });
});
