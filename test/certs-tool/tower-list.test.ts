import { describe, expect, it } from 'vitest';
import { numberedTowerIds, parseTowerList } from '../../certs-tool/index.js';
import { issueTarget } from '../../certs-tool/issue-args.js';

const RULE = 'tower id must be 1-64 characters of A-Z a-z 0-9 _ -';

describe('numbered tower ids (--count/--prefix/--start)', () => {
  it('zero-pads to the width of the count', () => {
    expect(numberedTowerIds({ count: 9, prefix: 'tw-' })).toEqual(
      Array.from({ length: 9 }, (_, i) => `tw-${i + 1}`),
    );
    const twelve = numberedTowerIds({ count: 12, prefix: 'tw-' });
    expect([twelve[0], twelve[9], twelve[11]]).toEqual(['tw-01', 'tw-10', 'tw-12']);
    const thousand = numberedTowerIds({ count: 1000, prefix: 'tw-' });
    expect(thousand).toHaveLength(1000);
    expect([thousand[0], thousand.at(-1)]).toEqual(['tw-0001', 'tw-1000']);
    expect(new Set(thousand).size).toBe(1000);
  });

  it('--start numbers from K, padded to the width of the last number', () => {
    expect(numberedTowerIds({ count: 3, prefix: 'tw-', start: 998 })).toEqual([
      'tw-0998',
      'tw-0999',
      'tw-1000',
    ]);
    expect(numberedTowerIds({ count: 1000, prefix: 'tw-', start: 1001 }).slice(0, 1)).toEqual(['tw-1001']);
    expect(numberedTowerIds({ count: 2, prefix: 'x', start: 0 })).toEqual(['x0', 'x1']);
  });

  it('refuses a prefix that makes invalid tower ids, and counts out of range', () => {
    expect(() => numberedTowerIds({ count: 3, prefix: 'a/b-' })).toThrow(
      `invalid --prefix "a/b-": it makes tower id "a/b-1" (${RULE}; shorten the prefix or drop other characters)`,
    );
    const long = 'p'.repeat(62);
    expect(numberedTowerIds({ count: 99, prefix: long }).at(-1)).toHaveLength(64);
    expect(() => numberedTowerIds({ count: 100, prefix: long })).toThrow(/it makes tower id "p{62}001"/);
    expect(() => numberedTowerIds({ count: 0, prefix: 'tw-' })).toThrow(
      'invalid --count 0 (pass a whole number from 1 to 100000)',
    );
    expect(() => numberedTowerIds({ count: 100_001, prefix: 'tw-' })).toThrow(/invalid --count 100001/);
  });
});

describe('tower list files (--from-file)', () => {
  it('one id a line; blank lines, # comments and CRLF are ignored', () => {
    const text = '# north region\r\ntw-a\r\n\r\n  tw-b   # mast 2\n#tw-c\n\ttw_D\n';
    expect(parseTowerList(text, 'towers.txt')).toEqual(['tw-a', 'tw-b', 'tw_D']);
  });

  it('an invalid line names the line number and the tower-id rule', () => {
    expect(() => parseTowerList('tw-a\n# c\n\ntw b\n', 'towers.txt')).toThrow(
      `towers.txt line 4: invalid tower id "tw b" (${RULE}, one per line)`,
    );
    expect(() => parseTowerList(`tw-a\n${'x'.repeat(65)}\n`, 'f')).toThrow(/^f line 2: invalid tower id/);
  });

  it('a repeated id and a file without ids are errors', () => {
    expect(() => parseTowerList('tw-a\ntw-b\ntw-a\n', 'towers.txt')).toThrow(
      'towers.txt line 3: tower id tw-a repeats line 1 (list each tower once)',
    );
    expect(() => parseTowerList('# nothing yet\n\n', 'towers.txt')).toThrow(
      'towers.txt lists no tower ids (write one tower id per line)',
    );
  });
});

describe('device issue arguments', () => {
  const noFile = () => {
    throw new Error('not read');
  };

  it('one tower id, or a batch flag, never both', () => {
    expect(issueTarget({ towerId: 'tw-1' }, noFile)).toEqual({ kind: 'one', towerId: 'tw-1' });
    expect(issueTarget({ count: 2, prefix: 'tw-' }, noFile)).toEqual({
      kind: 'batch',
      towerIds: ['tw-1', 'tw-2'],
    });
    expect(issueTarget({ count: 2 }, noFile)).toEqual({ kind: 'batch', towerIds: ['tower-1', 'tower-2'] });
    expect(issueTarget({ fromFile: 'f' }, () => 'a\nb\n')).toEqual({ kind: 'batch', towerIds: ['a', 'b'] });
    expect(() => issueTarget({ towerId: 'tw-1', count: 2 }, noFile)).toThrow(
      'tower id tw-1 given with --count (pass either one tower id or a batch flag, not both)',
    );
    expect(() => issueTarget({ towerId: 'tw-1', fromFile: 'f' }, noFile)).toThrow(/given with --from-file/);
    expect(() => issueTarget({ count: 2, fromFile: 'f' }, noFile)).toThrow(
      '--count and --from-file cannot be combined (choose one of them)',
    );
    expect(() => issueTarget({ prefix: 'tw-' }, noFile)).toThrow('--prefix needs --count');
    expect(() => issueTarget({ start: 5 }, noFile)).toThrow('--start needs --count');
    expect(() => issueTarget({}, noFile)).toThrow(
      'missing tower id (pass <towerId>, --count N or --from-file <file>)',
    );
  });
});
