import { open } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomicSync } from '../../../edge/src/buffer/atomic-file.js';
import { Lane, type LaneFiles, type SegmentHandle } from '../../../edge/src/buffer/lane.js';
import { T0, tempDir, waitFor } from './helpers.js';

/** Real files, with faults switched on and off by the test: a disk that fills up, a cursor that cannot be written. */
function faultyFiles() {
  const state = {
    /** Bytes the next writes may still put on disk; null = unlimited. */
    spaceBytes: null as number | null,
    failSync: false,
    failState: null as string | null,
  };
  const files: LaneFiles = {
    async open(path, flags) {
      const fh = await open(path, flags);
      const handle: SegmentHandle = {
        writev: (async (buffers: Buffer[]) => {
          if (state.spaceBytes === null) return fh.writev(buffers);
          // A disk with little room left: the kernel writes what fits and reports a short count.
          const all = Buffer.concat(buffers);
          const fits = all.subarray(0, Math.min(all.length, state.spaceBytes));
          state.spaceBytes -= fits.length;
          if (fits.length === 0)
            throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
          const { bytesWritten } = await fh.write(fits);
          return { bytesWritten, buffers };
        }) as SegmentHandle['writev'],
        datasync: async () => {
          if (state.failSync) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
          return fh.datasync();
        },
        truncate: (len) => fh.truncate(len),
        read: fh.read.bind(fh) as SegmentHandle['read'],
        close: () => fh.close(),
      };
      return handle;
    },
    writeState(path, text) {
      if (state.failState) throw Object.assign(new Error(state.failState), { code: 'ENOSPC' });
      writeFileAtomicSync(path, text);
    },
  };
  return { files, state };
}

const payload = (i: number) => Buffer.from(JSON.stringify({ record: i, pad: 'x'.repeat(200) }));

function laneAt(dir: string, files?: LaneFiles, segmentBytes = 1 << 20) {
  return new Lane({
    name: 'telemetry',
    dir,
    segmentBytes,
    fsyncWindowMs: 0,
    cursorSaveMs: 5,
    now: () => T0,
    ...(files && { files }),
  });
}

/** Appends and records how each append settled. */
function appendAll(lane: Lane, from: number, to: number) {
  const settled = new Map<number, 'stored' | 'rejected'>();
  const done = Promise.all(
    Array.from({ length: to - from }, (_, k) => {
      const i = from + k;
      return lane.append({ payload: payload(i), count: 1, seq: i }).then(
        () => settled.set(i, 'stored'),
        () => settled.set(i, 'rejected'),
      );
    }),
  );
  return { settled, done };
}

async function storedSeqsAfterReopen(
  dir: string,
): Promise<{ seqs: number[]; corrupt: number; torn: number }> {
  const lane = laneAt(dir);
  const report = await lane.open();
  const records = await lane.take(10_000, Number.MAX_SAFE_INTEGER);
  await lane.close();
  return {
    seqs: records.map((r) => JSON.parse(r.payload.toString()).record as number),
    corrupt: report.corruptRecords,
    torn: report.tornBytes,
  };
}

describe('lane under disk faults', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('a short write (disk full) rejects exactly its records, stores nothing of them, and the lane goes on once space returns', async () => {
    const t = tempDir('lane-enospc');
    cleanup = t.cleanup;
    const { files, state } = faultyFiles();
    const lane = laneAt(t.dir, files);
    await lane.open();
    const first = appendAll(lane, 0, 5);
    await first.done;
    // Room for one and a half records: the next group's write comes back short.
    state.spaceBytes = Math.floor(payload(0).length * 1.5);
    const full = appendAll(lane, 5, 10);
    await full.done;
    state.spaceBytes = null;
    const after = appendAll(lane, 10, 13);
    await after.done;
    await lane.close();

    expect([...first.settled.values()].every((s) => s === 'stored')).toBe(true);
    expect([...full.settled.values()]).toContain('rejected');
    expect([...after.settled.values()].every((s) => s === 'stored')).toBe(true);
    const reported = [...first.settled, ...full.settled, ...after.settled]
      .filter(([, s]) => s === 'stored')
      .map(([i]) => i)
      .sort((a, b) => a - b);
    const back = await storedSeqsAfterReopen(t.dir);
    // Every append reported stored is on disk after a restart, and nothing else is.
    expect(back.seqs).toEqual(reported);
    expect(back.corrupt).toBe(0);
    expect(back.torn).toBe(0);
  });

  it('a write or sync that fails settles its appends (rejected), so a clean stop does not hang', async () => {
    const t = tempDir('lane-eio');
    cleanup = t.cleanup;
    const { files, state } = faultyFiles();
    const lane = laneAt(t.dir, files);
    await lane.open();
    state.spaceBytes = 0;
    const nospace = appendAll(lane, 0, 3);
    await waitFor(() => nospace.settled.size === 3, 'appends on a full disk to settle', 5_000);
    state.spaceBytes = null;
    state.failSync = true;
    const badSync = appendAll(lane, 3, 6);
    await waitFor(() => badSync.settled.size === 3, 'appends whose sync failed to settle', 5_000);
    state.failSync = false;
    const ok = appendAll(lane, 6, 8);
    await ok.done;
    await lane.close();

    expect([...nospace.settled.values(), ...badSync.settled.values()]).toEqual(Array(6).fill('rejected'));
    expect((await storedSeqsAfterReopen(t.dir)).seqs).toEqual([6, 7]);
  });

  it('a cursor that cannot be saved (disk full) is kept dirty, reported, and saved once the disk has room', async () => {
    const t = tempDir('lane-cursor');
    cleanup = t.cleanup;
    const { files, state } = faultyFiles();
    const lane = laneAt(t.dir, files);
    await lane.open();
    await appendAll(lane, 0, 6).done;
    state.failState = 'ENOSPC: no space left on device';
    const taken = await lane.take(4, Number.MAX_SAFE_INTEGER);
    lane.ack(taken);
    await waitFor(() => lane.stats.cursorSaveFailures >= 2, 'the cursor save to fail and be retried', 5_000);
    expect(lane.stats.cursorError).toMatch(/cannot save the delivery cursor .*cursor\.json: ENOSPC/);
    state.failState = null;
    await waitFor(
      () => lane.stats.cursorError === null,
      'the cursor to be saved after the disk has room',
      5_000,
    );
    expect(lane.stats.cursorSaveFailures).toBe(0);
    // Crash now (no clean close): the saved cursor is what the restart resumes from.
    const back = await storedSeqsAfterReopen(t.dir);
    expect(back.seqs).toEqual([4, 5]);
    await lane.close();
  });

  it('a rewind while take is reading strands nothing: the next take hands out every unacknowledged record', async () => {
    const t = tempDir('lane-rewind');
    cleanup = t.cleanup;
    // Small segments, so the records span several files and take reads more than once.
    const lane = laneAt(t.dir, undefined, payload(0).length * 3);
    await lane.open();
    await appendAll(lane, 0, 10).done;
    const reading = lane.take(100, Number.MAX_SAFE_INTEGER);
    lane.rewind();
    // The caller drops what a take started before its rewind returns (it belongs to the old round).
    await reading;
    const again = await lane.take(100, Number.MAX_SAFE_INTEGER);
    expect(again.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await lane.close();
  });
});
