import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Lane, type LaneFiles, NODE_FILES } from '../../../edge/src/buffer/lane.js';
import { T0, tempDir, waitFor } from './helpers.js';

/**
 * The delivery cursor is saved off the event loop: a tower's four fsyncs per save used to block
 * sampling and alerts (measured in the e2e bench: 100 towers' saves after one stored
 * acknowledgement stalled their loop 120-215 ms).
 */
function heldFiles() {
  const writes: { text: string; release: () => void }[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const files: LaneFiles = {
    open: (path, flags) => open(path, flags),
    writeState(path, text) {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      return new Promise<void>((resolve, reject) => {
        writes.push({
          text,
          release: () => {
            concurrent--;
            NODE_FILES.writeState(path, text)!.then(resolve, reject);
          },
        });
      });
    },
  };
  return { files, writes, maxConcurrent: () => maxConcurrent };
}

const laneAt = (dir: string, files?: LaneFiles) =>
  new Lane({
    name: 'telemetry',
    dir,
    segmentBytes: 1 << 20,
    fsyncWindowMs: 0,
    cursorSaveMs: 1,
    now: () => T0,
    ...(files && { files }),
  });

const payload = (i: number) => Buffer.from(JSON.stringify({ record: i }));

describe('Lane cursor save', () => {
  let cleanup: () => void = () => {};
  afterEach(() => cleanup());

  it('does not hold up appends while it is written, runs one save at a time, and close waits for the last', async () => {
    const t = tempDir('cursor-save');
    cleanup = t.cleanup;
    const held = heldFiles();
    const lane = laneAt(t.dir, held.files);
    await lane.open();
    await Promise.all([0, 1, 2].map((i) => lane.append({ payload: payload(i), count: 1, seq: i })));
    lane.ack(await lane.take(1, 1 << 20));
    await waitFor(() => held.writes.length === 1, 'the first cursor save');

    // The first save is still on disk's side: the lane keeps storing and acknowledging.
    await lane.append({ payload: payload(3), count: 1, seq: 3 });
    lane.ack(await lane.take(2, 1 << 20));
    await new Promise((r) => setTimeout(r, 20));
    expect(held.writes).toHaveLength(1);

    held.writes[0]!.release();
    // The cursor moved during the first save: a second save follows it, with the newer cursor.
    await waitFor(() => held.writes.length === 2, 'the second cursor save');
    expect(JSON.parse(held.writes[1]!.text)).not.toEqual(JSON.parse(held.writes[0]!.text));

    const closed = lane.close();
    let closedYet = false;
    void closed.then(() => {
      closedYet = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(closedYet).toBe(false);
    held.writes[1]!.release();
    await closed;
    expect(held.maxConcurrent()).toBe(1);
    expect(readFileSync(join(t.dir, 'telemetry', 'cursor.json'), 'utf8')).toBe(held.writes[1]!.text);

    // After the restart only the unacknowledged record is handed out again.
    const reopened = laneAt(t.dir);
    await reopened.open();
    const left = await reopened.take(10, 1 << 20);
    expect(left.map((r) => r.seq)).toEqual([3]);
    await reopened.close();
  });

  it('saves through the thread pool by default: the write is a promise, the file complete when it settles', async () => {
    const t = tempDir('cursor-default');
    cleanup = t.cleanup;
    const file = join(t.dir, 'state.json');
    const saving = NODE_FILES.writeState(file, '{"segment":1,"offset":2}');
    expect(saving).toBeInstanceOf(Promise);
    await saving;
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ segment: 1, offset: 2 });
  });
});
