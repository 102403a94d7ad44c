import { TowerIdSchema } from '../protocol/index.js';
import { CertsToolError } from './errors.js';

/** The most towers one batch takes: far above a fleet rollout, low enough that a typo'd count fails fast. */
export const MAX_BATCH = 100_000;

export interface NumberedTowers {
  count: number;
  prefix: string;
  /** first number (default 1) */
  start?: number;
}

const TOWER_ID_RULE = TowerIdSchema.safeParse('').error!.issues[0]!.message;

/**
 * `prefix` + a number for each of `count` towers from `start`, zero-padded to the width of the last
 * number: `--count 1000` gives tw-0001…tw-1000, and a later `--start 1001 --count 1000` keeps width 4.
 */
export function numberedTowerIds({ count, prefix, start = 1 }: NumberedTowers): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_BATCH)
    throw new CertsToolError(`invalid --count ${count}`, `pass a whole number from 1 to ${MAX_BATCH}`);
  if (!Number.isInteger(start) || start < 0)
    throw new CertsToolError(`invalid --start ${start}`, 'pass a whole number from 0');
  const width = String(start + count - 1).length;
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${String(start + i).padStart(width, '0')}`);
  // The longest id is the last; every id shares the prefix, so checking the first and last checks all.
  for (const id of [ids[0]!, ids.at(-1)!]) {
    if (!TowerIdSchema.safeParse(id).success)
      throw new CertsToolError(
        `invalid --prefix ${JSON.stringify(prefix)}: it makes tower id ${JSON.stringify(id)}`,
        `${TOWER_ID_RULE}; shorten the prefix or drop other characters`,
      );
  }
  return ids;
}

/**
 * A tower list file: one tower id per line; blank lines and `#` comments (whole-line or after the id)
 * are ignored. The whole file is checked before anything is issued, so a bad line issues nothing.
 */
export function parseTowerList(text: string, source: string): string[] {
  const ids: string[] = [];
  const seenAt = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const lineNo = i + 1;
    const id = line.replace(/#.*$/, '').trim();
    if (id === '') continue;
    if (!TowerIdSchema.safeParse(id).success)
      throw new CertsToolError(
        `${source} line ${lineNo}: invalid tower id ${JSON.stringify(id)}`,
        `${TOWER_ID_RULE}, one per line`,
      );
    const first = seenAt.get(id);
    if (first !== undefined)
      throw new CertsToolError(
        `${source} line ${lineNo}: tower id ${id} repeats line ${first}`,
        'list each tower once',
      );
    seenAt.set(id, lineNo);
    ids.push(id);
  }
  if (ids.length === 0)
    throw new CertsToolError(`${source} lists no tower ids`, 'write one tower id per line');
  if (ids.length > MAX_BATCH)
    throw new CertsToolError(
      `${source} lists ${ids.length} towers`,
      `split it into files of at most ${MAX_BATCH}`,
    );
  return ids;
}
