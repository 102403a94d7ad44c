import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../cloud/lib/lambda-bundling.js';
import { cfnLintCommand, formatFinding, runCfnLint } from '../../../cloud/lint/index.js';
import { FIXTURE_EDGE_DIST } from './helpers.js';

// AWS's CloudFormation linter on the template exactly as `cdk synth` writes it: the app with
// cdk.json's context (the CLI passes it in CDK_CONTEXT_JSON), real handlers bundled, no credentials.
const cfnLint = cfnLintCommand(REPO_ROOT);
const outdir = mkdtempSync(join(tmpdir(), 'towerwatch-cfnlint-'));
let template = '';

beforeAll(() => {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: object };
  const context = {
    ...cdkJson.context,
    skipEdgeBuild: 'true',
    edgeDistDir: FIXTURE_EDGE_DIST,
    componentVersion: '1.0.0',
  };
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'cloud/bin/app.ts')], {
    cwd: REPO_ROOT,
    env: { ...env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
  template = join(outdir, 'Towerwatch.template.json');
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('cfn-lint on the synthesized stack', () => {
  it('finds no errors and no warnings', () => {
    const findings = runCfnLint(cfnLint, [template]).filter((f) => f.Level !== 'Informational');
    expect(findings.map(formatFinding)).toEqual([]);
  }, 60_000);

  it('still reports a broken template (the runner is not blind)', () => {
    const broken = JSON.parse(readFileSync(template, 'utf8'));
    const [id] = Object.entries(broken.Resources as Record<string, { Type: string }>).find(
      ([, r]) => r.Type === 'AWS::Lambda::Function',
    )!;
    broken.Resources[id].Properties.Runtime = 'nodejs0.10';
    broken.Resources[id].Properties.MemorySize = 1;
    const file = join(outdir, 'broken.template.json');
    writeFileSync(file, JSON.stringify(broken));
    const errors = runCfnLint(cfnLint, [file]).filter((f) => f.Level === 'Error');
    expect(errors.some((f) => f.Location.Path.includes('Runtime'))).toBe(true);
    expect(errors.some((f) => f.Location.Path.includes('MemorySize'))).toBe(true);
  }, 60_000);

  it('suppresses only with a reason written beside the check', () => {
    const t = JSON.parse(readFileSync(template, 'utf8')) as {
      Resources: Record<string, { Metadata?: Record<string, unknown> }>;
    };
    const suppressed = Object.entries(t.Resources).filter(([, r]) => r.Metadata?.['cfn-lint']);
    expect(suppressed.length).toBeGreaterThan(0);
    for (const [id, r] of suppressed) {
      const checks = (r.Metadata!['cfn-lint'] as { config: { ignore_checks: string[] } }).config
        .ignore_checks;
      const reasons = r.Metadata!['towerwatch:cfn-lint-reasons'] as Record<string, string>;
      for (const check of checks) expect(reasons?.[check], `${id} ${check}`).toMatch(/.{20,}/);
      // Errors are never suppressed, only warnings.
      expect(
        checks.every((c) => c.startsWith('W')),
        id,
      ).toBe(true);
    }
  });
});
