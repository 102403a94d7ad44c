import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { queryReadings, type StoredReading, TABLE } from '../../../cloud/data/index.js';
import { type Stack, type StackOptions, startStack } from '../../../local/stack/index.js';

export interface TestStack {
  stack: Stack;
  root: string;
  stop(): Promise<void>;
}

/** A small, fast stack: few towers, 2 Hz sampling, 1 s batches, everything in memory, free ports. */
export async function startTestStack(overrides: Partial<StackOptions> = {}): Promise<TestStack> {
  const root = mkdtempSync(join(tmpdir(), 'towerwatch-e2e-'));
  const stack = await startStack({
    certsDir: join(root, 'certs'),
    stateDir: join(root, 'state'),
    towers: 2,
    sensors: 4,
    rate: 2,
    port: 0,
    dataPlanePort: 0,
    statusPort: 0,
    anomalies: false,
    chaos: false,
    persist: false,
    batchMaxAgeMs: 1000,
    log: () => {},
    ...overrides,
  });
  return {
    stack,
    root,
    async stop() {
      await stack.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Polls until `condition` holds; fails with `what` when the deadline passes. */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function readingsStored(stack: Stack): number {
  return stack.consumers.stats().metrics['telemetry-writer']?.ReadingsWritten ?? 0;
}

export async function storedReadings(stack: Stack, towerId: string, from = 0, to = Date.now() + 60_000) {
  return queryReadings(stack.aws.clients.doc, TABLE.localName, {
    towerId,
    from: Math.max(from, to - 86_400_000 + 1),
    to,
  });
}

/** Every reading key appears once: the pipeline neither lost nor doubled anything it stored. */
export function duplicates(readings: readonly StoredReading[]): string[] {
  const seen = new Set<string>();
  const doubled: string[] = [];
  for (const r of readings) {
    const key = `${r.sensorId}@${r.time}`;
    if (seen.has(key)) doubled.push(key);
    seen.add(key);
  }
  return doubled;
}

export async function quarantined(stack: Stack): Promise<Record<string, unknown>[]> {
  const day = new Date().toISOString().slice(0, 10);
  const out = await stack.aws.clients.doc.send(
    new QueryCommand({
      TableName: TABLE.localName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `QUARANTINE#${day}` },
    }),
  );
  return (out.Items ?? []) as Record<string, unknown>[];
}

/** Stops sampling on every tower, then waits until each buffer is empty and the writer stored it all. */
export async function drainFleet(stack: Stack, timeoutMs = 60_000): Promise<number> {
  await Promise.all(stack.fleet.running().map((t) => t.monitor.stop()));
  await waitUntil(
    'tower buffers to drain',
    () => stack.fleet.running().every((t) => t.stats().buffer.depthMessages === 0),
    timeoutMs,
  );
  const sampled = stack.fleet.running().reduce((n, t) => n + t.monitor.stats().readings, 0);
  await waitUntil('the writer to store every reading', () => readingsStored(stack) >= sampled, timeoutMs);
  return sampled;
}
