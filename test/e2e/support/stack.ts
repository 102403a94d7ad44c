import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../../cloud/data/index.js';
import { type Stack, type StackOptions, startStack } from '../../../local/stack/index.js';

export {
  drainFleet,
  duplicates,
  readingsStored,
  storedReadings,
  waitUntil,
} from '../../../local/stack/audit.js';

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

/** The device's bytes, as text, of a stream record: the IoT rule output nests them base64-encoded in `payload`. */
export function deviceTextOf(ruleOutput: string): string {
  try {
    const nested = (JSON.parse(ruleOutput) as { payload?: unknown }).payload;
    return typeof nested === 'string' ? Buffer.from(nested, 'base64').toString('utf8') : ruleOutput;
  } catch {
    return ruleOutput;
  }
}

/** What the device sent, as text, of a quarantined record (the item keeps the Kinesis data whole). */
export function quarantinedDeviceText(item: Record<string, unknown>): string {
  return deviceTextOf(Buffer.from(String(item.data), 'base64').toString('utf8'));
}
