import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTelemetry, type TelemetryBatch } from '../../../protocol/index.js';
import { DurableBuffer } from '../../../edge/src/buffer/index.js';
import { Delivery } from '../../../edge/src/delivery/index.js';
import { MemoryTransport } from '../../../edge/src/transport/index.js';
import { tempDir, waitFor } from './helpers.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'append-child.ts');
let cleanup: (() => void) | undefined;
const children: ChildProcess[] = [];
afterEach(() => {
  // A child left running (a failed test) would keep this worker alive.
  for (const c of children.splice(0)) c.kill('SIGKILL');
  cleanup?.();
});

/** Runs the appending child; resolves with every seq it reported stored once `stopAfter` lines arrived (then kill -9) or it exited. */
function runChild(dir: string, opts: { killAfter?: number; count?: number }) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, dir, ...(opts.count ? [String(opts.count)] : [])],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const stored = new Map<number, number>();
  return new Promise<{ stored: Map<number, number>; killed: boolean }>((resolve, reject) => {
    let killed = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [word, seq, readings] = line.split(' ');
      if (word !== 'stored') return;
      stored.set(Number(seq), Number(readings));
      if (opts.killAfter && stored.size >= opts.killAfter && !killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve({ stored, killed });
      else reject(new Error(`child exited with ${code ?? signal}`));
    });
  });
}

describe('crash safety', () => {
  it('after kill -9 mid-append, delivers every stored reading once per (towerId, seq) and never reuses a seq', async () => {
    const t = tempDir('crash');
    cleanup = t.cleanup;
    const first = await runChild(t.dir, { killAfter: 300 });
    expect(first.killed).toBe(true);
    const second = await runChild(t.dir, { count: 100 });
    expect(second.stored.size).toBe(100);
    for (const seq of second.stored.keys()) expect(first.stored.has(seq)).toBe(false);

    const buffer = await DurableBuffer.open({ dir: t.dir, maxBytes: 64 * 1024 * 1024, fsyncWindowMs: 2 });
    const transport = new MemoryTransport();
    const delivery = new Delivery({
      towerId: 'tower-crash',
      buffer,
      transport,
      maxInflight: 100,
      maxPublishesPerSecond: 100,
      maxBytesPerSecond: 512 * 1024,
      drainMaxBytes: 16 * 1024,
    });
    transport.start();
    delivery.start();
    await waitFor(() => buffer.stats().telemetry.depthMessages === 0, 'the backlog to drain');
    await delivery.stop();
    await buffer.close();

    const bySeq = new Map<number, TelemetryBatch>();
    for (const m of transport.published) {
      for (const batch of decodeTelemetry(m.payload)) {
        const seen = bySeq.get(batch.seq);
        // A seq is one batch forever: a redelivered seq carries exactly the same readings.
        if (seen) expect(batch).toEqual(seen);
        bySeq.set(batch.seq, batch);
      }
    }
    for (const [seq, readings] of [...first.stored, ...second.stored]) {
      expect(bySeq.get(seq)?.readings.length, `seq ${seq}`).toBe(readings);
    }
  });
});
