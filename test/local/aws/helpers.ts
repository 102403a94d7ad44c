import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { LocalAws } from '../../../local/aws/index.js';

/** Polls `condition` until it holds; fails with `what` after the deadline (no fixed sleeps). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface PutItem {
  partitionKey: string;
  data: string | object;
}

export async function putRecords(aws: LocalAws, streamName: string, items: PutItem[]): Promise<string[]> {
  const seqs: string[] = [];
  for (let i = 0; i < items.length; i += 500) {
    const out = await aws.clients.kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: items.slice(i, i + 500).map((it) => ({
          PartitionKey: it.partitionKey,
          Data: Buffer.from(typeof it.data === 'string' ? it.data : JSON.stringify(it.data)),
        })),
      }),
    );
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed to put`);
    seqs.push(...out.Records!.map((r) => r.SequenceNumber!));
  }
  return seqs;
}

export const dataOf = (r: KinesisStreamRecord) => Buffer.from(r.kinesis.data, 'base64').toString('utf8');

/** A clock the test moves by hand. */
export function manualClock(start = Date.now()) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(t: number) {
      now = t;
    },
  };
}
