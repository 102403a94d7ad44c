import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../lib/lambda-bundling.js';
import { cfnLintCommand, formatFinding, runCfnLint } from './cfn-lint.js';

const HELP = `usage: npm run lint:cfn [-- <cdk.out folder>]

Runs cfn-lint (errors and warnings) on every *.template.json in the folder (default cdk.out, which
\`npm run lint:cfn\` fills with \`cdk synth\` first). Exit 0 when there is nothing to report.`;

const arg = process.argv[2];
if (arg === '--help' || arg === '-h') {
  console.log(HELP);
  process.exit(0);
}
const dir = resolve(arg ?? join(REPO_ROOT, 'cdk.out'));
if (!existsSync(dir)) {
  console.error(`towerwatch lint:cfn: ${dir} not found: run \`npx cdk synth\` first or name the folder`);
  process.exit(2);
}
const templates = readdirSync(dir)
  .filter((f) => f.endsWith('.template.json'))
  .map((f) => join(dir, f));
if (!templates.length) {
  console.error(`towerwatch lint:cfn: no *.template.json in ${dir}: run \`npx cdk synth\` first`);
  process.exit(2);
}
try {
  const findings = runCfnLint(cfnLintCommand(REPO_ROOT), templates).filter(
    (f) => f.Level !== 'Informational',
  );
  for (const f of findings) console.log(formatFinding(f));
  console.log(`cfn-lint: ${templates.length} template(s), ${findings.length} error(s) and warning(s)`);
  process.exit(findings.length ? 1 : 0);
} catch (e) {
  console.error(`towerwatch lint:cfn: ${(e as Error).message}`);
  process.exit(2);
}
