import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { FunctionName } from '../../../cloud/data/tables.js';
import { parseStackContext, TowerwatchStack } from '../../../cloud/lib/index.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures');
export const FIXTURE_EDGE_DIST = join(FIXTURES, 'edge');

/** Small stand-in handlers: the stack test checks the infrastructure, not the consumers' code. */
export const FIXTURE_ENTRIES: Record<FunctionName, string> = {
  telemetryWriter: join(FIXTURES, 'functions/telemetry-writer/index.ts'),
  twinUpdater: join(FIXTURES, 'functions/twin-updater/index.ts'),
  alertNotifier: join(FIXTURES, 'functions/alert-notifier/index.ts'),
  alertSweep: join(FIXTURES, 'functions/alert-notifier/index.ts'),
};

export const FIXTURE_ARCHIVE_PROCESSOR = join(FIXTURES, 'functions/archive-processor/index.ts');

type Resource = { Type: string; Properties: Record<string, unknown>; [k: string]: unknown };

export function resourcesOfType(template: { Resources: Record<string, Resource> }, type: string) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

export function logicalIdOf(template: { Resources: Record<string, Resource> }, type: string, prefix: string) {
  const hits = resourcesOfType(template, type).filter(([id]) => id.startsWith(prefix));
  if (hits.length !== 1) throw new Error(`expected one ${type} starting ${prefix}, found ${hits.length}`);
  return hits[0]![0];
}

/**
 * The whole TowerwatchStack on the fixture handlers, synthesized once into a temporary directory
 * (bundling the functions is the slow part); `outdir` holds its assets, `cleanup` removes it.
 */
export function synthFixtureStack(id: string, context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), `towerwatch-cdk-${id}-`));
  const app = new App({ outdir });
  const stack = new TowerwatchStack(app, id, {
    settings: parseStackContext(context),
    edge: { distDir: FIXTURE_EDGE_DIST },
    functionEntries: FIXTURE_ENTRIES,
    archiveProcessorEntry: FIXTURE_ARCHIVE_PROCESSOR,
  });
  const template = Template.fromStack(stack);
  return {
    outdir,
    app,
    stack,
    template,
    // biome-ignore lint/suspicious/noExplicitAny: the synthesized CloudFormation JSON
    json: template.toJSON() as any,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
