import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAlert, StatusSchema } from '../../../protocol/index.js';
import { writeFileAtomicSync } from '../../../edge/src/buffer/atomic-file.js';
import { DurableBuffer } from '../../../edge/src/buffer/index.js';
import type { LaneFiles, SegmentHandle } from '../../../edge/src/buffer/lane.js';
import { buildStatus, Delivery } from '../../../edge/src/delivery/index.js';
import { MemoryTransport } from '../../../edge/src/transport/index.js';
import { makeAlert, makeBatch, T0, tempDir, waitFor } from './helpers.js';

const TOWER = 'tower-ro';
const LIMITS = {
  maxInflight: 10,
  maxPublishesPerSecond: 100,
  maxBytesPerSecond: 512 * 1024,
  drainMaxBytes: 32 * 1024,
};
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Real files whose writes start failing with `code` when the test says so (a disk gone read-only or full). */
function failingFiles() {
  const state = { failWith: null as string | null };
  const fail = () => Object.assign(new Error(`${state.failWith}: simulated`), { code: state.failWith });
  const files: LaneFiles = {
    async open(path, flags) {
      if (flags === 'a' && state.failWith) throw fail();
      const fh = await open(path, flags);
      return {
        writev: (async (buffers: Buffer[]) => {
          if (state.failWith) throw fail();
          return fh.writev(buffers);
        }) as SegmentHandle['writev'],
        datasync: () => fh.datasync(),
        truncate: (len) => fh.truncate(len),
        read: fh.read.bind(fh) as SegmentHandle['read'],
        close: () => fh.close(),
      };
    },
    writeState(path, text) {
      if (state.failWith) throw fail();
      writeFileAtomicSync(path, text);
    },
  };
  return { files, state };
}

async function deliver(buffer: DurableBuffer) {
  const transport = new MemoryTransport();
  const delivery = new Delivery({ towerId: TOWER, buffer, transport, ...LIMITS, confirmTimeoutMs: 0 });
  cleanups.push(async () => {
    await delivery.stop();
    await transport.close();
    await buffer.close();
  });
  transport.start();
  delivery.start();
  return { transport, delivery };
}

const statusOf = (buffer: DurableBuffer) =>
  StatusSchema.parse(
    buildStatus({
      towerId: TOWER,
      now: T0,
      startedAt: T0,
      buffer: buffer.stats(),
      connection: { connected: true, reconnects: 0, lastConnectedAt: T0 } as never,
    }),
  );

describe('a buffer directory that cannot be written (issue 12 item 6)', () => {
  it('opens in memory with one line naming the directory and the fix; alerts still go out, telemetry is refused and counted', async () => {
    const t = tempDir('ro');
    cleanups.push(t.cleanup);
    // A path under a regular file can never be created (ENOTDIR), even for root.
    writeFileSync(join(t.dir, 'not-a-dir'), '');
    const dir = join(t.dir, 'not-a-dir', 'buffer');
    const problems: string[] = [];
    const buffer = await DurableBuffer.open({
      dir,
      maxBytes: 1 << 20,
      fsyncWindowMs: 0,
      onStorageProblem: (line) => problems.push(line),
    });
    expect(buffer.mode).toBe('memory');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(`^buffer directory ${dir} does not exist and cannot be created \\(`),
    );
    expect(problems[0]).toContain('give the component a writable buffer.dir or --state-dir');
    expect(problems[0]).not.toContain('\n');

    await expect(buffer.telemetry(makeBatch(TOWER, buffer.seq, 10))).rejects.toThrow(/cannot be created/);
    await buffer.alert(makeAlert(TOWER, 1));
    await buffer.alert(makeAlert(TOWER, 2));
    const { transport } = await deliver(buffer);
    await waitFor(() => transport.published.length === 2, 'the alerts');
    expect(transport.published.map((m) => decodeAlert(m.payload).alertId)).toEqual(['alert-1', 'alert-2']);
    await waitFor(() => buffer.stats().alerts.depthMessages === 0, 'the alerts acknowledged');

    const status = statusOf(buffer);
    expect(status.storage).toEqual({
      mode: 'memory',
      error: problems[0],
      alertsInMemory: 2,
      alertsDroppedFromMemory: 0,
      readingsRefused: 10,
      cursorSaveFailures: 0,
    });
  });

  it('a disk that turns read-only while running sends alerts from memory and reports it; a healthy disk reports nothing', async () => {
    const t = tempDir('ro-later');
    cleanups.push(t.cleanup);
    const { files, state } = failingFiles();
    const problems: string[] = [];
    const buffer = await DurableBuffer.open({
      dir: t.dir,
      maxBytes: 1 << 20,
      fsyncWindowMs: 0,
      cursorSaveMs: 1,
      files,
      onStorageProblem: (line) => problems.push(line),
    });
    expect(buffer.mode).toBe('disk');
    await buffer.alert(makeAlert(TOWER, 1));
    expect(statusOf(buffer).storage).toMatchObject({ mode: 'disk', error: null, alertsInMemory: 0 });

    state.failWith = 'EROFS';
    await buffer.alert(makeAlert(TOWER, 2));
    await expect(buffer.telemetry(makeBatch(TOWER, buffer.seq, 5))).rejects.toThrow(/EROFS/);
    expect(problems).toEqual([expect.stringMatching(/is on a read-only file system/)]);

    const { transport } = await deliver(buffer);
    await waitFor(() => transport.published.length === 2, 'both alerts');
    // The one that only memory holds goes first: it is the one a restart would lose.
    expect(transport.published.map((m) => decodeAlert(m.payload).alertId)).toEqual(['alert-2', 'alert-1']);
    await waitFor(() => buffer.stats().storage.cursorSaveFailures > 0, 'a failed cursor save');
    const status = statusOf(buffer);
    expect(status.storage).toMatchObject({
      mode: 'disk',
      error: expect.stringMatching(/read-only/),
      alertsInMemory: 1,
      readingsRefused: 5,
    });
  });
});
