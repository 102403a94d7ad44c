import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { FUNCTIONS } from '../cloud/data/tables.js';
import { LAMBDA_ESBUILD_OPTIONS, REPO_ROOT } from '../cloud/lib/lambda-bundling.js';
import type { BenchResult, Metric } from './lib/types.js';

/** The per-function limit the CDK issue sets (the deployed code, not counting the source map). */
const TARGET_KB = 300;

/** Bundles each Lambda entry with the settings NodejsFunction uses (LAMBDA_ESBUILD_OPTIONS) and weighs it. */
export async function run(): Promise<BenchResult> {
  const entries = [...new Set(Object.values(FUNCTIONS).map((f) => f.entry))];
  const outRoot = mkdtempSync(join(tmpdir(), 'towerwatch-bundles-'));
  const metrics: Record<string, Metric> = {};
  const notes: string[] = [];
  let maxKb = 0;
  try {
    for (const entry of entries) {
      const name = entry.split('/').at(-2)!;
      const abs = join(REPO_ROOT, entry);
      if (!existsSync(abs)) {
        notes.push(`${name}: ${entry} does not exist yet, skipped`);
        continue;
      }
      const outfile = join(outRoot, name, 'index.mjs');
      const started = process.hrtime.bigint();
      await build({ ...LAMBDA_ESBUILD_OPTIONS, entryPoints: [abs], outfile, logLevel: 'silent' });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const kb = statSync(outfile).size / 1024;
      const mapKb = statSync(`${outfile}.map`).size / 1024;
      const zipKb =
        zipSync(
          { 'index.mjs': readFileSync(outfile), 'index.mjs.map': readFileSync(`${outfile}.map`) },
          { level: 9 },
        ).length / 1024;
      maxKb = Math.max(maxKb, kb);
      const key = name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
      metrics[`${key}Kb`] = { value: kb, unit: 'KB', target: TARGET_KB, better: 'lower' };
      notes.push(
        `${name}: ${kb.toFixed(1)} KB code + ${mapKb.toFixed(1)} KB map, ${zipKb.toFixed(1)} KB zipped, built in ${ms.toFixed(0)} ms`,
      );
    }
  } finally {
    rmSync(outRoot, { recursive: true, force: true });
  }
  return {
    name: 'bundles',
    metrics: { maxBundleKb: { value: maxKb, unit: 'KB', target: TARGET_KB, better: 'lower' }, ...metrics },
    notes,
  };
}
