import * as z from 'zod';
import { TowerIdSchema } from '../ids.js';
import { commandTopic } from '../topics.js';
import { EpochMsSchema, SchemaVersionSchema } from './common.js';

/**
 * The end-to-end stored acknowledgement: the cloud tells a tower which telemetry batch `seq`s are
 * durably written to the table. PUBACK (and, under Greengrass, the nucleus spooler) only says a
 * broker holds the message; this says the reading is where users read it. The edge keeps
 * delivered-but-unconfirmed batches and sends them again after `delivery.confirmTimeoutMs`.
 *
 * `ranges` are inclusive `[from, to]` seq ranges, ascending and disjoint, covering the tower's
 * recently stored seqs (not only those since the last acknowledgement): an acknowledgement that is
 * throttled or lost costs nothing, because the next one names the same seqs again.
 */
export const STORED_ACK = {
  /** `cmd/towerwatch/<towerId>/stored` — inside the tower policy's own `cmd/.../*` grant. */
  command: 'stored',
  /** At most one acknowledgement per tower per this interval (the cost model prices it). */
  minIntervalMs: 10_000,
  /** Ranges remembered per tower; older stored seqs fall off the front. */
  maxRanges: 64,
  /** Seqs remembered per tower: a window this wide behind the highest stored seq. */
  windowSeqs: 100_000,
} as const;

const SeqSchema = z.number().int().nonnegative();

export const SeqRangeSchema = z
  .tuple([SeqSchema, SeqSchema])
  .refine(([from, to]) => from <= to, 'a seq range must be [from, to] with from <= to');
export type SeqRange = z.infer<typeof SeqRangeSchema>;

export const StoredAckSchema = z
  .object({
    schema: SchemaVersionSchema,
    towerId: TowerIdSchema,
    ranges: z.array(SeqRangeSchema).max(STORED_ACK.maxRanges),
    /** When the cloud sent it (epoch ms). */
    sentAt: EpochMsSchema,
  })
  .refine(
    (ack) => ack.ranges.every((r, i) => i === 0 || r[0] > ack.ranges[i - 1]![1] + 1),
    'ranges must be ascending, disjoint and not adjacent',
  );
export type StoredAck = z.infer<typeof StoredAckSchema>;

export function storedAckTopic(towerId: string): string {
  return commandTopic(towerId, STORED_ACK.command);
}

/** Adds seqs to a range list (ascending, disjoint, merged), keeping the newest `maxRanges` ranges and the `windowSeqs` window. */
export function addSeqs(
  ranges: readonly SeqRange[],
  seqs: Iterable<number>,
  limits: { maxRanges: number; windowSeqs: number } = STORED_ACK,
): SeqRange[] {
  const all: SeqRange[] = [...ranges.map((r) => [r[0], r[1]] as SeqRange)];
  for (const s of seqs) all.push([s, s]);
  all.sort((a, b) => a[0] - b[0]);
  const merged: SeqRange[] = [];
  for (const r of all) {
    const last = merged.at(-1);
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  const top = merged.at(-1)?.[1];
  if (top === undefined) return merged;
  const floor = top - limits.windowSeqs + 1;
  const windowed = merged.filter((r) => r[1] >= floor).map((r) => [Math.max(r[0], floor), r[1]] as SeqRange);
  return windowed.slice(-limits.maxRanges);
}

/** Whether a seq lies in one of the ranges. */
export function rangesInclude(ranges: readonly SeqRange[], seq: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (seq < r[0]) hi = mid - 1;
    else if (seq > r[1]) lo = mid + 1;
    else return true;
  }
  return false;
}
