import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../../cloud/data/tables.js';
import { REPO_ROOT } from '../../../cloud/lib/lambda-bundling.js';
import { FIXTURE_EDGE_DIST } from './helpers.js';

// The app as `cdk synth` runs it (the CLI only sets CDK_OUTDIR and CDK_CONTEXT_JSON), with no AWS
// credentials in the environment: the real handlers are bundled and cdk-nag runs as a plugin.
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function synth(context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), 'towerwatch-app-'));
  dirs.push(outdir);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'cloud/bin/app.ts')], {
    cwd: REPO_ROOT,
    env: { ...env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
    encoding: 'utf8',
  });
  return { ...r, outdir };
}

describe('cloud/bin/app.ts', () => {
  it('synthesizes the stack offline, with cdk-nag finding nothing unacknowledged', () => {
    const r = synth({ skipEdgeBuild: 'true', edgeDistDir: FIXTURE_EDGE_DIST, componentVersion: '1.0.0' });
    expect(r.status, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(r.outdir, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.artifacts)).toContain('Towerwatch');
    const template = JSON.parse(readFileSync(join(r.outdir, 'Towerwatch.template.json'), 'utf8'));
    const fns = Object.values(template.Resources as Record<string, { Type: string }>).filter(
      (x) => x.Type === 'AWS::Lambda::Function',
    );
    // The consumers of cloud/data/tables.ts and the archive's Firehose processor.
    expect(fns).toHaveLength(Object.keys(FUNCTIONS).length + 1);
    expect(existsSync(join(r.outdir, 'policy-validation-report.json'))).toBe(false);
    // Bundling five handlers with esbuild takes 20-30 s on 2 busy cores.
  }, 120_000);

  it('exits 2 with one line naming a bad context key', () => {
    const r = synth({ shardCount: 'two', skipEdgeBuild: 'true' });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^towerwatch cdk: context 'shardCount': .+ \(set it with -c shardCount=/);
  });

  it('tells the user to build the edge component when its output is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'towerwatch-noedge-'));
    dirs.push(empty);
    const r = synth({ skipEdgeBuild: 'true', edgeDistDir: empty });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/towerwatch-edge\.zip not found: run `npm run build:edge` first/);
  });
});
