// `npm run bench [-- <name>...]`: runs bench/<name>.bench.ts, prints one table, writes bench/results/<name>.json.
import { readdirSync } from 'node:fs';
import { formatTable, writeResult } from './lib/report.js';
import type { Benchmark, BenchResult } from './lib/types.js';

// Benchmarks print tables; the SDK's multi-line Node 22 notice would land in the middle of them.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ORDER = ['encode', 'edge', 'buffer', 'broker', 'consumers', 'bundles', 'archive', 'certs', 'e2e'];

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(
      'usage: npm run bench [-- <name>...]\n\nBenchmarks print figures and write bench/results/<name>.json; they never fail on time.',
    );
    console.log(`available: ${available().join(', ')}`);
    return 0;
  }
  const names = argv.length ? argv : available();
  const unknown = names.filter((n) => !available().includes(n));
  if (unknown.length) {
    console.error(`unknown benchmark ${unknown.join(', ')}: choose from ${available().join(', ')}`);
    return 2;
  }
  const results: BenchResult[] = [];
  for (const name of names) {
    console.error(`running ${name}…`);
    const mod = (await import(`./${name}.bench.ts`)) as Benchmark;
    const result = await mod.run();
    const file = writeResult(result);
    results.push(result);
    for (const note of result.notes ?? []) console.error(`  ${note}`);
    console.error(`  wrote ${file}`);
  }
  console.log(formatTable(results));
  return 0;
}

function available(): string[] {
  const found = readdirSync(import.meta.dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.replace(/\.bench\.ts$/, ''));
  return found.sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
}

process.exitCode = await main(process.argv.slice(2));
