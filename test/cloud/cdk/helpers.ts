import { join } from 'node:path';
import type { FunctionName } from '../../../cloud/data/tables.js';

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
