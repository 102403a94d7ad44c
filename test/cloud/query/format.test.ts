import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCsv,
  formatJson,
  formatTable,
  type QueryResult,
} from '../../../cloud/query/index.js';

const RESULT: QueryResult = {
  columns: [
    { name: 'tower_id', kind: 'text', engineType: 'VARCHAR' },
    { name: 'n', kind: 'integer', engineType: 'BIGINT' },
    { name: 'note', kind: 'text', engineType: 'VARCHAR' },
    { name: 'ts', kind: 'timestamp', engineType: 'TIMESTAMP' },
  ],
  rows: [
    { tower_id: 'tw-001', n: 1234, note: 'plain', ts: '2026-12-01T00:00:00.000Z' },
    { tower_id: 'tw-2', n: 5, note: 'a, "quoted"\nline', ts: null },
  ],
};

describe('output formats', () => {
  it('table: header, rule, aligned columns (numbers right), NULL and line breaks visible', () => {
    expect(formatTable(RESULT).split('\n')).toEqual([
      'tower_id     n  note               ts',
      '--------  ----  -----------------  ------------------------',
      'tw-001    1234  plain              2026-12-01T00:00:00.000Z',
      'tw-2         5  a, "quoted"\\nline  NULL',
      '',
    ]);
  });

  it('csv: RFC 4180 quoting (comma, quote, line break), header, CRLF, empty field for null', () => {
    expect(formatCsv(RESULT)).toBe(
      [
        'tower_id,n,note,ts',
        'tw-001,1234,plain,2026-12-01T00:00:00.000Z',
        'tw-2,5,"a, ""quoted""\nline",',
        '',
      ].join('\r\n'),
    );
  });

  it('json: one array whose rows parse back to the values, types kept', () => {
    expect(JSON.parse(formatJson(RESULT))).toEqual(RESULT.rows);
    expect(formatJson({ ...RESULT, rows: [] })).toBe('[]\n');
  });

  it('an empty result keeps its header in table and csv', () => {
    const empty = { ...RESULT, rows: [] };
    expect(formatTable(empty).split('\n')[0]).toBe('tower_id  n  note  ts');
    expect(formatCsv(empty)).toBe('tower_id,n,note,ts\r\n');
  });

  it('data scanned in decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(12_345_678)).toBe('12.3 MB');
    expect(formatBytes(1_500)).toBe('1.50 KB');
  });
});
