/** The three output forms of `towerwatch query`, the same for both engines. */
import type { QueryColumn, QueryFormat, QueryResult, QueryValue } from './types.js';

const RIGHT_ALIGNED = new Set<QueryColumn['kind']>(['integer', 'number']);

function cellText(value: QueryValue): string {
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Aligned columns under a header and a rule; NULL for nulls, line breaks shown as `\n` to keep rows on one line. */
export function formatTable(result: QueryResult): string {
  const { columns, rows } = result;
  const cells = rows.map((row) =>
    columns.map((c) => {
      const value = row[c.name] ?? null;
      return value === null ? 'NULL' : cellText(value).replaceAll('\r', '\\r').replaceAll('\n', '\\n');
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.name.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (RIGHT_ALIGNED.has(columns[i]!.kind) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.name)),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(line),
    '',
  ].join('\n');
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled; CRLF line ends. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header line, then one line per row; a null is an empty field. */
export function formatCsv(result: QueryResult): string {
  const lines = [
    result.columns.map((c) => csvField(c.name)),
    ...result.rows.map((row) => result.columns.map((c) => csvField(cellText(row[c.name] ?? null)))),
  ];
  return lines.map((fields) => `${fields.join(',')}\r\n`).join('');
}

/** One JSON array of row objects, a row a line (readable, and still one document for `jq`). */
export function formatJson(result: QueryResult): string {
  if (result.rows.length === 0) return '[]\n';
  return `[\n${result.rows.map((row) => JSON.stringify(row)).join(',\n')}\n]\n`;
}

export function formatResult(result: QueryResult, format: QueryFormat): string {
  switch (format) {
    case 'table':
      return formatTable(result);
    case 'csv':
      return formatCsv(result);
    case 'json':
      return formatJson(result);
  }
}

/** `12.3 MB`: decimal units, as Athena prices scanned data (per TB, 10 MB minimum a query). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
