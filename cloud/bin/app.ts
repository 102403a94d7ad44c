#!/usr/bin/env node
// `npx cdk synth|deploy`: the towerwatch stack, checked by cdk-nag's AwsSolutions rules.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ContextError, readStackContext } from '../lib/context.js';
import { EdgeBundleError } from '../lib/greengrass.js';
import { REPO_ROOT } from '../lib/lambda-bundling.js';
import { TowerwatchStack } from '../lib/stack.js';

/** The edge build runs on every synth so the uploaded zip is the code in this checkout. */
function buildEdge(): void {
  try {
    execFileSync('npm', ['run', '--silent', 'build:edge'], { cwd: REPO_ROOT, stdio: ['ignore', 2, 2] });
  } catch (e) {
    throw new EdgeBundleError(
      `\`npm run build:edge\` failed (${(e as Error).message.split('\n')[0]}): fix the edge build, or build it yourself and synthesize with -c skipEdgeBuild=true`,
    );
  }
}

try {
  const app = new App();
  const settings = readStackContext(app.node);
  const skipBuild = String(app.node.tryGetContext('skipEdgeBuild')) === 'true';
  // A prebuilt component elsewhere (CI artifacts, tests); the build then must be skipped too.
  const distDir = app.node.tryGetContext('edgeDistDir') ?? join(REPO_ROOT, 'dist', 'edge');
  new TowerwatchStack(app, settings.stackName, {
    settings,
    description: 'towerwatch: tower fleet identity, IoT rules, Kinesis, Lambda consumers, DynamoDB, alerts',
    // Unset region: an environment-agnostic stack, deployable with whatever profile runs `cdk deploy`.
    ...(settings.region && { env: { region: settings.region } }),
    edge: { distDir: String(distDir), ...(!skipBuild && { build: buildEdge }) },
  });
  // A finding fails the synth; the acknowledged ones (with reasons) are in cloud/lib/nag.ts.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  app.synth();
} catch (e) {
  if (e instanceof ContextError || e instanceof EdgeBundleError) {
    console.error(`towerwatch cdk: ${e.message}`);
    process.exit(2);
  }
  throw e;
}
