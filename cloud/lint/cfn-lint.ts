import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The regions the templates are linted for: cfn-lint checks resource types and values per region. */
export const LINT_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'] as const;

export interface CfnLintFinding {
  readonly Rule: { readonly Id: string };
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Location: { readonly Path: readonly (string | number)[] };
}

/**
 * Where cfn-lint is: $TOWERWATCH_CFN_LINT, the project venv `.ci/run` makes (`.venv-tools`), or PATH.
 * cfn-lint is AWS's Python linter; no npm package does what it does (the npm `cfn-lint` is a different,
 * unmaintained tool), so it comes from pip.
 */
export function cfnLintCommand(repoRoot: string): string {
  const fromEnv = process.env.TOWERWATCH_CFN_LINT;
  if (fromEnv) return fromEnv;
  const venv = join(repoRoot, '.venv-tools', 'bin', 'cfn-lint');
  return existsSync(venv) ? venv : 'cfn-lint';
}

/** Runs cfn-lint on templates; Informational findings are left out (CDK's own Fn::Join style). */
export function runCfnLint(command: string, templates: readonly string[]): CfnLintFinding[] {
  const r = spawnSync(command, ['--format', 'json', '--regions', ...LINT_REGIONS, '--', ...templates], {
    encoding: 'utf8',
  });
  if (r.error) {
    throw new Error(
      `cfn-lint could not run (${r.error.message}): install it with \`python3 -m venv .venv-tools && .venv-tools/bin/pip install cfn-lint\` or set TOWERWATCH_CFN_LINT`,
    );
  }
  // Exit codes are a bit mask of the levels found (2 error, 4 warning, 8 informational); 1 is a crash.
  if (r.status === 1 || !r.stdout.trim().startsWith('[')) {
    throw new Error(`cfn-lint failed: ${(r.stderr || r.stdout).trim().split('\n').at(-1)}`);
  }
  return JSON.parse(r.stdout) as CfnLintFinding[];
}

export function formatFinding(f: CfnLintFinding): string {
  return `${f.Level} ${f.Rule.Id} at ${f.Location.Path.join('/')}: ${f.Message}`;
}
