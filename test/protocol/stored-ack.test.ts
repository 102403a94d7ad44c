import { describe, expect, it } from 'vitest';
import { addSeqs, rangesInclude, StoredAckSchema, storedAckTopic } from '../../protocol/index.js';

describe('stored acknowledgement ranges', () => {
  it('merges seqs into ascending disjoint ranges', () => {
    expect(addSeqs([], [5, 3, 4, 9, 1])).toEqual([
      [1, 1],
      [3, 5],
      [9, 9],
    ]);
    expect(addSeqs([[3, 5]], [6, 2])).toEqual([[2, 6]]);
  });

  it('keeps only the newest ranges and the seq window', () => {
    const ranges = addSeqs([], [0, 2, 4, 6, 8], { maxRanges: 3, windowSeqs: 1000 });
    expect(ranges).toEqual([
      [4, 4],
      [6, 6],
      [8, 8],
    ]);
    expect(addSeqs([[0, 100]], [150], { maxRanges: 10, windowSeqs: 60 })).toEqual([
      [91, 100],
      [150, 150],
    ]);
  });

  it('answers membership', () => {
    const ranges = addSeqs([], [1, 2, 3, 10, 20, 21]);
    expect([0, 1, 3, 4, 10, 11, 21, 22].map((s) => rangesInclude(ranges, s))).toEqual([
      false,
      true,
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
  });

  it('refuses overlapping or reversed ranges and names the topic', () => {
    const base = { schema: 1, towerId: 'tw-1', sentAt: 1_800_000_000_000 };
    expect(StoredAckSchema.safeParse({ ...base, ranges: [[1, 4]] }).success).toBe(true);
    expect(StoredAckSchema.safeParse({ ...base, ranges: [[4, 1]] }).success).toBe(false);
    expect(
      StoredAckSchema.safeParse({
        ...base,
        ranges: [
          [1, 4],
          [4, 6],
        ],
      }).success,
    ).toBe(false);
    expect(storedAckTopic('tw-1')).toBe('cmd/towerwatch/tw-1/stored');
  });
});
