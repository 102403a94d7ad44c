import { queryReadings, type StoredReading, TABLE } from '../../cloud/data/index.js';
import type { Stack } from './types.js';

/** Readings the writer reports stored so far (all towers). */
export function readingsStored(stack: Stack): number {
  return stack.consumers.stats().metrics['telemetry-writer']?.ReadingsWritten ?? 0;
}

/** A tower's readings back out of DynamoDB through the query module (the last day by default). */
export function storedReadings(
  stack: Stack,
  towerId: string,
  to = Date.now() + 60_000,
): Promise<StoredReading[]> {
  return queryReadings(stack.aws.clients.doc, TABLE.localName, { towerId, from: to - 86_400_000 + 1, to });
}

/** Reading keys (sensor@time) that appear more than once. */
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

/**
 * Stops sampling on every running tower, waits until each buffer is delivered and the writer has
 * stored as many readings as were sampled. Returns the number sampled.
 */
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

export interface FleetAudit {
  sampled: number;
  stored: number;
  lost: number;
  duplicated: number;
}

/** Compares what each tower sampled with what DynamoDB returns for it. */
export async function auditReadings(
  stack: Stack,
  sampledByTower: Record<string, number>,
): Promise<FleetAudit> {
  let sampled = 0;
  let stored = 0;
  let duplicated = 0;
  for (const [towerId, count] of Object.entries(sampledByTower)) {
    const readings = await storedReadings(stack, towerId);
    const doubled = duplicates(readings).length;
    sampled += count;
    stored += readings.length - doubled;
    duplicated += doubled;
  }
  return { sampled, stored, lost: Math.max(0, sampled - stored), duplicated };
}

/** Drains the in-process fleet, then audits every tower. */
export async function auditFleet(stack: Stack, timeoutMs = 120_000): Promise<FleetAudit> {
  await drainFleet(stack, timeoutMs).catch(() => undefined);
  return auditReadings(
    stack,
    Object.fromEntries(stack.fleet.running().map((t) => [t.towerId, t.monitor.stats().readings])),
  );
}
