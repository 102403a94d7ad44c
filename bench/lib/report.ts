import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult, Metric } from './types.js';

export const RESULTS_DIR = join(import.meta.dirname, '..', 'results');

export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${result.name}.json`);
  writeFileSync(file, `${JSON.stringify({ name: result.name, metrics: result.metrics }, null, 2)}\n`);
  return file;
}

function meets(m: Metric): string {
  if (m.target === undefined) return '';
  const ok = m.better === 'higher' ? m.value >= m.target : m.value <= m.target;
  return ok ? 'ok' : 'MISS';
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(3)).toString();
}

export function formatTable(results: BenchResult[]): string {
  const rows = [['bench', 'metric', 'value', 'unit', 'target', '']];
  for (const r of results) {
    for (const [key, m] of Object.entries(r.metrics)) {
      const target = m.target === undefined ? '' : `${m.better === 'higher' ? '>=' : '<='} ${fmt(m.target)}`;
      rows.push([r.name, key, fmt(m.value), m.unit, target, meets(m)]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    row.map((cell, c) => (c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
