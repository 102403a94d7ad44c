import { InvalidArgumentError } from 'commander';
import { CertsToolError } from './errors.js';
import { numberedTowerIds, parseTowerList } from './tower-list.js';

/** What `certs-tool device issue` was asked for, as its flags gave it. */
export interface IssueArgs {
  towerId?: string;
  count?: number;
  prefix?: string;
  start?: number;
  fromFile?: string;
}

export type IssueTarget = { kind: 'one'; towerId: string } | { kind: 'batch'; towerIds: string[] };

export const DEFAULT_PREFIX = 'tower-';

/** commander parser for `--count`/`--start`: digits only, so `1e3` or `-5` fail at the flag. */
export function wholeNumber(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} must be a whole number`);
    return Number(value);
  };
}

/**
 * One tower, a numbered range or a list file: exactly one of them. `readList` reads the list file
 * (injected so this stays a pure decision over the flags).
 */
export function issueTarget(a: IssueArgs, readList: (path: string) => string): IssueTarget {
  const batch = a.count !== undefined || a.fromFile !== undefined;
  if (a.count !== undefined && a.fromFile !== undefined)
    throw new CertsToolError('--count and --from-file cannot be combined', 'choose one of them');
  if (a.towerId !== undefined && batch)
    throw new CertsToolError(
      `tower id ${a.towerId} given with ${a.count !== undefined ? '--count' : '--from-file'}`,
      'pass either one tower id or a batch flag, not both',
    );
  if (a.count === undefined && (a.prefix !== undefined || a.start !== undefined))
    throw new CertsToolError(
      `${a.prefix !== undefined ? '--prefix' : '--start'} needs --count`,
      'add --count N to number N towers',
    );
  if (a.count !== undefined)
    return {
      kind: 'batch',
      towerIds: numberedTowerIds({
        count: a.count,
        prefix: a.prefix ?? DEFAULT_PREFIX,
        ...(a.start !== undefined ? { start: a.start } : {}),
      }),
    };
  if (a.fromFile !== undefined)
    return { kind: 'batch', towerIds: parseTowerList(readList(a.fromFile), a.fromFile) };
  if (a.towerId === undefined)
    throw new CertsToolError('missing tower id', 'pass <towerId>, --count N or --from-file <file>');
  return { kind: 'one', towerId: a.towerId };
}

/** `tw-0001, tw-0002, tw-0003 and 9 more`: a summary line stays one line for any batch. */
export function listSome(ids: readonly string[], shown = 3): string {
  const head = ids.slice(0, shown).join(', ');
  return ids.length > shown ? `${head} and ${ids.length - shown} more` : head;
}
